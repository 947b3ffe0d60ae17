/*
 * outpostctl user show / user list -- read-only views of accounts.
 *
 *   user_show(ctl, o)        state, plan, limits in effect (the plan's
 *                            merged with the user's overrides), how much
 *                            of each is used now, allowed domains, the
 *                            hard-bounce and complaint rates over
 *                            bounce_window (the P{log}:rt:NAME hours,
 *                            ctl_rt_read) with the thresholds that pause,
 *                            and who paused the account (paused_by)
 *   user_list(ctl, o)        every user with plan and state
 *   ctl_user_read, ctl_user_clear, ctl_user_field: what user show reads,
 *                            for outpost-web as well (ctl.h)
 *
 * The usage of a limit is read as lib/schema.h defines the counters:
 * sliding windows sum the slots from floor(t/b) - ceil(W/b) on, with
 * b = max(1, W div 60) (as lib/pscript.c does); month windows read slot
 * YYYYMM (UTC).  t is Redis's clock (TIME), the one the daemon's scripts
 * use.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"

/* KEYS acct, lim, dom (one user's slot); ARGV default plan.  -1: no
 * such user.  The plan (Pplan:PLAN, Pplans: other slots) is read after
 * it by commands of their own (plan_read). */
static const char lua_show[] =
    "local acct = redis.call('HGETALL', KEYS[1])\n"
    "if #acct == 0 then return -1 end\n"
    "local plan = redis.call('HGET', KEYS[1], 'plan')\n"
    "if not plan or plan == '' then plan = ARGV[1] end\n"
    "return { redis.call('TIME')[1], acct,"
    " redis.call('HGETALL', KEYS[2]), redis.call('SMEMBERS', KEYS[3]),"
    " plan }\n";

static const char *
field(const redisReply *h, const char *name)
{
	size_t	 i;

	for (i = 0; i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return h->element[i + 1]->str;
	return "";
}

/* Sum of a counter HASH over the slots in the window at time now. */
static unsigned long long
window_sum(const redisReply *h, long win, long long now)
{
	unsigned long long	 sum = 0;
	long long		 b, cur, from, slot;
	char			*end;
	struct tm		 tm;
	time_t			 t = (time_t)now;
	size_t			 i;

	if (h == NULL || h->type != REDIS_REPLY_ARRAY)
		return 0;
	if (win == LIMIT_MONTH) {
		gmtime_r(&t, &tm);
		cur = from = (long long)(tm.tm_year + 1900) * 100 +
		    tm.tm_mon + 1;
	} else {
		b = win / 60 > 1 ? win / 60 : 1;
		cur = now / b;
		from = cur - (win + b - 1) / b;
	}
	for (i = 0; i + 1 < h->elements; i += 2) {
		/* Slots only: not the scripts' "n" and "lo" (schema.h). */
		slot = strtoll(h->element[i]->str, &end, 10);
		if (end == h->element[i]->str || *end != '\0')
			continue;
		if (slot >= from && (win != LIMIT_MONTH || slot == cur))
			sum += strtoull(h->element[i + 1]->str, NULL, 10);
	}
	return sum;
}

static int
read_usage(struct ctl *ctl, struct redis *r, const char *name,
    struct ctl_user *s)
{
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*h;
	int		 i;

	for (i = 0; i < s->nlim; i++) {
		schema_key_counter(&ctl->conf, name, s->lim[i].lim.dim,
		    s->lim[i].lim.window, key, sizeof(key));
		if (redis_append(r, "HGETALL %s", key) < 0)
			return -1;
	}
	for (i = 0; i < s->nlim; i++) {
		if ((h = redis_get_reply(r)) == NULL)
			return -1;
		s->used[i] = window_sum(h, s->lim[i].lim.window, s->now);
		freeReplyObject(h);
	}
	return 0;
}

static void
rate_json(struct json *j, const char *k, unsigned long long num,
    unsigned long long den)
{
	json_key(j, k);
	if (den == 0)
		json_null(j);
	else
		json_double(j, (double)num / (double)den);
}

/* "paused_by" and "feedback": the pause rates' inputs and thresholds. */
static void
feedback_json(struct ctl *ctl, struct json *j, const struct ctl_user *s)
{
	const char	*by = field(s->acct, SCHEMA_F_PAUSED_BY);

	json_kv_str(j, "paused_by", *by ? by : NULL);
	json_key(j, "feedback");
	json_obj_begin(j);
	json_kv_int(j, "window", ctl->conf.bounce_window / 1000);
	json_kv_uint(j, "attempts", s->rt[RT_ATTEMPTS]);
	json_kv_uint(j, "hard", s->rt[RT_HARD]);
	json_kv_uint(j, "delivered", s->rt[RT_DELIVERED]);
	json_kv_uint(j, "complaint", s->rt[RT_COMPLAINT]);
	rate_json(j, "hard_bounce_rate", s->rt[RT_HARD], s->rt[RT_ATTEMPTS]);
	rate_json(j, "complaint_rate", s->rt[RT_COMPLAINT],
	    s->rt[RT_DELIVERED]);
	json_kv_int(j, "min_sample", ctl->conf.bounce_min_sample);
	json_kv_bool(j, "judged", s->rt[RT_ATTEMPTS] >=
	    (unsigned long long)ctl->conf.bounce_min_sample);
	json_key(j, "bounce_pause_rate");
	json_double(j, ctl->conf.bounce_pause_rate / 1e6);
	json_key(j, "complaint_pause_rate");
	json_double(j, ctl->conf.complaint_pause_rate / 1e6);
	json_obj_end(j);
}

static void
feedback_text(struct ctl *ctl, const struct ctl_user *s)
{
	char		 r[32], w[32];
	const char	*by = field(s->acct, SCHEMA_F_PAUSED_BY);
	long		 win = ctl->conf.bounce_window / 1000;

	if (win % 86400 == 0)
		snprintf(w, sizeof(w), "%ldd", win / 86400);
	else
		snprintf(w, sizeof(w), "%ldh", win / 3600);
	printf("bounces:  hard-bounce rate %s (%llu of %llu attempts in %s; "
	    "pauses at %.3f%%)\n", ctl_rate(s->rt[RT_HARD],
	    s->rt[RT_ATTEMPTS], r, sizeof(r)), s->rt[RT_HARD],
	    s->rt[RT_ATTEMPTS], w, ctl->conf.bounce_pause_rate / 1e4);
	printf("complaints: complaint rate %s (%llu of %llu delivered in %s; "
	    "pauses at %.3f%%)\n", ctl_rate(s->rt[RT_COMPLAINT],
	    s->rt[RT_DELIVERED], r, sizeof(r)), s->rt[RT_COMPLAINT],
	    s->rt[RT_DELIVERED], w, ctl->conf.complaint_pause_rate / 1e4);
	if (s->rt[RT_ATTEMPTS] < (unsigned long long)
	    ctl->conf.bounce_min_sample)
		printf("          not judged yet: fewer than bounce_min_sample "
		    "(%ld) attempts\n", ctl->conf.bounce_min_sample);
	if (*by != '\0')
		printf("paused:   by outpost-%s (outpostctl user resume starts "
		    "a fresh window)\n", by);
}

static int
show_json(struct ctl *ctl, const char *name, const struct ctl_user *s)
{
	struct json	*j;
	char		 t[SUPCSV_TIME_MAX];
	size_t		 i;
	int		 k;

	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_str(j, "user", name);
	json_kv_str(j, "state", field(s->acct, SCHEMA_F_STATE));
	json_kv_str(j, "reason", field(s->acct, SCHEMA_F_REASON));
	json_kv_str(j, "since", supcsv_format_time(atoll(field(s->acct,
	    SCHEMA_F_SINCE)), t, sizeof(t)));
	json_kv_str(j, "created", supcsv_format_time(atoll(field(s->acct,
	    SCHEMA_F_CREATED)), t, sizeof(t)));
	json_kv_str(j, "plan", s->plan);
	json_kv_bool(j, "plan_is_default", field(s->acct,
	    SCHEMA_F_PLAN)[0] == '\0');
	json_kv_bool(j, "plan_exists", s->plan_exists);
	json_key(j, "domains");
	json_arr_begin(j);
	for (i = 0; i < s->dom->elements; i++)
		json_str(j, s->dom->element[i]->str);
	json_arr_end(j);
	json_key(j, "limits");
	json_arr_begin(j);
	for (k = 0; k < s->nlim; k++) {
		json_obj_begin(j);
		ctl_json_limit(j, &s->lim[k].lim);
		json_kv_str(j, "source", s->lim[k].override ? "user" : "plan");
		json_kv_uint(j, "used", s->used[k]);
		json_obj_end(j);
	}
	json_arr_end(j);
	feedback_json(ctl, j, s);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

static void
show_text(struct ctl *ctl, const char *name, const struct ctl_user *s)
{
	char		 t[SUPCSV_TIME_MAX], buf[LIMIT_TEXT_MAX];
	const char	*reason = field(s->acct, SCHEMA_F_REASON);
	size_t		 i;
	int		 k;

	printf("user:     %s\n", name);
	printf("state:    %s since %s%s%s%s\n", field(s->acct, SCHEMA_F_STATE),
	    supcsv_format_time(atoll(field(s->acct, SCHEMA_F_SINCE)), t,
	    sizeof(t)), *reason ? " (" : "", reason, *reason ? ")" : "");
	printf("plan:     %s%s%s\n", s->plan, field(s->acct,
	    SCHEMA_F_PLAN)[0] == '\0' ? " (default_plan)" : "",
	    s->plan_exists ? "" : " (does not exist: only overrides apply)");
	printf("domains: ");
	for (i = 0; i < s->dom->elements; i++)
		printf(" %s", s->dom->element[i]->str);
	printf("%s\n", s->dom->elements == 0 ? " any (no restriction)" : "");
	printf("limits:  %s\n", s->nlim == 0 ? " none" : "");
	for (k = 0; k < s->nlim; k++)
		printf("  %-24s used %-12llu %s\n", limit_format(&s->lim[k].lim,
		    buf, sizeof(buf)), s->used[k], s->lim[k].override ?
		    "(user override)" : "(plan)");
	feedback_text(ctl, s);
}

/* The limits of plan into lim (count into *n) and whether it exists
 * (Pplans); 0, or -1 when Redis failed. */
static int
plan_read(struct ctl *ctl, struct redis *r, const char *plan,
    struct limit *lim, int *n, int *exists)
{
	char		 key[SCHEMA_KEY_MAX];
	const char	*av[3];
	redisReply	*rep;

	if (schema_key_plan(&ctl->conf, plan, key, sizeof(key)) < 0) {
		*n = *exists = 0;	/* no valid plan name: no plan */
		return 0;
	}
	av[0] = "HGETALL", av[1] = key;
	if ((rep = redis_commandv(r, 2, av, NULL)) == NULL)
		return -1;
	*n = ctl_limits_from_hash(rep, lim, CTL_MAX_LIMITS);
	freeReplyObject(rep);
	schema_key_global(&ctl->conf, SCHEMA_PLANS, key, sizeof(key));
	av[0] = "SISMEMBER", av[1] = key, av[2] = plan;
	if ((rep = redis_commandv(r, 3, av, NULL)) == NULL)
		return -1;
	*exists = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return 0;
}

int
ctl_user_read(struct ctl *ctl, struct redis *r, const char *name,
    struct ctl_user *s)
{
	struct limit	 plan[CTL_MAX_LIMITS], own[CTL_MAX_LIMITS];
	char		 k[3][SCHEMA_KEY_MAX];
	const char	*av[4];
	redisReply	*rep;
	int		 np, no;

	memset(s, 0, sizeof(*s));
	schema_key_user(&ctl->conf, name, SCHEMA_ACCT, k[0], sizeof(k[0]));
	schema_key_user(&ctl->conf, name, SCHEMA_LIM, k[1], sizeof(k[1]));
	schema_key_user(&ctl->conf, name, SCHEMA_DOM, k[2], sizeof(k[2]));
	av[0] = k[0], av[1] = k[1], av[2] = k[2];
	av[3] = ctl->conf.default_plan;
	if ((rep = redis_eval(r, lua_show, 3, 4, av, NULL)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 5) {
		freeReplyObject(rep);
		return 1;
	}
	s->rep = rep;
	s->now = atoll(rep->element[0]->str);
	s->acct = rep->element[1];
	s->dom = rep->element[3];
	s->plan = rep->element[4]->str;
	if (plan_read(ctl, r, s->plan, plan, &np, &s->plan_exists) < 0)
		goto fail;
	no = ctl_limits_from_hash(rep->element[2], own, CTL_MAX_LIMITS);
	s->nlim = ctl_limits_merge(plan, np, own, no, s->lim, CTL_MAX_LIMITS);
	if (read_usage(ctl, r, name, s) < 0 ||
	    ctl_rt_read(ctl, name, s->now * 1000, s->rt) < 0)
		goto fail;
	return 0;
fail:
	ctl_user_clear(s);
	return -1;
}

void
ctl_user_clear(struct ctl_user *s)
{
	if (s->rep != NULL)
		freeReplyObject(s->rep);
	memset(s, 0, sizeof(*s));
}

const char *
ctl_user_field(const struct ctl_user *s, const char *name)
{
	return s->acct == NULL ? "" : field(s->acct, name);
}

int
user_show(struct ctl *ctl, struct ctl_opts *o)
{
	struct ctl_user	 s;
	const char	*name = o->args[0];
	int		 rc = EXIT_OK;

	switch (ctl_user_read(ctl, ctl->r, name, &s)) {
	case -1:
		return ctl_redis_failed(ctl, ctl->r, "user show");
	case 1:
		return ctl_refuse(ctl, "user %s does not exist", name);
	}
	if (ctl->json)
		rc = show_json(ctl, name, &s);
	else
		show_text(ctl, name, &s);
	ctl_user_clear(&s);
	return rc;
}

static void
list_one(struct ctl *ctl, struct json *j, const char *name,
    const redisReply *h)
{
	const char	*plan = "", *state = "";

	if (h->type == REDIS_REPLY_ARRAY && h->elements == 2) {
		if (h->element[0]->type == REDIS_REPLY_STRING)
			plan = h->element[0]->str;
		if (h->element[1]->type == REDIS_REPLY_STRING)
			state = h->element[1]->str;
	}
	if (j == NULL) {
		printf("%-32s %-16s %s\n", name, *plan ? plan :
		    ctl->conf.default_plan, state);
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "user", name);
	json_kv_str(j, "plan", *plan ? plan : ctl->conf.default_plan);
	json_kv_bool(j, "plan_is_default", *plan == '\0');
	json_kv_str(j, "state", state);
	json_obj_end(j);
}

static void
list_ask(struct ctl *ctl, struct redis *r, const char *name)
{
	char	 key[SCHEMA_KEY_MAX];

	schema_key_user(&ctl->conf, name, SCHEMA_ACCT, key, sizeof(key));
	redis_append(r, "HMGET %s plan state", key);
}

int
user_list(struct ctl *ctl, struct ctl_opts *o)
{
	char	 key[SCHEMA_KEY_MAX];

	(void)o;
	schema_key_global(&ctl->conf, SCHEMA_USERS, key, sizeof(key));
	return ctl_list(ctl, ctl->r, "user list", key, list_ask, list_one);
}
