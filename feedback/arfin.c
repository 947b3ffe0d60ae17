/*
 * arfin -- outpost-feedback --arf: one complaint report on standard input
 * (a Postfix pipe transport on the feedback-loop address).  The original
 * is found by its Message-ID (Plog:m) or by a Received "id QID" of a hop
 * whose by-host is the MTA that logged that queue ID (Plog:q events);
 * the complaining recipient is Original-Rcpt-To, the JMRP recipient or
 * the original's To when not redacted, else the one recipient the log
 * shows for that queue ID.  It is suppressed for the sending user
 * (reason complaint, no expiry), the complaint is counted in st:H and
 * rt:H, and the complaint rate is checked.  Exit: 0 done (also for a
 * report that cannot be attributed: logged, never bounced), 75 when
 * Redis failed (Postfix retries).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/time.h>

#include "arf.h"
#include "conf.h"
#include "dlog.h"
#include "feedback.h"
#include "log.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"
#include "xmalloc.h"

#define ARF_INPUT_MAX	(10 * 1024 * 1024)
#define EX_TEMPFAIL	75

struct orig {
	char	 who[FB_WHO_MAX];
	char	 qid[64];
	char	 host[FB_HOST_MAX];
	char	 rcpt[FB_ADDR_MAX];
};

static char *
slurp(size_t *len)
{
	size_t	 cap = 65536, n = 0, r;
	char	*b = xmalloc(cap);

	while ((r = fread(b + n, 1, cap - n, stdin)) > 0) {
		n += r;
		if (n == cap) {
			if (cap >= ARF_INPUT_MAX)
				break;
			cap *= 2;
			b = xrealloc(b, cap);
		}
	}
	*len = n;
	return b;
}

/* HGET-like: the value of field f in an HGETALL reply, or NULL. */
static const char *
hfield(const redisReply *rep, const char *f)
{
	size_t	 i;

	for (i = 0; i + 1 < rep->elements; i += 2)
		if (strcmp(rep->element[i]->str, f) == 0)
			return rep->element[i + 1]->str;
	return NULL;
}

static void
copy(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s != NULL ? s : "");
}

/*
 * By Message-ID: the day hashes P{log}:m:D from today back to the
 * retention and one day more, newest first (one pipelined HGET each);
 * 1 found, 0 not, -1 Redis.
 */
static int
by_msgid(struct fb *fb, const char *msgid, struct orig *o)
{
	char		 key[SCHEMA_KEY_MAX], day[24], *f[5], *p;
	redisReply	*rep;
	long long	 today = (long long)time(NULL) / 86400, d, ndays;
	int		 found = 0, io = 0, i;

	if (msgid == NULL || *msgid == '\0')
		return 0;
	ndays = fb->conf->log_retention / 86400000 + 2;
	for (d = 0; d < ndays; d++) {
		snprintf(day, sizeof(day), "%lld", today - d);
		if (schema_key_log(fb->conf, SCHEMA_LOG_MSGID, day, key,
		    sizeof(key)) < 0 ||
		    redis_append(fb->r, "HGET %s %s", key, msgid) < 0)
			return -1;
	}
	for (d = 0; d < ndays; d++) {
		if ((rep = redis_get_reply(fb->r)) == NULL) {
			io = 1;
			continue;
		}
		if (!found && rep->type == REDIS_REPLY_STRING) {
			/* "T\nHOST\nQID\nWHO\nFROM" */
			for (p = rep->str, i = 0; i < 5 && p != NULL; i++) {
				f[i] = p;
				if ((p = strchr(p, '\n')) != NULL)
					*p++ = '\0';
			}
			if (i == 5) {
				copy(o->host, sizeof(o->host), f[1]);
				copy(o->qid, sizeof(o->qid), f[2]);
				copy(o->who, sizeof(o->who), f[3]);
				found = o->who[0] != '\0';
			}
		}
		freeReplyObject(rep);
	}
	if (io && !found)
		return -1;
	return found;
}

/* The events of qid (newest first, at most 100): each as HGETALL. */
static redisReply *
qid_events(struct fb *fb, const char *qid)
{
	char		 key[SCHEMA_KEY_MAX], ek[SCHEMA_KEY_MAX];
	redisReply	*ids, *rep;
	size_t		 i;

	if (schema_key_log(fb->conf, SCHEMA_LOG_QID, qid, key,
	    sizeof(key)) < 0)
		return NULL;
	if ((ids = redis_command(fb->r, "ZREVRANGE %s 0 99", key)) == NULL)
		return NULL;
	for (i = 0; i < ids->elements; i++) {
		schema_key_log(fb->conf, SCHEMA_LOG_EVENT, ids->element[i]->str,
		    ek, sizeof(ek));
		redis_append(fb->r, "HGETALL %s", ek);
	}
	for (i = 0; i < ids->elements; i++) {
		if ((rep = redis_get_reply(fb->r)) == NULL)
			continue;
		freeReplyObject(ids->element[i]);
		ids->element[i] = rep;
	}
	return ids;
}

/* A Received hop "by HOST id QID" of ours; 1 found, 0 not, -1 Redis. */
static int
by_received(struct fb *fb, const struct arf_report *a, struct orig *o)
{
	redisReply	*ev;
	const char	*h, *by;
	size_t		 i, j, n;

	for (i = 0; i < a->orig.nreceived; i++) {
		if ((by = a->orig.received[i].by) == NULL ||
		    a->orig.received[i].id == NULL)
			continue;
		if ((ev = qid_events(fb, a->orig.received[i].id)) == NULL)
			return redis_is_io_error(fb->r) ? -1 : 0;
		for (j = 0; j < ev->elements && o->who[0] == '\0'; j++) {
			if (ev->element[j]->type != REDIS_REPLY_ARRAY ||
			    (h = hfield(ev->element[j], "host")) == NULL)
				continue;
			n = strlen(h);
			if (strcasecmp(by, h) != 0 && (strncasecmp(by, h, n) ||
			    by[n] != '.'))
				continue;
			copy(o->who, sizeof(o->who),
			    hfield(ev->element[j], "who"));
			copy(o->qid, sizeof(o->qid), a->orig.received[i].id);
			copy(o->host, sizeof(o->host), h);
		}
		freeReplyObject(ev);
		if (o->who[0] != '\0')
			return 1;
	}
	return 0;
}

static int
usable(const char *addr)
{
	const char	*at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL ||
	    at == addr || at[1] == '\0' || strcasestr(addr, "redacted"))
		return 0;
	return strspn(addr, "xX*") != (size_t)(at - addr);
}

/* The one delivered recipient of the original in the log, if one. */
static int
rcpt_from_log(struct fb *fb, struct orig *o)
{
	redisReply	*ev;
	const char	*r, *st, *h;
	size_t		 j;
	int		 n = 0;

	if ((ev = qid_events(fb, o->qid)) == NULL)
		return redis_is_io_error(fb->r) ? -1 : 0;
	for (j = 0; j < ev->elements; j++) {
		if (ev->element[j]->type != REDIS_REPLY_ARRAY ||
		    (r = hfield(ev->element[j], "rcpt")) == NULL ||
		    (st = hfield(ev->element[j], "status")) == NULL ||
		    strcmp(st, "delivered") != 0 ||
		    ((h = hfield(ev->element[j], "host")) != NULL &&
		    o->host[0] != '\0' && strcmp(h, o->host) != 0) ||
		    strcmp(r, o->rcpt) == 0)
			continue;
		copy(o->rcpt, sizeof(o->rcpt), r);
		n++;
	}
	freeReplyObject(ev);
	if (n != 1)
		o->rcpt[0] = '\0';
	return 0;
}

static int
recipient(struct fb *fb, const struct arf_report *a, struct orig *o)
{
	const char	*cand = NULL;
	char		 err[128];
	size_t		 i;

	for (i = 0; i < a->nrcpt_to && cand == NULL; i++)
		if (usable(a->rcpt_to[i]))
			cand = a->rcpt_to[i];
	if (cand == NULL && usable(a->orig.ms_rcpt))
		cand = a->orig.ms_rcpt;
	if (cand == NULL && usable(a->orig.to_addr))
		cand = a->orig.to_addr;
	if (cand != NULL) {
		if (mailaddr_norm(cand, o->rcpt, sizeof(o->rcpt), err,
		    sizeof(err)) < 0)
			o->rcpt[0] = '\0';
		else
			schema_sup_addr(fb->conf, o->rcpt);
		return 0;
	}
	return rcpt_from_log(fb, o);
}

static int
attribute(struct fb *fb, const struct arf_report *a, struct orig *o)
{
	int	 rc;

	memset(o, 0, sizeof(*o));
	if ((rc = by_msgid(fb, a->orig.message_id, o)) == 0)
		rc = by_received(fb, a, o);
	if (rc <= 0)
		return rc;
	return recipient(fb, a, o) < 0 ? -1 : 1;
}

static long long
now_ms(void)
{
	struct timeval	 tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int
act(struct fb *fb, const struct orig *o)
{
	struct dlog_cmd	 cmd;
	char		 err[512];

	if (o->who[0] == '[') {
		log_info("complaint qid=%s who=%s: mail without SASL, not "
		    "counted", o->qid, o->who);
		return 0;
	}
	if (o->rcpt[0] == '\0')
		log_info("complaint qid=%s user=%s: the recipient is redacted "
		    "and not in the log: nothing suppressed", o->qid, o->who);
	else if (fx_suppress(fb, o->who, o->rcpt, SUP_COMPLAINT, err,
	    sizeof(err)) < 0)
		return -1;
	if (dlog_build_count(fb->conf, o->who, now_ms(), DLOG_COMPLAINT, &cmd,
	    err, sizeof(err)) < 0) {
		log_warn("complaint qid=%s: %s", o->qid, err);
		return 0;
	}
	if (batch_eval(fb, dlog_script, FBQ_NONE, NULL, cmd.nkeys, cmd.argc,
	    cmd.argv, cmd.argvlen) < 0)
		return -1;
	batch_check(fb, o->who, now_ms());
	if (batch_commit(fb) < 0)
		return -1;
	log_info("complaint qid=%s user=%s rcpt=%s counted", o->qid, o->who,
	    o->rcpt[0] ? o->rcpt : "(unknown)");
	return 0;
}

int
arf_main(struct fb *fb)
{
	struct arf_report	 a;
	struct orig		 o;
	char			 err[256], *msg;
	size_t			 len;
	int			 rc;

	msg = slurp(&len);
	if (arf_parse(msg, len, ARF_INPUT_MAX, &a, err, sizeof(err)) < 0)
		fatal("%s", err);
	free(msg);
	if (!a.is_arf && a.kind != ARF_KIND_JMRP) {
		log_info("not a complaint report (%s): ignored", a.why);
		arf_report_free(&a);
		return 0;
	}
	if ((rc = attribute(fb, &a, &o)) == 0)
		log_info("complaint report not attributed: message-id=%s "
		    "from=%s", a.orig.message_id ? a.orig.message_id : "-",
		    a.report_from ? a.report_from : "-");
	if (rc > 0)
		rc = act(fb, &o);
	arf_report_free(&a);
	if (rc < 0) {
		log_err("redis: %s: the report is retried later",
		    redis_errstr(fb->r));
		return EX_TEMPFAIL;
	}
	return 0;
}
