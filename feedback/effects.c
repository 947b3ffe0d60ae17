/*
 * effects -- what a hard bounce or a complaint does to the sending user:
 * the recipient suppressed for that user (written exactly as outpostctl
 * suppress add --user writes it), and the user's rates over
 * bounce_window from P{log}:rt:WHO checked against bounce_pause_rate and
 * complaint_pause_rate (suspended as outpostctl user suspend does, plus
 * paused_by=feedback).  "[IP]" senders are never touched.
 *
 * The delivery log is one Cluster slot ({log}), the user's keys another
 * ({u:WHO}), so what lands in the user's slot is never part of a batch:
 *   - a suppression is an idempotent command run BEFORE the batch that
 *     records its event (batch_pre): a crash in between applies it again
 *     on the restart, the same entry;
 *   - the pause check runs IN the batch (one script per user and batch,
 *     after the events' counters, one HGETALL of rt:WHO) and writes what
 *     it decides to the outbox P{log}:pause with the batch; after EXEC,
 *     fx_pauses_apply suspends the users it names (a script on their acct),
 *     adds them to the index of suspended users (Psuspended: a SADD, a
 *     third slot) and empties it -- and at start, for what a crash left
 *     there (a crash before the SADD: the entry is applied again, "already
 *     suspended", and the SADD made then).
 *
 *   fx_suppress(fb, who, addr, reason, err, errlen)
 *       addr in its suppression form; expiry hard_bounce_suppress_for for
 *       hard bounces (0 never), none for complaints.  0 (also when the
 *       user does not exist: logged), -1 out of memory.
 *   fx_check_rates(fb, who, n, hours, less)
 *       appends the check of who at n points of the batch: hours[i] the
 *       hour of the i-th (the window ends there), less[4 * i ..] what the
 *       batch's events after it add (attempts, hard, delivered,
 *       complaint), taken off the sums so each point sees the counters
 *       through its own event.  The first point at or over a rate
 *       decides.  0, -1 Redis failed.
 *   fx_rates_done(fb, who, reply)       logs; notes a pause to apply
 *   fx_sup_done(fb, kind, note, reply)  logs a suppression's outcome
 *   fx_pauses_apply(fb)                 the outbox applied; 0 / -1 Redis
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "feedback.h"
#include "log.h"
#include "ometrics.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"
#include "xmalloc.h"

/* KEYS bucket, acct; ARGV field, value.  -1 no such user, 1 new. */
static const char lua_sup[] =
    "if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end\n"
    "return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n";

/*
 * The pause check: KEYS rt:WHO, P{log}:pause; ARGV bounce_min_sample,
 * the two rates in ppm, the window in days, its hours before the last,
 * WHO, the number of points, then per point its hour and the 4 figures
 * to take off.  Returns {code, attempts, hard, delivered, complaint,
 * why} of the deciding point (2: at a rate, written to the outbox) or
 * of the last one (0).
 */
static const char lua_check[] =
    "local hv, ix = {}, {attempts = 1, hard = 2, delivered = 3,"
    " complaint = 4}\n"
    "local f = redis.call('HGETALL', KEYS[1])\n"
    "for i = 1, #f, 2 do\n"
    "  local n, x = string.match(f[i], '^(%a+):(%d+)$')\n"
    "  if n and ix[n] then\n"
    "    x = tonumber(x)\n"
    "    hv[x] = hv[x] or {0, 0, 0, 0}\n"
    "    hv[x][ix[n]] = tonumber(f[i + 1])\n"
    "  end\n"
    "end\n"
    "local min, bp, cp = tonumber(ARGV[1]), tonumber(ARGV[2]),"
    " tonumber(ARGV[3])\n"
    "local back, last, s = tonumber(ARGV[5]), nil, nil\n"
    "local function r(n, d, what)\n"
    "  return string.format('%s rate %.1f%% over %sd (%d/%d)', what,"
    " 100 * n / d, ARGV[4], n, d)\n"
    "end\n"
    "local res, i = {0, 0, 0, 0, 0, ''}, 8\n"
    "for p = 1, tonumber(ARGV[7]) do\n"
    "  local h = tonumber(ARGV[i])\n"
    "  if h ~= last then\n"
    "    s, last = {0, 0, 0, 0}, h\n"
    "    for x, v in pairs(hv) do\n"
    "      if x <= h and x >= h - back then\n"
    "        for j = 1, 4 do s[j] = s[j] + v[j] end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  local t = {}\n"
    "  for j = 1, 4 do t[j] = s[j] - tonumber(ARGV[i + j]) end\n"
    "  i = i + 5\n"
    "  local why = ''\n"
    "  if t[1] >= min then\n"
    "    if t[1] > 0 and bp > 0 and t[2] * 1000000 >= bp * t[1] then\n"
    "      why = r(t[2], t[1], 'hard-bounce')\n"
    "    elseif t[3] > 0 and cp > 0 and t[4] * 1000000 >= cp * t[3] then\n"
    "      why = r(t[4], t[3], 'complaint')\n"
    "    end\n"
    "  end\n"
    "  res = {0, t[1], t[2], t[3], t[4], why}\n"
    "  if why ~= '' then\n"
    "    redis.call('HSET', KEYS[2], ARGV[6],"
    " redis.call('TIME')[1] .. ' ' .. why)\n"
    "    res[1] = 2\n"
    "    return res\n"
    "  end\n"
    "end\n"
    "return res\n";

/*
 * The pause itself, in the user's slot: KEYS acct; ARGV reason, S (the
 * decision's unix seconds).  -1 no such user, 1 already suspended, 0 not
 * paused (a state change since S: an admin's resume wins over a decision
 * taken on the window it cleared), 2 suspended now.
 */
static const char lua_pause[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if redis.call('HGET', KEYS[1], 'state') == 'suspended' then"
    " return 1 end\n"
    "local since = tonumber(redis.call('HGET', KEYS[1], 'since')) or 0\n"
    "if since >= tonumber(ARGV[2]) then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'state', 'suspended', 'reason', ARGV[1],"
    " 'since', redis.call('TIME')[1], 'paused_by', 'feedback')\n"
    "return 2\n";

/* KEYS P{log}:pause; ARGV WHO, the value applied: deleted if unchanged. */
static const char lua_unpause[] =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then\n"
    "  return redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "end\n"
    "return 0\n";

int
fx_suppress(struct fb *fb, const char *who, const char *addr, int reason,
    char *err, size_t errlen)
{
	struct schema_sup	 e;
	char			 bucket[SCHEMA_KEY_MAX], acct[SCHEMA_KEY_MAX];
	char			 fld[SCHEMA_SUP_FIELD_MAX + 8], val[64];
	char			 note[FB_WHO_MAX + FB_ADDR_MAX + 16];
	const char		*av[4];
	size_t			 al[4];
	int			 flen;

	memset(&e, 0, sizeof(e));
	e.reason = reason;
	e.created = (long long)time(NULL);
	if (reason == SUP_HARD_BOUNCE && fb->conf->hard_bounce_suppress_for > 0)
		e.expires = e.created + fb->conf->hard_bounce_suppress_for /
		    1000;
	if (who[0] == '[' ||
	    (flen = schema_sup_field(addr, fld, sizeof(fld))) < 0 ||
	    schema_key_sup(fb->conf, who, schema_sup_bucket(addr, who),
	    bucket, sizeof(bucket)) < 0 ||
	    schema_key_user(fb->conf, who, SCHEMA_ACCT, acct,
	    sizeof(acct)) < 0 ||
	    schema_sup_encode(&e, val, sizeof(val)) < 0) {
		snprintf(err, errlen, "%s: cannot be suppressed for %s", addr,
		    who);
		return 0;
	}
	av[0] = bucket, al[0] = strlen(bucket);
	av[1] = acct, al[1] = strlen(acct);
	av[2] = fld, al[2] = (size_t)flen;
	av[3] = val, al[3] = strlen(val);
	snprintf(note, sizeof(note), "user=%s rcpt=%s", who, addr);
	batch_pre(fb, lua_sup, reason == SUP_HARD_BOUNCE ? FBQ_SUP_HARD :
	    FBQ_SUP_COMPLAINT, note, 2, 4, av, al);
	return 0;
}

/* The reply of fx_suppress's script, note "user=WHO rcpt=ADDR". */
void
fx_sup_done(struct fb *fb, int kind, const char *note, const redisReply *rep)
{
	(void)fb;
	if (rep->type == REDIS_REPLY_INTEGER && rep->integer < 0)
		log_info("%s: not suppressed: no such user", note);
	else {
		log_info("%s: suppressed (%s)", note, supcsv_reason_name(
		    kind == FBQ_SUP_HARD ? SUP_HARD_BOUNCE : SUP_COMPLAINT));
		prom_inc(om.suppressions, supcsv_reason_name(kind ==
		    FBQ_SUP_HARD ? SUP_HARD_BOUNCE : SUP_COMPLAINT), NULL);
	}
}

/* n/d >= ppm/1e6?  Exact in integers. */
static int
at_least(long long n, long long d, long ppm)
{
	return d > 0 && ppm > 0 && n * 1000000 >= (long long)ppm * d;
}

/* Append the check of who at n points (see the top). */
int
fx_check_rates(struct fb *fb, const char *who, size_t n,
    const long long *hours, const long long *less)
{
	const struct conf *c = fb->conf;
	char		 k[2][SCHEMA_KEY_MAX], (*a)[24];
	const char	**av;
	size_t		 i, j, na = 9 + 5 * n;
	int		 rc = -1;

	if (who[0] == '[' || n == 0)
		return 0;
	if (schema_key_figures(c, who, SCHEMA_RT, 0, k[0], sizeof(k[0])) < 0 ||
	    schema_key_log(c, SCHEMA_LOG_PAUSE, NULL, k[1], sizeof(k[1])) < 0)
		return 0;
	a = xcalloc(na, sizeof(*a));
	av = xcalloc(na, sizeof(*av));
	av[0] = k[0], av[1] = k[1], av[7] = who;
	snprintf(a[2], sizeof(a[2]), "%ld", (long)c->bounce_min_sample);
	snprintf(a[3], sizeof(a[3]), "%ld", c->bounce_pause_rate);
	snprintf(a[4], sizeof(a[4]), "%ld", c->complaint_pause_rate);
	snprintf(a[5], sizeof(a[5]), "%ld", c->bounce_window / 86400000);
	snprintf(a[6], sizeof(a[6]), "%ld", c->bounce_window / 3600000);
	snprintf(a[8], sizeof(a[8]), "%zu", n);
	for (i = 0; i < n; i++) {
		snprintf(a[9 + 5 * i], sizeof(a[0]), "%lld", hours[i]);
		for (j = 0; j < 4; j++)
			snprintf(a[10 + 5 * i + j], sizeof(a[0]), "%lld",
			    less[4 * i + j]);
	}
	for (i = 2; i < na; i++)
		if (i != 7)
			av[i] = a[i];
	if (batch_eval(fb, lua_check, FBQ_RATES, who, 2, (int)na, av,
	    NULL) == 0)
		rc = 0;
	free(a);
	free(av);
	return rc;
}

/* The reply of fx_check_rates's script, note WHO. */
void
fx_rates_done(struct fb *fb, const char *who, const redisReply *rep)
{
	const struct conf *c = fb->conf;
	long long	 s[5];		/* code, attempts, hard, delivered, compl. */
	size_t		 j;

	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 6)
		return;
	for (j = 0; j < 5; j++)
		s[j] = rep->element[j]->integer;
	if (s[0] == 2)
		fb->b.pauses_due = 1;
	if (s[0] != 0 || s[1] < c->bounce_min_sample)
		return;
	if (at_least(s[2] * 2, s[1], c->bounce_pause_rate))
		log_warn("user=%s hard-bounce rate %lld/%lld: over half of "
		    "bounce_pause_rate", who, s[2], s[1]);
	if (at_least(s[4] * 5, s[3], c->complaint_pause_rate))
		log_warn("user=%s complaint rate %lld/%lld: over a fifth of "
		    "complaint_pause_rate", who, s[4], s[3]);
}

/* who into Psuspended, after its acct says suspended; 0 / -1 Redis. */
static int
susp_index(struct fb *fb, const char *who)
{
	char		 k[SCHEMA_KEY_MAX];
	redisReply	*rep;

	if (schema_key_global(fb->conf, SCHEMA_SUSPENDED_SET, k,
	    sizeof(k)) < 0 ||
	    (rep = redis_command(fb->rr, "SADD %s %s", k, who)) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/* One outbox entry "S REASON" applied to who; 0 / -1 Redis. */
static int
pause_one(struct fb *fb, const char *pkey, const char *who, const char *v)
{
	char		 acct[SCHEMA_KEY_MAX], s[24];
	const char	*av[3], *sp = strchr(v, ' ');
	redisReply	*rep;
	long long	 code;

	if (sp == NULL || (size_t)(sp - v) >= sizeof(s) ||
	    schema_key_user(fb->conf, who, SCHEMA_ACCT, acct,
	    sizeof(acct)) < 0)
		code = -1;
	else {
		memcpy(s, v, (size_t)(sp - v));
		s[sp - v] = '\0';
		av[0] = acct, av[1] = sp + 1, av[2] = s;
		if ((rep = redis_eval(fb->rr, lua_pause, 1, 3, av,
		    NULL)) == NULL)
			return -1;
		code = rep->type == REDIS_REPLY_INTEGER ? rep->integer : -2;
		freeReplyObject(rep);
	}
	if ((code == 1 || code == 2) && susp_index(fb, who) < 0)
		return -1;
	if (code == 2) {
		log_warn("user=%s suspended: %s", who, sp + 1);
		prom_inc(om.paused, NULL, NULL);
	} else if (code == -1)
		log_info("user=%s would be suspended (%s): no such user", who,
		    sp ? sp + 1 : v);
	av[0] = pkey, av[1] = who, av[2] = v;
	if ((rep = redis_eval(fb->rr, lua_unpause, 1, 3, av, NULL)) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

int
fx_pauses_apply(struct fb *fb)
{
	char		 k[SCHEMA_KEY_MAX];
	redisReply	*rep;
	size_t		 i;
	int		 rc = 0;

	fb->b.pauses_due = 0;
	if (schema_key_log(fb->conf, SCHEMA_LOG_PAUSE, NULL, k,
	    sizeof(k)) < 0 ||
	    (rep = redis_command(fb->rr, "HGETALL %s", k)) == NULL)
		return -1;
	for (i = 0; rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements &&
	    rc == 0; i += 2)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    rep->element[i + 1]->type == REDIS_REPLY_STRING)
			rc = pause_one(fb, k, rep->element[i]->str,
			    rep->element[i + 1]->str);
	freeReplyObject(rep);
	return rc;
}
