/*
 * outpostctl user show / user list -- read-only views of accounts.
 *
 *   user_show(ctl, o)        state, plan, limits in effect (the plan's
 *                            merged with the user's overrides), how much
 *                            of each is used now, allowed domains, the
 *                            hard-bounce and complaint rates over
 *                            bounce_window (the P{log}:rt:NAME hours,
 *                            ctl_rt_sum) with the thresholds that pause,
 *                            and who paused the account (paused_by)
 *   user_list(ctl, o)        every user with plan and state
 *   ctl_users_read, ctl_user_read, ctl_user_clear, ctl_user_field: what
 *                            user show reads, for outpost-web as well
 *                            (ctl.h); a batch of users in three
 *                            pipelined round trips
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
 * it by commands of their own (batch_plans). */
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

/* One batch of at most CTL_USERS_BATCH users and their distinct plans. */
struct batch {
	struct ctl		*ctl;
	struct redis		*r;
	const char *const	*names;
	struct ctl_user		*out;
	int			 n;
	int			 rc;	/* -1 once a command failed */
	const char		*plan[CTL_USERS_BATCH];	/* distinct plans */
	redisReply		*plim[CTL_USERS_BATCH];	/* their HGETALL */
	int			 pexists[CTL_USERS_BATCH];
	int			 np;
	int			 uplan[CTL_USERS_BATCH];	/* user -> plan */
	int			 rtok[CTL_USERS_BATCH];	/* rate key asked */
};

/* The next reply of the pipeline, NULL when it failed; once one failed
 * (b->rc -1) the rest are still read, and dropped, so that the
 * connection stays in step. */
static redisReply *
next_reply(struct batch *b)
{
	redisReply	*h;

	if ((h = redis_get_reply(b->r)) == NULL)
		b->rc = -1;
	else if (b->rc < 0) {
		freeReplyObject(h);
		h = NULL;
	}
	return h;
}

/* lua_show's KEYS and ARGV for name into av[0..3]. */
static void
show_args(struct ctl *ctl, const char *name, char k[3][SCHEMA_KEY_MAX],
    const char **av)
{
	schema_key_user(&ctl->conf, name, SCHEMA_ACCT, k[0], SCHEMA_KEY_MAX);
	schema_key_user(&ctl->conf, name, SCHEMA_LIM, k[1], SCHEMA_KEY_MAX);
	schema_key_user(&ctl->conf, name, SCHEMA_DOM, k[2], SCHEMA_KEY_MAX);
	av[0] = k[0], av[1] = k[1], av[2] = k[2];
	av[3] = ctl->conf.default_plan;
}

/* lua_show's reply into s (which then owns it): 0, or 1 no such user
 * (rep is the caller's to free). */
static int
show_take(struct ctl_user *s, redisReply *rep)
{
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 5)
		return 1;
	s->rep = rep;
	s->now = atoll(rep->element[0]->str);
	s->acct = rep->element[1];
	s->dom = rep->element[3];
	s->plan = rep->element[4]->str;
	return 0;
}

/* lua_show as EVALSHA, pipelined, for every user without a reply yet
 * (rep[i] NULL); a NOSCRIPT reply leaves rep[i] NULL, any other error
 * sets b->rc. */
static void
show_pipelined(struct batch *b, redisReply **rep)
{
	char		 sha[41], k[3][SCHEMA_KEY_MAX];
	const char	*av[7];
	int		 i;

	redis_script_sha(lua_show, sha);
	av[0] = "EVALSHA", av[1] = sha, av[2] = "3";
	for (i = 0; i < b->n; i++) {
		if (rep[i] != NULL)
			continue;
		show_args(b->ctl, b->names[i], k, av + 3);
		if (redis_appendv(b->r, 7, av, NULL) < 0) {
			b->rc = -1;
			return;
		}
	}
	for (i = 0; i < b->n; i++)
		if (rep[i] == NULL && (rep[i] = redis_get_reply(b->r)) ==
		    NULL && strncmp(redis_errstr(b->r), "NOSCRIPT", 8) != 0)
			b->rc = -1;
}

/* Round trip 1: lua_show of every user, pipelined as EVALSHA.  When
 * some answer NOSCRIPT (the script not loaded on that node yet: after a
 * restart or SCRIPT FLUSH), the first of them runs with redis_eval,
 * which loads it, and the others are pipelined again: a round trip or
 * two more per node without the script, once. */
static int
batch_accounts(struct batch *b)
{
	char		 k[3][SCHEMA_KEY_MAX];
	const char	*av[4];
	redisReply	*rep[CTL_USERS_BATCH];
	int		 i, left = b->n;

	memset(rep, 0, sizeof(rep));
	while (b->rc == 0 && left > 0) {
		show_pipelined(b, rep);
		for (i = 0, left = 0; b->rc == 0 && i < b->n; i++)
			if (rep[i] == NULL && left++ == 0) {
				show_args(b->ctl, b->names[i], k, av);
				if ((rep[i] = redis_eval(b->r, lua_show, 3, 4,
				    av, NULL)) == NULL)
					b->rc = -1;
			}
		left -= left > 0;	/* the one just run */
	}
	for (i = 0; i < b->n; i++)
		if (rep[i] != NULL && (b->rc < 0 ||
		    show_take(&b->out[i], rep[i]) != 0))
			freeReplyObject(rep[i]);
	return b->rc;
}

static int
plan_index(struct batch *b, const char *plan)
{
	int	 j;

	for (j = 0; j < b->np; j++)
		if (strcmp(b->plan[j], plan) == 0)
			return j;
	b->plan[b->np] = plan;
	return b->np++;
}

/* Round trip 2: each distinct plan's limits (HGETALL Pplan:PLAN) and
 * whether it exists (SISMEMBER Pplans), and each user's rates
 * (HGETALL P{log}:rt:NAME, ctl_rt_sum at the user's clock). */
static int
batch_plans(struct batch *b)
{
	struct ctl	*ctl = b->ctl;
	char		 key[SCHEMA_KEY_MAX], plans[SCHEMA_KEY_MAX];
	const char	*av[3];
	redisReply	*h;
	int		 i, j, valid[CTL_USERS_BATCH];

	schema_key_global(&ctl->conf, SCHEMA_PLANS, plans, sizeof(plans));
	for (i = 0; i < b->n; i++)
		if (b->out[i].rep != NULL)
			b->uplan[i] = plan_index(b, b->out[i].plan);
	for (j = 0; j < b->np; j++) {
		/* no valid plan name: no plan, nothing to ask */
		valid[j] = schema_key_plan(&ctl->conf, b->plan[j], key,
		    sizeof(key)) == 0;
		av[0] = "HGETALL", av[1] = key;
		if (valid[j] && redis_appendv(b->r, 2, av, NULL) < 0)
			return b->rc = -1;
		av[0] = "SISMEMBER", av[1] = plans, av[2] = b->plan[j];
		if (valid[j] && redis_appendv(b->r, 3, av, NULL) < 0)
			return b->rc = -1;
	}
	for (i = 0; i < b->n; i++) {
		b->rtok[i] = b->out[i].rep != NULL && schema_key_figures(
		    &ctl->conf, b->names[i], SCHEMA_RT, 0, key,
		    sizeof(key)) == 0;
		av[0] = "HGETALL", av[1] = key;
		if (b->rtok[i] && redis_appendv(b->r, 2, av, NULL) < 0)
			return b->rc = -1;
	}
	for (j = 0; j < b->np; j++) {
		if (!valid[j])
			continue;
		b->plim[j] = next_reply(b);
		if ((h = next_reply(b)) != NULL) {
			b->pexists[j] = h->type == REDIS_REPLY_INTEGER &&
			    h->integer == 1;
			freeReplyObject(h);
		}
	}
	for (i = 0; i < b->n; i++) {
		if (!b->rtok[i])
			continue;
		h = next_reply(b);
		ctl_rt_sum(ctl, h, b->out[i].now * 1000, b->out[i].rt);
		if (h != NULL)
			freeReplyObject(h);
	}
	return b->rc;
}

/* The limits in effect: the plan's merged with the user's overrides. */
static void
batch_limits(struct batch *b)
{
	struct limit	 plan[CTL_MAX_LIMITS], own[CTL_MAX_LIMITS];
	struct ctl_user	*s;
	redisReply	*h;
	int		 i, np, no;

	for (i = 0; i < b->n; i++) {
		if ((s = &b->out[i])->rep == NULL)
			continue;
		h = b->plim[b->uplan[i]];
		np = h == NULL ? 0 : ctl_limits_from_hash(h, plan,
		    CTL_MAX_LIMITS);
		s->plan_exists = b->pexists[b->uplan[i]];
		no = ctl_limits_from_hash(s->rep->element[2], own,
		    CTL_MAX_LIMITS);
		s->nlim = ctl_limits_merge(plan, np, own, no, s->lim,
		    CTL_MAX_LIMITS);
	}
}

/* Round trip 3: the counter of every limit of every user (HGETALL
 * P{u:NAME}:c:DIM/WIN), summed over its window (window_sum). */
static int
batch_usage(struct batch *b)
{
	char		 key[SCHEMA_KEY_MAX];
	const char	*av[2];
	struct ctl_user	*s;
	redisReply	*h;
	int		 i, k;

	av[0] = "HGETALL", av[1] = key;
	for (i = 0; i < b->n; i++)
		for (s = &b->out[i], k = 0; s->rep != NULL && k < s->nlim;
		    k++) {
			schema_key_counter(&b->ctl->conf, b->names[i],
			    s->lim[k].lim.dim, s->lim[k].lim.window, key,
			    sizeof(key));
			if (redis_appendv(b->r, 2, av, NULL) < 0)
				return b->rc = -1;
		}
	for (i = 0; i < b->n; i++)
		for (s = &b->out[i], k = 0; s->rep != NULL && k < s->nlim;
		    k++) {
			h = next_reply(b);
			s->used[k] = window_sum(h, s->lim[k].lim.window,
			    s->now);
			if (h != NULL)
				freeReplyObject(h);
		}
	return b->rc;
}

static int
batch_read(struct ctl *ctl, struct redis *r, const char *const *names,
    int n, struct ctl_user *out)
{
	struct batch	 b;
	int		 j;

	memset(&b, 0, sizeof(b));
	b.ctl = ctl, b.r = r, b.names = names, b.n = n, b.out = out;
	if (batch_accounts(&b) == 0 && batch_plans(&b) == 0) {
		batch_limits(&b);
		batch_usage(&b);
	}
	for (j = 0; j < b.np; j++)
		if (b.plim[j] != NULL)
			freeReplyObject(b.plim[j]);
	return b.rc;
}

int
ctl_users_read(struct ctl *ctl, struct redis *r, const char *const *names,
    int n, struct ctl_user *out)
{
	int	 i, m;

	if (n > 0)
		memset(out, 0, (size_t)n * sizeof(*out));
	for (i = 0; i < n; i += m) {
		m = n - i < CTL_USERS_BATCH ? n - i : CTL_USERS_BATCH;
		if (batch_read(ctl, r, names + i, m, out + i) < 0) {
			for (i = 0; i < n; i++)
				ctl_user_clear(&out[i]);
			return -1;
		}
	}
	return 0;
}

int
ctl_user_read(struct ctl *ctl, struct redis *r, const char *name,
    struct ctl_user *s)
{
	if (ctl_users_read(ctl, r, &name, 1, s) < 0)
		return -1;
	return s->rep == NULL ? 1 : 0;
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
