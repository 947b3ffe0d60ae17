/*
 * effects -- what a hard bounce or a complaint does to the sending user:
 * the recipient suppressed for that user (written exactly as outpostctl
 * suppress add --user writes it), and the user's rates over
 * bounce_window from the rt:H hours checked against bounce_pause_rate
 * and complaint_pause_rate (suspended as outpostctl user suspend does,
 * plus paused_by=feedback).  "[IP]" senders are never touched.
 *
 * Both append to the open batch (batch.c): what they do is applied with
 * the event that caused it, and logged when the batch's replies come.
 *
 *   fx_suppress(fb, who, addr, reason, err, errlen)
 *       addr in its suppression form; expiry hard_bounce_suppress_for for
 *       hard bounces (0 never), none for complaints.  0 (also when the
 *       user does not exist: logged), -1 Redis failed.
 *   fx_check_rates(fb, who, t, less)  t in ms: the window ends in t's
 *       hour; less (NULL: none) the 4 figures to take off the sums;
 *       the sums, the comparison and the suspension run in one script
 *       (lua_check), after the event's counters in the same batch.
 *       0, -1 Redis failed.
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
 * The pause check, in the batch after the event that counted: KEYS acct,
 * then the rt:H hours of the window; ARGV bounce_min_sample, the two
 * rates in ppm, the window in days, then what to subtract from the sums
 * (attempts, hard, delivered, complaint: the batch's events after the
 * one checked).  Returns {code, attempts, hard,
 * delivered, complaint, why}: code 2 suspended now, 1 was already, -1 no
 * such user, 0 below the rates (why "").
 */
static const char lua_check[] =
    "local s = {0, 0, 0, 0}\n"
    "for i = 2, #KEYS do\n"
    "  local v = redis.call('HMGET', KEYS[i], 'attempts', 'hard',"
    " 'delivered', 'complaint')\n"
    "  for j = 1, 4 do s[j] = s[j] + (tonumber(v[j]) or 0) end\n"
    "end\n"
    "for j = 1, 4 do s[j] = s[j] - tonumber(ARGV[4 + j]) end\n"
    "local bp, cp = tonumber(ARGV[2]), tonumber(ARGV[3])\n"
    "local why = ''\n"
    "local function r(n, d, what)\n"
    "  return string.format('%s rate %.1f%% over %sd (%d/%d)', what,"
    " 100 * n / d, ARGV[4], n, d)\n"
    "end\n"
    "if s[1] >= tonumber(ARGV[1]) then\n"
    "  if s[1] > 0 and bp > 0 and s[2] * 1000000 >= bp * s[1] then\n"
    "    why = r(s[2], s[1], 'hard-bounce')\n"
    "  elseif s[3] > 0 and cp > 0 and s[4] * 1000000 >= cp * s[3] then\n"
    "    why = r(s[4], s[3], 'complaint')\n"
    "  end\n"
    "end\n"
    "local code = 0\n"
    "if why ~= '' then\n"
    "  if redis.call('EXISTS', KEYS[1]) == 0 then code = -1\n"
    "  elseif redis.call('HGET', KEYS[1], 'state') == 'suspended' then"
    " code = 1\n"
    "  else\n"
    "    redis.call('HSET', KEYS[1], 'state', 'suspended', 'reason', why,"
    " 'since', redis.call('TIME')[1], 'paused_by', 'feedback')\n"
    "    code = 2\n"
    "  end\n"
    "end\n"
    "return {code, s[1], s[2], s[3], s[4], why}\n";

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
	return batch_eval(fb, lua_sup, reason == SUP_HARD_BOUNCE ?
	    FBQ_SUP_HARD : FBQ_SUP_COMPLAINT, note, 2, 4, av, al);
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

/* Append the check over the window ending in hour(t). */
int
fx_check_rates(struct fb *fb, const char *who, long long t,
    const long long *less)
{
	const struct conf *c = fb->conf;
	long long	 h = t / 3600000, nh, i;
	char		(*keys)[SCHEMA_KEY_MAX];
	char		 a[8][24];
	const char	**av;
	int		 rc = 0;

	if (who[0] == '[')
		return 0;
	if (batch_events_flush(fb) < 0)	/* the counters it reads first */
		return -1;
	nh = c->bounce_window / 3600000 + 1;
	if (nh > REDIS_EVAL_MAXARGS - 8)
		nh = REDIS_EVAL_MAXARGS - 8;
	keys = xcalloc((size_t)nh + 1, sizeof(*keys));
	av = xcalloc((size_t)nh + 9, sizeof(*av));
	if (schema_key_user(c, who, SCHEMA_ACCT, keys[0], SCHEMA_KEY_MAX) < 0)
		goto out;
	for (i = 0; i < nh; i++)
		if (schema_key_figures(c, who, SCHEMA_RT, h - i, keys[i + 1],
		    SCHEMA_KEY_MAX) < 0)
			goto out;
	for (i = 0; i <= nh; i++)
		av[i] = keys[i];
	snprintf(a[0], sizeof(a[0]), "%ld", (long)c->bounce_min_sample);
	snprintf(a[1], sizeof(a[1]), "%ld", c->bounce_pause_rate);
	snprintf(a[2], sizeof(a[2]), "%ld", c->complaint_pause_rate);
	snprintf(a[3], sizeof(a[3]), "%ld", c->bounce_window / 86400000);
	for (i = 0; i < 4; i++)
		snprintf(a[4 + i], sizeof(a[4 + i]), "%lld",
		    less != NULL ? less[i] : 0);
	for (i = 0; i < 8; i++)
		av[nh + 1 + i] = a[i];
	rc = batch_eval(fb, lua_check, FBQ_RATES, who, (int)nh + 1,
	    (int)nh + 9, av, NULL);
out:
	free(keys);
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
	if (s[0] == 2) {
		log_warn("user=%s suspended: %s", who, rep->element[5]->str);
		prom_inc(om.paused, NULL, NULL);
	}
	if (s[0] != 0 || s[1] < c->bounce_min_sample)
		return;
	if (at_least(s[2] * 2, s[1], c->bounce_pause_rate))
		log_warn("user=%s hard-bounce rate %lld/%lld: over half of "
		    "bounce_pause_rate", who, s[2], s[1]);
	if (at_least(s[4] * 5, s[3], c->complaint_pause_rate))
		log_warn("user=%s complaint rate %lld/%lld: over a fifth of "
		    "complaint_pause_rate", who, s[4], s[3]);
}
