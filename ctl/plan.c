/*
 * outpostctl plan -- plans are named sets of limits that users point to.
 *
 *   plan set PLAN LIMIT...   create or change (DIM=none[/W] removes)
 *   plan show PLAN           limits and the number of users on it
 *   plan list                every plan with its limits
 *   plan del PLAN            refused while users use it (says how many)
 *
 * Every change is one Lua script, so a daemon never sees half a plan.
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

/* KEYS plan, plans; ARGV name, then limit ops.  Returns the field count. */
static const char lua_set[] =
    CTL_LUA_APPLY
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "apply(KEYS[1], 2)\n"
    "return redis.call('HLEN', KEYS[1])\n";

/*
 * Users of a plan: KEYS users; ARGV prefix, plan, default plan.  Shared
 * by show (count only) and del (del = "1": delete when unused).
 * Returns -1 when the plan does not exist, else the number of users
 * (0 after a deletion).
 */
static const char lua_users[] =
    "if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then return -1 end\n"
    "local n = 0\n"
    "for _, u in ipairs(redis.call('SMEMBERS', KEYS[1])) do\n"
    "  local p = redis.call('HGET', ARGV[1] .. '{u:' .. u .. '}:acct',"
    " 'plan')\n"
    "  if not p or p == '' then p = ARGV[3] end\n"
    "  if p == ARGV[2] then n = n + 1 end\n"
    "end\n"
    "if n == 0 and ARGV[4] == '1' then\n"
    "  redis.call('DEL', KEYS[3])\n"
    "  redis.call('SREM', KEYS[2], ARGV[2])\n"
    "end\n"
    "return n\n";

static int
plan_users(struct ctl *ctl, struct redis *r, const char *plan, int del,
    long long *n)
{
	char		 kusers[SCHEMA_KEY_MAX], kplans[SCHEMA_KEY_MAX];
	char		 kplan[SCHEMA_KEY_MAX];
	const char	*av[7];
	redisReply	*rep;

	schema_key_global(&ctl->conf, SCHEMA_USERS, kusers, sizeof(kusers));
	schema_key_global(&ctl->conf, SCHEMA_PLANS, kplans, sizeof(kplans));
	schema_key_plan(&ctl->conf, plan, kplan, sizeof(kplan));
	av[0] = kusers, av[1] = kplans, av[2] = kplan;
	av[3] = ctl->conf.redis_prefix, av[4] = plan;
	av[5] = ctl->conf.default_plan, av[6] = del ? "1" : "0";
	if ((rep = redis_eval(r, lua_users, 3, 7, av, NULL)) == NULL)
		return -1;
	*n = rep->integer;
	freeReplyObject(rep);
	return 0;
}

int
plan_set(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	struct limit	 lims[CTL_MAX_LIMIT_ARGS];
	char		 kplan[SCHEMA_KEY_MAX], kplans[SCHEMA_KEY_MAX];
	char		 err[512], bufs[2 * CTL_MAX_LIMIT_ARGS][64];
	const char	*av[3 + 3 * CTL_MAX_LIMIT_ARGS];
	redisReply	*rep;
	int		 n;

	if (ctl_limit_args(o->args + 1, o->nargs - 1, lims, err,
	    sizeof(err)) < 0)
		return ctl_bad_usage("%s", err);
	schema_key_plan(&ctl->conf, o->args[0], kplan, sizeof(kplan));
	schema_key_global(&ctl->conf, SCHEMA_PLANS, kplans, sizeof(kplans));
	av[0] = kplan, av[1] = kplans, av[2] = o->args[0];
	n = ctl_limit_ops(lims, o->nargs - 1, bufs, av + 3);
	snprintf(err, sizeof(err), "plan show %s", o->args[0]);
	if ((rep = redis_eval(r, lua_set, 2, 3 + n, av, NULL)) == NULL)
		return ctl_write_failed(ctl, r, "plan set", err);
	n = (int)rep->integer;
	freeReplyObject(rep);
	return ctl_done(ctl, "plan", o->args[0], "plan %s: %d limit%s",
	    o->args[0], n, n == 1 ? "" : "s");
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

	if (plan_users(ctl, r, plan, 0, &users) < 0)
		return ctl_redis_failed(ctl, r, "plan show");
	if (users < 0)
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
	const char	*plan = o->args[0];
	char		 check[SCHEMA_KEY_MAX];
	long long	 users;

	snprintf(check, sizeof(check), "plan show %s", plan);
	if (plan_users(ctl, r, plan, 1, &users) < 0)
		return ctl_write_failed(ctl, r, "plan del", check);
	if (users < 0)
		return ctl_refuse(ctl, "plan %s does not exist", plan);
	if (users > 0)
		return ctl_refuse(ctl, "plan %s is used by %lld user%s%s; move "
		    "them first (user set NAME --plan OTHER)", plan, users,
		    users == 1 ? "" : "s", strcmp(plan,
		    ctl->conf.default_plan) == 0 ? " (it is default_plan)" :
		    "");
	return ctl_done(ctl, "plan", plan, "plan %s deleted", plan);
}
