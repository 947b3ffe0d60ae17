/*
 * dlog -- the delivery log writer; see dlog.h for the contract and
 * lib/schema.h for the keys.
 *
 * The script.  KEYS: [1] P{log}:seq, [2] "P{log}:e:" (the event key is
 * [2] .. EID), [3] st:WHO:H, [4] rt:WHO, [5] P{log}:who, [6] Pschema (the
 * marker: without it nothing is written, reply -1) or, when the marker
 * is not checked here (a Cluster: another slot), KEYS[1] again, [7] the
 * fleet's st:*:H and [8] its day's st:*:d:D (the st fields added to
 * both too), [9..] the index sorted sets.  ARGV: [1] T (ms), [2]
 * log_retention (ms), [3] T - retention (the trim cut), [4] st TTL (s), [5] rt TTL (s), [6] nst, [7]
 * nrt, [8] WHO, [9] T - SCHEMA_STATS_TTL (the cut of P{log}:who), [10]
 * "1": check the marker, [11] the hour H, [12] the lowest hour rt:WHO
 * keeps, then nst st fields, nrt rt fields (each + 1; rt's as
 * "NAME:H"), then the event's field/value pairs (none: counters only,
 * reply 0, P{log}:who untouched).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dlog.h"
#include "dlog_int.h"
#include "redis.h"

const char dlog_script[] =
    DLOG_LUA_RT
    "if ARGV[10] == '1' and redis.call('EXISTS', KEYS[6]) == 0 then\n"
    "  return -1\n"
    "end\n"
    "local nst, nrt = tonumber(ARGV[6]), tonumber(ARGV[7])\n"
    "local i = 13\n"
    "for j = 1, nst do\n"
    "  redis.call('HINCRBY', KEYS[3], ARGV[i], 1)\n"
    "  redis.call('HINCRBY', KEYS[7], ARGV[i], 1)\n"
    "  redis.call('HINCRBY', KEYS[8], ARGV[i], 1); i = i + 1\n"
    "end\n"
    "if nst > 0 then\n"
    "  redis.call('EXPIRE', KEYS[3], ARGV[4])\n"
    "  redis.call('EXPIRE', KEYS[7], ARGV[4])\n"
    "  redis.call('EXPIRE', KEYS[8], ARGV[4])\n"
    "end\n"
    "if nrt > 0 then\n"
    "  local f = {}\n"
    "  for j = 1, nrt do f[j] = {ARGV[i], 1}; i = i + 1 end\n"
    "  rt(KEYS[4], tonumber(ARGV[12]), tonumber(ARGV[11]), f)\n"
    "  redis.call('EXPIRE', KEYS[4], ARGV[5])\n"
    "end\n"
    "if i > #ARGV then return 0 end\n"
    "redis.call('ZADD', KEYS[5], ARGV[1], ARGV[8])\n"
    "redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[9])\n"
    "redis.call('PEXPIRE', KEYS[5], ARGV[4] * 1000)\n"
    "local eid = redis.call('INCR', KEYS[1])\n"
    "local ek = KEYS[2] .. eid\n"
    "redis.call('HSET', ek, unpack(ARGV, i))\n"
    "redis.call('PEXPIRE', ek, ARGV[2])\n"
    "for k = 9, #KEYS do\n"
    "  redis.call('ZADD', KEYS[k], ARGV[1], eid)\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', '(' .. ARGV[3])\n"
    "  redis.call('PEXPIRE', KEYS[k], ARGV[2])\n"
    "end\n"
    "return eid\n";

int
dlog_mark_in_script(const struct conf *cf)
{
	return cf->redis_address == NULL ||
	    strncmp(cf->redis_address, "cluster:", 8) != 0;
}

long long
dlog_rt_lo(const struct conf *cf, long long hour)
{
	return hour - cf->bounce_window / 3600000 - 1;
}

void
dlog_figures(const char *status, const char *category, const char **st,
    int *nst, const char **rt, int *nrt)
{
	*nst = *nrt = 0;
	if (category != NULL && strcmp(category, "notice") == 0)
		return;
	if (strcmp(status, "deferred") == 0) {
		st[(*nst)++] = "deferred";
		return;
	}
	if (strcmp(status, "refused") == 0) {
		st[(*nst)++] = "refused";
		return;
	}
	if (strcmp(status, "delivered") != 0 && strcmp(status, "bounced") &&
	    strcmp(status, "expired") != 0)
		return;
	st[(*nst)++] = "sent";
	rt[(*nrt)++] = "attempts";
	if (strcmp(status, "delivered") == 0) {
		st[(*nst)++] = "delivered";
		rt[(*nrt)++] = "delivered";
	} else if (strcmp(status, "expired") == 0)
		st[(*nst)++] = "expired";
	else if (category != NULL && strcmp(category, "hard") == 0) {
		st[(*nst)++] = "hard";
		rt[(*nrt)++] = "hard";
	} else if (category != NULL && strcmp(category, "block") == 0)
		st[(*nst)++] = "block";
	else
		st[(*nst)++] = "soft";
}

static void
push(struct dlog_cmd *c, const char *s, size_t n)
{
	c->argv[c->argc] = s;
	c->argvlen[c->argc++] = n;
}

static void
push_num(struct dlog_cmd *c, int slot, long long v)
{
	snprintf(c->num[slot], sizeof(c->num[slot]), "%lld", v);
	push(c, c->num[slot], strlen(c->num[slot]));
}

/* KEYS[1..8]; the key buffers 0..7. */
static int
head(const struct conf *cf, const char *who, long long t, struct dlog_cmd *c)
{
	long long	 hour = t / 3600000;

	memset(c, 0, sizeof(*c));
	if (t < 0 || !schema_who_valid(who) ||
	    schema_key_log(cf, SCHEMA_LOG_SEQ, NULL, c->keys[0],
	    SCHEMA_KEY_MAX) < 0 ||
	    schema_key_log(cf, SCHEMA_LOG_EVENT, "", c->keys[1],
	    SCHEMA_KEY_MAX) < 0 ||
	    schema_key_figures(cf, who, SCHEMA_ST, hour, c->keys[2],
	    SCHEMA_KEY_MAX) < 0 ||
	    schema_key_figures(cf, who, SCHEMA_RT, hour, c->keys[3],
	    SCHEMA_KEY_MAX) < 0 ||
	    schema_key_log(cf, SCHEMA_LOG_WHO, NULL, c->keys[4],
	    SCHEMA_KEY_MAX) < 0)
		return -1;
	if (!dlog_mark_in_script(cf))
		memcpy(c->keys[5], c->keys[0], SCHEMA_KEY_MAX);
	else if (schema_key_global(cf, SCHEMA_MARK, c->keys[5],
	    SCHEMA_KEY_MAX) < 0)
		return -1;
	if (schema_key_fleet(cf, hour, c->keys[6], SCHEMA_KEY_MAX) < 0 ||
	    schema_key_fleet_day(cf, t / 86400000, c->keys[7],
	    SCHEMA_KEY_MAX) < 0)
		return -1;
	c->nkeys = 8;
	return 0;
}

static int
add_index(const struct conf *cf, struct dlog_cmd *c, const char *kind,
    const char *val)
{
	if (val == NULL || *val == '\0')
		return 0;
	if (schema_key_log(cf, kind, val, c->keys[c->nkeys],
	    SCHEMA_KEY_MAX) < 0)
		return -1;
	c->nkeys++;
	return 0;
}

/* KEYS are argv[0 .. nkeys-1]: lay them out, then ARGV[1..12]. */
static void
args_head(const struct conf *cf, struct dlog_cmd *c, long long t,
    const char *who, const char **st, int nst, const char **rt, int nrt)
{
	int	 i;

	for (i = 0; i < c->nkeys; i++)
		push(c, c->keys[i], strlen(c->keys[i]));
	push_num(c, 0, t);
	push_num(c, 1, cf->log_retention);
	push_num(c, 2, t - cf->log_retention);
	push_num(c, 3, SCHEMA_STATS_TTL);
	push_num(c, 4, cf->bounce_window / 1000 + 3600);
	push_num(c, 5, nst);
	push_num(c, 6, nrt);
	push(c, who, strlen(who));
	push_num(c, 8, t - (long long)SCHEMA_STATS_TTL * 1000);
	push(c, dlog_mark_in_script(cf) ? "1" : "0", 1);
	push_num(c, 9, t / 3600000);
	push_num(c, 10, dlog_rt_lo(cf, t / 3600000));
	for (i = 0; i < nst; i++)
		push(c, st[i], strlen(st[i]));
	for (i = 0; i < nrt; i++)
		push(c, rt[i], strlen(rt[i]));
}

static void
pair(struct dlog_cmd *c, const char *name, const char *val, size_t max)
{
	size_t	 n;

	if (val == NULL || *val == '\0')
		return;
	n = strlen(val);
	push(c, name, strlen(name));
	push(c, val, n > max ? max : n);
}

static void
event_pairs(struct dlog_cmd *c, const struct dlog_event *ev)
{
	size_t	 big = SCHEMA_REPLY_MAX;

	push(c, "t", 1);
	push(c, c->num[0], strlen(c->num[0]));	/* T, already formatted */
	pair(c, "host", ev->host, big);
	pair(c, "qid", ev->qid, big);
	pair(c, "who", ev->who, big);
	pair(c, "client", ev->client, big);
	pair(c, "from", ev->from, big);
	pair(c, "rcpt", ev->rcpt, big);
	pair(c, "orig_to", ev->orig_to, big);
	pair(c, "status", ev->status, big);
	pair(c, "dsn", ev->dsn, big);
	if (ev->code > 0) {
		snprintf(c->num[7], sizeof(c->num[7]), "%d", ev->code);
		pair(c, "code", c->num[7], big);
	}
	pair(c, "reply", ev->reply, SCHEMA_REPLY_MAX);
	pair(c, "relay", ev->relay, big);
	pair(c, "relay_ip", ev->relay_ip, big);
	pair(c, "delay", ev->delay, big);
	pair(c, "category", ev->category, big);
	pair(c, "class", ev->class, big);
	pair(c, "rule", ev->rule, big);
	if (ev->notice != NULL && *ev->notice != '\0')	/* one or the other: */
		pair(c, "notice", ev->notice, big);	/* DLOG_ARGS_MAX */
	else
		pair(c, "msgid", ev->msgid, big);
}

int
dlog_build(const struct conf *cf, const struct dlog_event *ev,
    struct dlog_cmd *c, char *err, size_t errlen)
{
	const char	*st[DLOG_FIG_MAX], *rt[DLOG_FIG_MAX];
	int		 nst, nrt;

	if (ev->status == NULL || *ev->status == '\0') {
		snprintf(err, errlen, "delivery event without a status");
		return -1;
	}
	if (ev->who == NULL || head(cf, ev->who, ev->t, c) < 0) {
		snprintf(err, errlen, "delivery event: bad sender \"%s\" or "
		    "time", ev->who ? ev->who : "");
		return -1;
	}
	schema_key_log(cf, SCHEMA_LOG_ALL, NULL, c->keys[c->nkeys++],
	    SCHEMA_KEY_MAX);
	if (add_index(cf, c, SCHEMA_LOG_USER, ev->who) < 0 ||
	    add_index(cf, c, SCHEMA_LOG_RCPT, ev->rcpt) < 0 ||
	    add_index(cf, c, SCHEMA_LOG_FROM, ev->from) < 0 ||
	    add_index(cf, c, SCHEMA_LOG_QID, ev->qid) < 0) {
		snprintf(err, errlen, "delivery event: a recipient, sender or "
		    "queue ID that cannot be a key");
		return -1;
	}
	dlog_figures(ev->status, ev->category, st, &nst, rt, &nrt);
	args_head(cf, c, ev->t, ev->who, st, nst, rt, nrt);
	event_pairs(c, ev);
	return 0;
}

int
dlog_build_count(const struct conf *cf, const char *who, long long t,
    const char *field, struct dlog_cmd *c, char *err, size_t errlen)
{
	const char	*f[1] = { field };

	if (head(cf, who, t, c) < 0) {
		snprintf(err, errlen, "bad sender \"%s\" or time", who);
		return -1;
	}
	args_head(cf, c, t, who, f, 1, f, 1);
	return 0;
}

static long long
run(struct redis *r, struct dlog_cmd *c, char *err, size_t errlen)
{
	redisReply	*rep;
	long long	 v;

	rep = redis_eval(r, dlog_script, c->nkeys, c->argc, c->argv,
	    c->argvlen);
	if (rep == NULL) {
		snprintf(err, errlen, "%s", redis_errstr(r));
		return -1;
	}
	v = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -2;
	freeReplyObject(rep);
	if (v == -1)
		snprintf(err, errlen, "delivery log: the schema marker is "
		    "missing (Redis emptied?): nothing written");
	else if (v < 0)
		snprintf(err, errlen, "delivery log: unexpected reply");
	return v < 0 ? -1 : v;
}

long long
dlog_write(struct redis *r, const struct conf *cf,
    const struct dlog_event *ev, char *err, size_t errlen)
{
	struct dlog_cmd	 c;

	if (dlog_build(cf, ev, &c, err, errlen) < 0)
		return -1;
	return run(r, &c, err, errlen);
}

int
dlog_count(struct redis *r, const struct conf *cf, const char *who,
    long long t, const char *field, char *err, size_t errlen)
{
	struct dlog_cmd	 c;

	if (dlog_build_count(cf, who, t, field, &c, err, errlen) < 0)
		return -1;
	return run(r, &c, err, errlen) < 0 ? -1 : 0;
}
