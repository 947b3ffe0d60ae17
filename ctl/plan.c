/*
 * outpostctl plan -- plans are named sets of limits that users point to.
 *
 *   plan set PLAN LIMIT...   create or change (DIM=none[/W] removes)
 *   plan show PLAN           limits and the number of users on it
 *   plan list                every plan with its limits
 *   plan del PLAN            refused while users use it (says how many)
 *
 * Every change of a plan's limits is one Lua script, so a daemon never
 * sees half a plan.  Users are counted by the client (SSCAN, pipelined
 * HGETs: plan_users), never by a script that would block Redis for every
 * MTA while it walks all users.  plan del first takes the name out of the
 * plan list (no user add/set can choose it meanwhile), counts, then
 * deletes the plan or puts the name back.
 * Users without a plan of their own use conf default_plan; they count as
 * users of that plan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"

/*
 * KEYS plan; ARGV name, then limit ops.  Returns the field count.  Then
 * the name goes into Pplans (another slot) and the members' copies are
 * rewritten (plancopy.c), one user at a time.
 */
static const char lua_set[] =
    CTL_LUA_APPLY
    "apply(KEYS[1], 2)\n"
    "return redis.call('HLEN', KEYS[1])\n";

/*
 * Users of a plan are counted here, in the client: SSCAN of Pusers a page
 * at a time, one pipelined HGET of each user's plan, so Redis serves the
 * daemons between pages however many users there are (a loop over every
 * user inside one script blocked Redis for all MTAs).
 */

/* Count the users on one page's HGET replies. */
static void
count_page(struct ctl *ctl, const char *plan, const redisReply *p,
    long long *n)
{
	if (p->type == REDIS_REPLY_NIL)
		return;			/* deleted meanwhile */
	if (p->type == REDIS_REPLY_STRING && (strcmp(p->str, plan) == 0 ||
	    (p->len == 0 && strcmp(plan, ctl->conf.default_plan) == 0)))
		(*n)++;
}

/* Ask for the plan of every member of one SSCAN page, then count. */
static int
scan_page(struct ctl *ctl, struct redis *r, const char *plan,
    const redisReply *members, long long *n)
{
	char		 acct[SCHEMA_KEY_MAX];
	redisReply	*p;
	size_t		 i, asked = 0;
	int		 rc = 0;

	for (i = 0; i < members->elements; i++) {
		if (members->element[i]->type != REDIS_REPLY_STRING ||
		    schema_key_user(&ctl->conf, members->element[i]->str,
		    SCHEMA_ACCT, acct, sizeof(acct)) < 0)
			continue;
		if (redis_append(r, "HGET %s %s", acct, SCHEMA_F_PLAN) < 0)
			return -1;
		asked++;
	}
	for (i = 0; i < asked; i++) {
		if ((p = redis_get_reply(r)) == NULL) {
			rc = -1;
			continue;
		}
		count_page(ctl, plan, p, n);
		freeReplyObject(p);
	}
	return rc;
}

static int
plan_users(struct ctl *ctl, struct redis *r, const char *plan,
    long long *n)
{
	return ctl_users_walk(ctl, r, plan, scan_page, n);
}

/* 1 if the plan exists, 0 not, -1 Redis failed. */
static int
plan_exists(struct ctl *ctl, struct redis *r, const char *plan)
{
	char		 kplans[SCHEMA_KEY_MAX];
	redisReply	*rep;
	int		 n;

	schema_key_global(&ctl->conf, SCHEMA_PLANS, kplans, sizeof(kplans));
	if ((rep = redis_command(r, "SISMEMBER %s %s", kplans, plan)) == NULL)
		return -1;
	n = rep->integer != 0;
	freeReplyObject(rep);
	return n;
}

/*
 * plan del, step 1 (KEYS plans; ARGV plan): take the name out of Pplans,
 * so that no "user add/set --plan" can choose it while the users are
 * counted; 0 if it was not there.  Step 2 then deletes Pplan:PLAN
 * (unused) or puts the name back (used).
 */
static const char lua_hide[] =
    "return redis.call('SREM', KEYS[1], ARGV[1])\n";

int
plan_set(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	struct limit	 lims[CTL_MAX_LIMIT_ARGS];
	char		 kplan[SCHEMA_KEY_MAX], kplans[SCHEMA_KEY_MAX];
	char		 err[512], bufs[2 * CTL_MAX_LIMIT_ARGS][64];
	const char	*av[3 + 3 * CTL_MAX_LIMIT_ARGS];
	redisReply	*rep;
	long long	 users;
	int		 n;

	if (ctl_limit_args(o->args + 1, o->nargs - 1, lims, err,
	    sizeof(err)) < 0)
		return ctl_bad_usage("%s", err);
	schema_key_plan(&ctl->conf, o->args[0], kplan, sizeof(kplan));
	schema_key_global(&ctl->conf, SCHEMA_PLANS, kplans, sizeof(kplans));
	av[0] = kplan, av[1] = o->args[0];
	n = ctl_limit_ops(lims, o->nargs - 1, bufs, av + 2);
	snprintf(err, sizeof(err), "plan show %s", o->args[0]);
	if ((rep = redis_eval(r, lua_set, 1, 2 + n, av, NULL)) == NULL)
		return ctl_write_failed(ctl, r, "plan set", err);
	n = (int)rep->integer;
	freeReplyObject(rep);
	if ((rep = redis_command(r, "SADD %s %s", kplans, o->args[0])) == NULL)
		return ctl_write_failed(ctl, r, "plan set", err);
	freeReplyObject(rep);
	if (ctl_plan_sync(ctl, r, o->args[0], &users) < 0)
		return ctl_refuse(ctl, "plan %s: %d limit%s, but the copies in "
		    "its users were not all rewritten (%s): run the same plan "
		    "set again", o->args[0], n, n == 1 ? "" : "s",
		    redis_errstr(r));
	return ctl_done(ctl, "plan", o->args[0], "plan %s: %d limit%s, %lld "
	    "user%s updated", o->args[0], n, n == 1 ? "" : "s", users,
	    users == 1 ? "" : "s");
}

/* Limits of a plan from its HGETALL reply, as text or JSON members. */
static void
print_limits(struct ctl *ctl, struct json *j, const redisReply *h)
{
	struct limit	 lims[CTL_MAX_LIMITS];
	char		 buf[LIMIT_TEXT_MAX];
	int		 n, i;

	n = ctl_limits_from_hash(h, lims, CTL_MAX_LIMITS);
	if (ctl->json) {
		json_key(j, "limits");
		json_arr_begin(j);
		for (i = 0; i < n; i++) {
			json_obj_begin(j);
			ctl_json_limit(j, &lims[i]);
			json_obj_end(j);
		}
		json_arr_end(j);
		return;
	}
	for (i = 0; i < n; i++)
		printf("%s%s", i ? " " : "  ", limit_format(&lims[i], buf,
		    sizeof(buf)));
	printf(n ? "\n" : "  (no limits)\n");
}

int
plan_show(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	const char	*plan = o->args[0];
	struct json	*j = NULL;
	char		 kplan[SCHEMA_KEY_MAX];
	redisReply	*rep;
	long long	 users;
	int		 n;

	if ((n = plan_exists(ctl, r, plan)) < 0 ||
	    (n == 1 && plan_users(ctl, r, plan, &users) < 0))
		return ctl_redis_failed(ctl, r, "plan show");
	if (n == 0)
		return ctl_refuse(ctl, "plan %s does not exist", plan);
	schema_key_plan(&ctl->conf, plan, kplan, sizeof(kplan));
	if ((rep = redis_command(r, "HGETALL %s", kplan)) == NULL)
		return ctl_redis_failed(ctl, r, "plan show");
	if (ctl->json) {
		j = ctl_json_open(ctl);
		json_obj_begin(j);
		json_kv_str(j, "plan", plan);
		json_kv_int(j, "users", users);
		json_kv_bool(j, "default",
		    strcmp(plan, ctl->conf.default_plan) == 0);
	} else
		printf("plan %s%s, %lld user%s\n", plan,
		    strcmp(plan, ctl->conf.default_plan) == 0 ?
		    " (default_plan)" : "", users, users == 1 ? "" : "s");
	print_limits(ctl, j, rep);
	freeReplyObject(rep);
	if (j == NULL)
		return EXIT_OK;
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

static void
list_ask(struct ctl *ctl, struct redis *r, const char *plan)
{
	char	 key[SCHEMA_KEY_MAX];

	schema_key_plan(&ctl->conf, plan, key, sizeof(key));
	redis_append(r, "HGETALL %s", key);
}

static void
list_one(struct ctl *ctl, struct json *j, const char *plan,
    const redisReply *h)
{
	if (j != NULL) {
		json_obj_begin(j);
		json_kv_str(j, "plan", plan);
	} else
		printf("%s\n", plan);
	print_limits(ctl, j, h);
	if (j != NULL)
		json_obj_end(j);
}

int
plan_list(struct ctl *ctl, struct ctl_opts *o)
{
	char	 key[SCHEMA_KEY_MAX];

	(void)o;
	schema_key_global(&ctl->conf, SCHEMA_PLANS, key, sizeof(key));
	return ctl_list(ctl, ctl->r, "plan list", key, list_ask, list_one);
}

int
plan_del(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	const char	*plan = o->args[0], *av[2];
	char		 check[SCHEMA_KEY_MAX], kplans[SCHEMA_KEY_MAX];
	char		 kplan[SCHEMA_KEY_MAX];
	redisReply	*rep;
	long long	 users = 0, was;
	int		 rc;

	snprintf(check, sizeof(check), "plan show %s", plan);
	schema_key_global(&ctl->conf, SCHEMA_PLANS, kplans, sizeof(kplans));
	schema_key_plan(&ctl->conf, plan, kplan, sizeof(kplan));
	av[0] = kplans, av[1] = plan;
	if ((rep = redis_eval(r, lua_hide, 1, 2, av, NULL)) == NULL)
		return ctl_write_failed(ctl, r, "plan del", check);
	was = rep->integer;
	freeReplyObject(rep);
	if (was == 0)
		return ctl_refuse(ctl, "plan %s does not exist", plan);
	rc = plan_users(ctl, r, plan, &users);
	if (rc < 0 || users > 0)
		rep = redis_command(r, "SADD %s %s", kplans, plan);
	else
		rep = redis_command(r, "DEL %s", kplan);
	if (rep == NULL)
		return ctl_write_failed(ctl, r, "plan del", check);
	freeReplyObject(rep);
	if (rc < 0)
		return ctl_redis_failed(ctl, r, "plan del");
	if (users > 0)
		return ctl_refuse(ctl, "plan %s is used by %lld user%s%s; move "
		    "them first (user set NAME --plan OTHER)", plan, users,
		    users == 1 ? "" : "s", strcmp(plan,
		    ctl->conf.default_plan) == 0 ? " (it is default_plan)" :
		    "");
	return ctl_done(ctl, "plan", plan, "plan %s deleted", plan);
}
