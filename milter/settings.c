/*
 * settings -- the reloadable part of the milter's configuration, as
 * reference-counted snapshots that SIGHUP replaces.
 *
 * libmilter runs one connection's callbacks on several worker threads, so
 * a configuration cannot be changed in place.  A snapshot is immutable:
 * a whole struct conf and what the callbacks derive from it (internal
 * networks parsed, canonicalisation and algorithm flags).  A message
 * takes the current snapshot at MAIL FROM and keeps it until its end or
 * abort, so every decision about one message is made with one
 * configuration; a reload installs a new snapshot under a lock and the
 * old one is freed when its last message lets go.
 *
 *   settings_init(conf)     the first snapshot, a copy of conf (the
 *                           start-up configuration, G.conf).  Once.
 *   settings_get()          the current snapshot, with a reference
 *   settings_put(s)         drops it; NULL-safe, returns NULL
 *   settings_reload(path)   SIGHUP: read path; a bad file is logged with
 *                           file:line and nothing changes.  Keys in
 *                           live[] take effect for the next message;
 *                           keys the milter does not use (ignored[]) are
 *                           taken without a word; every other key that
 *                           changed is logged "KEY changed: needs a
 *                           restart" and keeps its running value: the
 *                           socket, the account, the key directory and
 *                           the Redis and DNS clients (which keep a
 *                           pointer to G.conf) are set up once.
 *                           require_alignment, relay_addresses and
 *                           milter_mode (away from sign) apply only when
 *                           what they need (the resolver, the SPF
 *                           helper) was started at start-up.
 *                           Called from one thread (signals.c).
 *   settings_fini()         drops the current snapshot (at exit)
 *
 * G.conf itself is never changed after start-up.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "milter.h"
#include "xmalloc.h"

/* Keys read per message: a change applies to the next one. */
static const char *const live[] = {
	"log_level", "on_error", "milter_mode", "internal_hosts",
	"sign_daemon_name", "sign_algorithms", "canonicalization",
	"sign_headers", "oversign_headers", "sign_subdomains",
	"authorize_senders", "require_alignment", "relay_addresses",
	"dns_error_action", "policyd_unknown_user",
	"authserv_id", "dmarc_enforce", "max_signatures",
	NULL
};

/* Keys of outpost-policyd and outpost-feedback: no concern of the milter. */
static const char *const ignored[] = {
	"policyd_listen", "policyd_idle_timeout", "default_plan",
	"suppress_fold_case", "policyd_dry_run", "feedback_log",
	"bounce_rules", "bounce_rules_local", "log_retention",
	"hard_bounce_suppress_for", "bounce_window", "bounce_min_sample",
	"bounce_pause_rate", "complaint_pause_rate",
	NULL
};

static struct {
	pthread_mutex_t	 lock;
	struct msettings *cur;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct reload {
	const struct conf *running;
	struct conf	*next;
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
msettings_free(struct msettings *s)
{
	conf_free(&s->conf);
	free(s->internal);
	free(s);
}

/* A snapshot owning *c (moved in); NULL with err set on a bad value. */
static struct msettings *
build(struct conf *c, char *err, size_t errlen)
{
	struct msettings *s = xcalloc(1, sizeof(*s));
	const char	*slash = strchr(c->canonicalization, '/');
	size_t		 i;

	s->refs = 1;
	s->conf = *c;
	memset(c, 0, sizeof(*c));
	s->relaxed_header = strncmp(s->conf.canonicalization, "relaxed",
	    7) == 0;
	s->relaxed_body = slash != NULL && strcmp(slash + 1, "relaxed") == 0;
	s->sign_rsa = strlist_has(&s->conf.sign_algorithms, "rsa-sha256");
	s->sign_ed25519 = strlist_has(&s->conf.sign_algorithms,
	    "ed25519-sha256");
	s->ninternal = s->conf.internal_hosts.n;
	s->internal = xcalloc(s->ninternal + 1, sizeof(*s->internal));
	for (i = 0; i < s->ninternal; i++)
		if (cidr_parse(s->conf.internal_hosts.v[i],
		    &s->internal[i]) < 0) {
			snprintf(err, errlen, "internal_hosts: bad network "
			    "\"%s\"", s->conf.internal_hosts.v[i]);
			msettings_free(s);
			return NULL;
		}
	return s;
}

void
settings_init(const struct conf *c)
{
	struct conf	 copy;
	char		 err[512];

	if (conf_copy(&copy, c) < 0)
		fatal("out of memory");
	if ((S.cur = build(&copy, err, sizeof(err))) == NULL)
		fatal("%s", err);
}

struct msettings *
settings_get(void)
{
	struct msettings *s;

	pthread_mutex_lock(&S.lock);
	s = S.cur;
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&S.lock);
	return s;
}

struct msettings *
settings_put(struct msettings *s)
{
	if (s != NULL && __atomic_sub_fetch(&s->refs, 1,
	    __ATOMIC_SEQ_CST) == 0)
		msettings_free(s);
	return NULL;
}

/* A key that must keep its running value: put it back into next. */
static void
keep(struct reload *r, const char *name, const char *was, const char *why)
{
	char	 err[512];

	if (conf_set(r->next, name, was, err, sizeof(err)) < 0)
		fatal("reload: %s: cannot keep \"%s\": %s", name, was, err);
	log_warn("reload: %s changed: needs a restart (%s; the running "
	    "milter keeps the old value)", name, why);
	r->restart++;
}

/* Resources set up at start-up only: does next need one that is absent? */
static const char *
missing_resource(const struct conf *next, const char *name)
{
	if (strcmp(name, "require_alignment") == 0 &&
	    next->require_alignment != ALIGN_NO && G.dns == NULL)
		return "no DNS resolver was started with require_alignment "
		    "= no";
	if (strcmp(name, "milter_mode") == 0 &&
	    next->milter_mode != MODE_SIGN && (G.dns == NULL || G.spf == NULL))
		return "inbound verification needs the resolver and the SPF "
		    "helper, not started with milter_mode = sign";
	if (strcmp(name, "relay_addresses") == 0 &&
	    next->require_alignment != ALIGN_NO &&
	    next->relay_addresses.n > 0 && G.spf == NULL)
		return "the SPF helper was not started";
	return NULL;
}

static void
one(const char *name, const char *value, void *arg)
{
	struct reload	*r = arg;
	char		 was[16384], now[16384];
	const char	*why;

	(void)value;
	if (conf_get_text(r->running, name, was, sizeof(was)) < 0 ||
	    conf_get_text(r->next, name, now, sizeof(now)) < 0 ||
	    strcmp(was, now) == 0 || listed(ignored, name))
		return;
	if (!listed(live, name)) {
		keep(r, name, was, "set up at start-up");
		return;
	}
	if ((why = missing_resource(r->next, name)) != NULL) {
		keep(r, name, was, why);
		return;
	}
	log_info("reload: %s = %s", name, now);
	r->applied++;
}

void
settings_reload(const char *path)
{
	struct msettings *running, *s, *old;
	struct conf	 next;
	struct reload	 r;
	char		 err[1024];

	if (conf_load_path(&next, path, err, sizeof(err)) < 0) {
		log_err("reload: %s; the running configuration stays", err);
		return;
	}
	running = settings_get();
	memset(&r, 0, sizeof(r));
	r.running = &running->conf;
	r.next = &next;
	conf_each(&next, 1, one, &r);
	running = settings_put(running);
	if ((s = build(&next, err, sizeof(err))) == NULL) {
		log_err("reload: %s; the running configuration stays", err);
		return;
	}
	pthread_mutex_lock(&S.lock);
	old = S.cur;
	S.cur = s;
	pthread_mutex_unlock(&S.lock);
	settings_put(old);
	log_set_level(s->conf.log_level);
	log_info("reload: %s read: %d change%s applied, %d need%s a restart",
	    conf_path(path), r.applied, r.applied == 1 ? "" : "s", r.restart,
	    r.restart == 1 ? "s" : "");
}

void
settings_fini(void)
{
	pthread_mutex_lock(&S.lock);
	S.cur = settings_put(S.cur);
	pthread_mutex_unlock(&S.lock);
}
