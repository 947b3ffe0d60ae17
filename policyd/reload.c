/*
 * reload -- SIGHUP: read outpost.conf again.
 *
 *   reload_conf(running, path)
 *       loads path; on an error (logged with file:line) the running
 *       configuration stays as it was.  Otherwise every key whose value
 *       changed is either applied (RELOAD_LIVE: read per request) or
 *       named in the log as needing a restart (sockets, user, Redis, ...:
 *       the daemon keeps the old value until then).  The daemon is one
 *       thread: applying a value between two events is safe.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "policyd.h"

/* Keys that take effect at the next request. */
static const char *const live[] = {
	"log_level", "on_error", "policyd_unknown_user", "default_plan",
	"policyd_dry_run", "suppress_fold_case", NULL
};

/* Keys of the other programs: a change is not policyd's business. */
static const char *const others[] = {
	"keys_directory", "milter_socket", "milter_mode", "milter_timeout",
	"internal_hosts", "sign_daemon_name", "sign_algorithms",
	"canonicalization", "sign_headers", "oversign_headers",
	"sign_subdomains", "authorize_senders", "authserv_id",
	"dmarc_enforce", "milter_refunds", "relay_addresses",
	"require_alignment", "dmarc_org_domain", "dns_error_action",
	"dns_nameserver", "dns_timeout", "max_signatures", "feedback_log",
	"bounce_rules", "bounce_rules_local", "log_retention",
	"hard_bounce_suppress_for", "bounce_window", "bounce_min_sample",
	"bounce_pause_rate", "complaint_pause_rate", NULL
};

struct rl {
	struct conf	*running;
	const struct conf *next;
	int		 applied, restart;
};

static int
listed(const char *const *list, const char *name)
{
	size_t	 i;

	for (i = 0; list[i] != NULL; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static void
one(const char *name, const char *value, void *arg)
{
	struct rl	*r = arg;
	char		 was[4096], now[4096], err[512];

	(void)value;
	if (conf_get_text(r->running, name, was, sizeof(was)) < 0 ||
	    conf_get_text(r->next, name, now, sizeof(now)) < 0 ||
	    strcmp(was, now) == 0)
		return;
	if (listed(others, name)) {
		log_debug("reload: %s changed (not used by outpost-policyd)",
		    name);
		return;
	}
	if (!listed(live, name)) {
		log_warn("reload: %s changed: needs a restart (the running "
		    "daemon keeps the old value)", name);
		r->restart++;
		return;
	}
	if (conf_set(r->running, name, now, err, sizeof(err)) < 0) {
		log_err("reload: %s: %s", name, err);
		return;
	}
	log_info("reload: %s = %s", name, now);
	r->applied++;
}

void
reload_conf(struct conf *running, const char *path)
{
	struct conf	 next;
	struct rl	 r;
	char		 err[1024];

	if (conf_load_path(&next, path, err, sizeof(err)) < 0) {
		log_err("reload: %s; the running configuration stays", err);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.running = running;
	r.next = &next;
	conf_each(&next, 1, one, &r);
	log_set_level(running->log_level);
	log_info("reload: %s read: %d change%s applied, %d need%s a restart",
	    conf_path(path), r.applied, r.applied == 1 ? "" : "s", r.restart,
	    r.restart == 1 ? "s" : "");
	conf_free(&next);
}
