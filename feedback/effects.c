/*
 * effects -- what a hard bounce or a complaint does to the sending user:
 * the recipient suppressed for that user (written exactly as outpostctl
 * suppress add --user writes it), and the user's rates over
 * bounce_window from the rt:H hours checked against bounce_pause_rate
 * and complaint_pause_rate (suspended as outpostctl user suspend does,
 * plus paused_by=feedback).  "[IP]" senders are never touched.
 *
 *   fx_suppress(fb, who, addr, reason, err, errlen)
 *       addr in its suppression form; expiry hard_bounce_suppress_for for
 *       hard bounces (0 never), none for complaints.  0 (also when the
 *       user does not exist: logged), -1 Redis failed.
 *   fx_check_rates(fb, who, t)     t in ms: the window ends in t's hour.
 *       0, -1 Redis failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "feedback.h"
#include "log.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"

/* KEYS bucket, acct; ARGV field, value.  -1 no such user, 1 new. */
static const char lua_sup[] =
    "if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end\n"
    "return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n";

/* KEYS the rt:H hours; sums of attempts, hard, delivered, complaint. */
static const char lua_rates[] =
    "local s = {0, 0, 0, 0}\n"
    "for i = 1, #KEYS do\n"
    "  local v = redis.call('HMGET', KEYS[i], 'attempts', 'hard',"
    " 'delivered', 'complaint')\n"
    "  for j = 1, 4 do s[j] = s[j] + (tonumber(v[j]) or 0) end\n"
    "end\n"
    "return s\n";

/* KEYS acct; ARGV reason.  -1 no user, 1 was suspended already, 0 done. */
static const char lua_pause[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if redis.call('HGET', KEYS[1], 'state') == 'suspended' then"
    " return 1 end\n"
    "redis.call('HSET', KEYS[1], 'state', 'suspended', 'reason', ARGV[1],"
    " 'since', redis.call('TIME')[1], 'paused_by', 'feedback')\n"
    "return 0\n";

int
fx_suppress(struct fb *fb, const char *who, const char *addr, int reason,
    char *err, size_t errlen)
{
	struct schema_sup	 e;
	char			 bucket[SCHEMA_KEY_MAX], acct[SCHEMA_KEY_MAX];
	char			 fld[SCHEMA_SUP_FIELD_MAX + 8], val[64];
	const char		*av[4];
	size_t			 al[4];
	redisReply		*rep;
	int			 flen;
	long long		 code;

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
	if ((rep = redis_eval(fb->r, lua_sup, 2, 4, av, al)) == NULL)
		return -1;
	code = rep->integer;
	freeReplyObject(rep);
	if (code < 0)
		log_info("user=%s rcpt=%s: not suppressed: no such user", who,
		    addr);
	else
		log_info("user=%s rcpt=%s: suppressed (%s)", who, addr,
		    supcsv_reason_name(reason));
	return 0;
}

/* Sums over the window ending in hour(t): s[4]; 0 / -1. */
static int
window_sums(struct fb *fb, const char *who, long long t, long long s[4])
{
	long long	 h = t / 3600000, nh, i;
	char		(*keys)[SCHEMA_KEY_MAX];
	const char	**av;
	redisReply	*rep;
	int		 rc = -1;
	size_t		 j;

	nh = fb->conf->bounce_window / 3600000 + 1;
	if (nh > 24 * 400)
		nh = 24 * 400;
	keys = calloc((size_t)nh, sizeof(*keys));
	av = calloc((size_t)nh, sizeof(*av));
	if (keys == NULL || av == NULL)
		fatal("out of memory");
	for (i = 0; i < nh; i++) {
		schema_key_figures(fb->conf, who, SCHEMA_RT, h - i, keys[i],
		    SCHEMA_KEY_MAX);
		av[i] = keys[i];
	}
	rep = redis_eval(fb->r, lua_rates, (int)nh, (int)nh, av, NULL);
	if (rep != NULL && rep->type == REDIS_REPLY_ARRAY &&
	    rep->elements == 4) {
		for (j = 0; j < 4; j++)
			s[j] = rep->element[j]->integer;
		rc = 0;
	}
	if (rep != NULL)
		freeReplyObject(rep);
	free(keys);
	free(av);
	return rc;
}

static int
pause_user(struct fb *fb, const char *who, const char *reason)
{
	char		 acct[SCHEMA_KEY_MAX];
	const char	*av[2];
	redisReply	*rep;
	long long	 code;

	if (schema_key_user(fb->conf, who, SCHEMA_ACCT, acct,
	    sizeof(acct)) < 0)
		return 0;
	av[0] = acct;
	av[1] = reason;
	if ((rep = redis_eval(fb->r, lua_pause, 1, 2, av, NULL)) == NULL)
		return -1;
	code = rep->integer;
	freeReplyObject(rep);
	if (code == 0)
		log_warn("user=%s suspended: %s", who, reason);
	return 0;
}

/* n/d >= ppm/1e6?  Exact in integers. */
static int
at_least(long long n, long long d, long ppm)
{
	return d > 0 && ppm > 0 && n * 1000000 >= (long long)ppm * d;
}

static void
rate_text(char *buf, size_t len, const char *what, long long n, long long d,
    long window)
{
	snprintf(buf, len, "%s rate %.1f%% over %ldd (%lld/%lld)", what,
	    100.0 * (double)n / (double)d, window / 86400000, n, d);
}

int
fx_check_rates(struct fb *fb, const char *who, long long t)
{
	const struct conf *c = fb->conf;
	long long	 s[4];		/* attempts, hard, delivered, complaint */
	char		 why[200];

	if (who[0] == '[')
		return 0;
	if (window_sums(fb, who, t, s) < 0)
		return -1;
	if (s[0] < c->bounce_min_sample)
		return 0;
	if (at_least(s[1], s[0], c->bounce_pause_rate)) {
		rate_text(why, sizeof(why), "hard-bounce", s[1], s[0],
		    c->bounce_window);
		return pause_user(fb, who, why);
	}
	if (at_least(s[3], s[2], c->complaint_pause_rate)) {
		rate_text(why, sizeof(why), "complaint", s[3], s[2],
		    c->bounce_window);
		return pause_user(fb, who, why);
	}
	if (at_least(s[1] * 2, s[0], c->bounce_pause_rate))
		log_warn("user=%s hard-bounce rate %lld/%lld: over half of "
		    "bounce_pause_rate", who, s[1], s[0]);
	if (at_least(s[3] * 5, s[2], c->complaint_pause_rate))
		log_warn("user=%s complaint rate %lld/%lld: over a fifth of "
		    "complaint_pause_rate", who, s[3], s[2]);
	return 0;
}
