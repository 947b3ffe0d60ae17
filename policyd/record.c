/*
 * record -- outpost-policyd's own refusals in the delivery log.
 *
 * Postfix's NOQUEUE lines do not name the SASL user; policyd knows it,
 * so it records what it refused itself (lib/schema.h "DELIVERY LOG"):
 * one event through lib/dlog's one writer, status and category
 * "refused", class the reason (dec_refusal: unknown, suspended, domain,
 * nodomain, suppressed, limit, badrcpt), reply the text policyd answered,
 * host this machine's name (the MTA's: policyd runs beside it), qid (at
 * RCPT often none yet), who, client, from, rcpt (their suppression
 * form).  At END-OF-MESSAGE the policy request names a recipient only
 * when there is one; the event then carries it, else none.
 *
 * Fire and forget: rec_refusal is called after the reply was queued; the
 * commands run on the daemon's asynchronous connection and nobody waits
 * for them.  First a GET of the schema marker (its own command, as
 * mark.c asks it, for a Cluster's sake), then the script only if the
 * marker is there: a Redis emptied under the daemon (refusals judged
 * within the marker's cache second) must stay empty, not be refilled
 * with log keys.  Its event and argument strings live in one allocation freed
 * by the callback.  A failed write is logged at debug (server.c logs
 * Redis errors themselves, rate-limited).  Refusals only logged
 * (policyd_dry_run) never get here: the caller records the action it
 * actually answered.  A refusal is not an attempt: dlog counts it as
 * "refused" in st:H only, never in the rt:H inputs of the pause rates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "aredis.h"
#include "conf.h"
#include "dlog.h"
#include "log.h"
#include "mailaddr.h"
#include "policyd.h"
#include "schema.h"
#include "xmalloc.h"

_Static_assert(DLOG_ARGS_MAX <= AREDIS_MAXARGS, "aredis takes dlog's args");

struct rec {
	struct dlog_event	 ev;
	struct dlog_cmd		 cmd;
	char			 host[256], qid[64], who[256], client[64];
	char			 from[512], rcpt[512];	/* dec_call's */
	char			 reply[DEC_REPLY_MAX + 1], dsn[16];
	struct aredis		*ar;
};

static void	on_written(const redisReply *, void *);

static void
on_marker(const redisReply *rep, void *arg)
{
	struct rec	*r = arg;

	if (rep == NULL || rep->type != REDIS_REPLY_STRING) {
		log_debug("%s: user=%s: refusal not recorded in the delivery "
		    "log (%s)", r->qid[0] ? r->qid : "NOQUEUE", r->who,
		    rep == NULL ? "redis error" : "no schema marker");
		free(r);
		return;
	}
	aredis_eval(r->ar, dlog_script, r->cmd.nkeys, r->cmd.argc,
	    r->cmd.argv, r->cmd.argvlen, on_written, r);
}

static void
on_written(const redisReply *rep, void *arg)
{
	struct rec	*r = arg;

	if (rep == NULL)
		log_debug("%s: user=%s: refusal not recorded in the delivery "
		    "log (redis error)", r->qid[0] ? r->qid : "NOQUEUE",
		    r->who);
	free(r);
}

/* The suppression form of an address, or the text as it is. */
static void
sup_form(const struct conf *cf, const char *in, char *out, size_t len)
{
	char	 err[128];

	if (mailaddr_norm(in, out, len, err, sizeof(err)) == 0)
		schema_sup_addr(cf, out);
	else
		snprintf(out, len, "%s", in);
}

/* "550 5.1.1 text": the enhanced code, X.Y.Z, into dsn ("" if none). */
static void
dsn_of(const char *reply, char *dsn, size_t len)
{
	size_t	 n;

	dsn[0] = '\0';
	if (strlen(reply) < 5 || reply[3] != ' ' || (reply[4] != '2' &&
	    reply[4] != '4' && reply[4] != '5') || reply[5] != '.')
		return;
	n = strspn(reply + 4, "0123456789.");
	if (n >= len || n < 5)
		return;
	memcpy(dsn, reply + 4, n);
	dsn[n] = '\0';
}

static long long
now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void
rec_refusal(struct aredis *ar, const struct conf *cf, const char *host,
    const struct dec_call *c, const char *why, const char *action)
{
	struct rec	*r;
	const char	*argv[2];
	char		 err[256], mark[SCHEMA_KEY_MAX];

	r = xcalloc(1, sizeof(*r));
	snprintf(r->host, sizeof(r->host), "%s", host);
	snprintf(r->qid, sizeof(r->qid), "%s", c->queue_id);
	snprintf(r->who, sizeof(r->who), "%s", c->user);
	snprintf(r->client, sizeof(r->client), "%s", c->client);
	snprintf(r->reply, sizeof(r->reply), "%s", action);
	sup_form(cf, c->sender, r->from, sizeof(r->from));
	sup_form(cf, c->recipient, r->rcpt, sizeof(r->rcpt));
	r->ev.t = now_ms();
	r->ev.host = r->host, r->ev.qid = r->qid, r->ev.who = r->who;
	r->ev.client = r->client, r->ev.from = r->from, r->ev.rcpt = r->rcpt;
	r->ev.status = "refused", r->ev.category = "refused";
	r->ev.class = why, r->ev.reply = r->reply;
	r->ev.code = atoi(action);
	dsn_of(action, r->dsn, sizeof(r->dsn));
	r->ev.dsn = r->dsn;
	if (dlog_build(cf, &r->ev, &r->cmd, err, sizeof(err)) < 0) {
		log_debug("%s: user=%s: refusal not recorded in the delivery "
		    "log: %s", r->qid[0] ? r->qid : "NOQUEUE", r->who, err);
		free(r);
		return;
	}
	r->ar = ar;
	schema_key_global(cf, SCHEMA_MARK, mark, sizeof(mark));
	argv[0] = "GET", argv[1] = mark;
	aredis_command(ar, 1, 2, argv, NULL, on_marker, r);
}
