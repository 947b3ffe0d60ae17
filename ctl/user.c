/*
 * outpostctl user -- the changes to sending accounts (show and list live
 * in usershow.c).
 *
 *   user add NAME [--plan PLAN] [--domain DOMAIN]...
 *   user set NAME [--plan PLAN] [LIMIT...]   per-user overrides
 *   user suspend NAME [--reason TEXT]  |  user resume NAME
 *   user del NAME                            every key of the user
 *   user allow NAME DOMAIN  |  user deny NAME DOMAIN
 *
 * Each change is one Lua script (checks and writes in one atomic step, so
 * a concurrent daemon or admin never sees half of it); "since" and
 * "created" come from Redis's clock, the one the daemons' scripts use.
 * Scripts answer with integer codes: -1 no such user, -2 no such plan,
 * -3 user exists / domain not allowed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"

/* KEYS acct, users, plans, dom; ARGV name, plan, domains... */
static const char lua_add[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return -3 end\n"
    "if ARGV[2] ~= '' and redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0"
    " then return -2 end\n"
    "local now = redis.call('TIME')[1]\n"
    "redis.call('HSET', KEYS[1], 'plan', ARGV[2], 'state', 'active',"
    " 'reason', '', 'since', now, 'created', now)\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "redis.call('DEL', KEYS[4])\n"
    "for i = 3, #ARGV do redis.call('SADD', KEYS[4], ARGV[i]) end\n"
    "return 0\n";

/* KEYS acct, lim, plans; ARGV change-plan (0/1), plan, limit ops... */
static const char lua_set[] =
    CTL_LUA_APPLY
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if ARGV[1] == '1' then\n"
    "  if redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0 then return -2"
    " end\n"
    "  redis.call('HSET', KEYS[1], 'plan', ARGV[2])\n"
    "end\n"
    "apply(KEYS[2], 3)\n"
    "return redis.call('HLEN', KEYS[2])\n";

/* KEYS acct; ARGV state, reason.  1 if it already was in that state. */
static const char lua_state[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local was = redis.call('HGET', KEYS[1], 'state')\n"
    "redis.call('HSET', KEYS[1], 'state', ARGV[1], 'reason', ARGV[2],"
    " 'since', redis.call('TIME')[1])\n"
    "if was == ARGV[1] then return 1 end\n"
    "return 0\n";

/* KEYS acct, users; ARGV name, SCAN glob of every key of the user. */
static const char lua_del[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local n, cur = 0, '0'\n"
    "repeat\n"
    "  local r = redis.call('SCAN', cur, 'MATCH', ARGV[2], 'COUNT', 1000)\n"
    "  cur = r[1]\n"
    "  for _, k in ipairs(r[2]) do n = n + redis.call('DEL', k) end\n"
    "until cur == '0'\n"
    "redis.call('SREM', KEYS[2], ARGV[1])\n"
    "return n\n";

/* KEYS acct, dom; ARGV allow|deny, domain.  allow: 1 added, 0 was there;
 * deny: domains left, or -3 when it was not allowed. */
static const char lua_domain[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if ARGV[1] == 'allow' then return redis.call('SADD', KEYS[2], ARGV[2])"
    " end\n"
    "if redis.call('SREM', KEYS[2], ARGV[2]) == 0 then return -3 end\n"
    "return redis.call('SCARD', KEYS[2])\n";

static void
ukey(struct ctl *ctl, const char *name, const char *suffix, char *buf)
{
	schema_key_user(&ctl->conf, name, suffix, buf, SCHEMA_KEY_MAX);
}

static void
gkey(struct ctl *ctl, const char *what, char *buf)
{
	schema_key_global(&ctl->conf, what, buf, SCHEMA_KEY_MAX);
}

/* Run a script; its integer answer in *code, or -1 (refusal printed). */
static int
run(struct ctl *ctl, struct redis *r, const char *what, const char *lua,
    int nkeys, int argc, const char **argv, long long *code)
{
	redisReply	*rep;

	if ((rep = redis_eval(r, lua, nkeys, argc, argv, NULL)) == NULL) {
		ctl_redis_failed(ctl, r, what);
		return -1;
	}
	*code = rep->integer;
	freeReplyObject(rep);
	return 0;
}

static int
no_user(struct ctl *ctl, const char *name)
{
	return ctl_refuse(ctl, "user %s does not exist", name);
}

static int
no_plan(struct ctl *ctl, const char *plan)
{
	return ctl_refuse(ctl, "plan %s does not exist (create it with: "
	    "outpostctl plan set %s LIMIT...)", plan, plan);
}

static int
user_add(struct ctl *ctl, struct redis *r, struct ctl_opts *o)
{
	char		 k[4][SCHEMA_KEY_MAX], dom[CTL_MAX_DOMAINS][256];
	char		 err[256];
	const char	*av[4 + 2 + CTL_MAX_DOMAINS], *name = o->args[0];
	long long	 code;
	int		 i;

	if (o->plan != NULL && !ctl_name_ok("plan", o->plan))
		return EXIT_USAGE;
	for (i = 0; i < o->ndomains; i++)
		if (mailaddr_domain_norm(o->domains[i], dom[i], sizeof(dom[i]),
		    err, sizeof(err)) < 0) {
			fprintf(stderr, "outpostctl: --domain %s: %s\n",
			    o->domains[i], err);
			return EXIT_USAGE;
		}
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	gkey(ctl, SCHEMA_USERS, k[1]);
	gkey(ctl, SCHEMA_PLANS, k[2]);
	ukey(ctl, name, SCHEMA_DOM, k[3]);
	for (i = 0; i < 4; i++)
		av[i] = k[i];
	av[4] = name;
	av[5] = o->plan != NULL ? o->plan : "";
	for (i = 0; i < o->ndomains; i++)
		av[6 + i] = dom[i];
	if (run(ctl, r, "user add", lua_add, 4, 6 + o->ndomains, av,
	    &code) < 0)
		return EXIT_REFUSED;
	if (code == -3)
		return ctl_refuse(ctl, "user %s already exists", name);
	if (code == -2)
		return no_plan(ctl, o->plan);
	return ctl_done(ctl, "user", name, "user %s added (plan %s%s, %s)",
	    name, o->plan != NULL ? o->plan : ctl->conf.default_plan,
	    o->plan != NULL ? "" : " = default_plan", o->ndomains == 0 ?
	    "any sender domain" : "sender domains restricted");
}

static int
user_set(struct ctl *ctl, struct redis *r, struct ctl_opts *o)
{
	struct limit	 lims[CTL_MAX_LIMIT_ARGS];
	char		 k[3][SCHEMA_KEY_MAX], err[512];
	char		 bufs[2 * CTL_MAX_LIMIT_ARGS][64];
	const char	*av[5 + 3 * CTL_MAX_LIMIT_ARGS], *name = o->args[0];
	long long	 code;
	int		 n;

	if (o->plan == NULL && o->nargs < 2)
		return ctl_bad_usage("user set: give --plan PLAN or a LIMIT");
	if (o->plan != NULL && !ctl_name_ok("plan", o->plan))
		return EXIT_USAGE;
	if (ctl_limit_args(o->args + 1, o->nargs - 1, lims, err,
	    sizeof(err)) < 0)
		return ctl_bad_usage("%s", err);
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	ukey(ctl, name, SCHEMA_LIM, k[1]);
	gkey(ctl, SCHEMA_PLANS, k[2]);
	av[0] = k[0], av[1] = k[1], av[2] = k[2];
	av[3] = o->plan != NULL ? "1" : "0";
	av[4] = o->plan != NULL ? o->plan : "";
	n = ctl_limit_ops(lims, o->nargs - 1, bufs, av + 5);
	if (run(ctl, r, "user set", lua_set, 3, 5 + n, av, &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	if (code == -2)
		return no_plan(ctl, o->plan);
	return ctl_done(ctl, "user", name, "user %s: %s%lld override%s",
	    name, o->plan != NULL ? "plan changed, " : "", code,
	    code == 1 ? "" : "s");
}

/* Printable ASCII, 400 at most: the reason goes into the 554 reply. */
static int
reason_ok(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++)
		if (*s < 0x20 || *s > 0x7e || n >= 400)
			return 0;
	return 1;
}

static int
user_state(struct ctl *ctl, struct redis *r, struct ctl_opts *o, int suspend)
{
	char		 k[SCHEMA_KEY_MAX];
	const char	*av[3], *name = o->args[0];
	long long	 code;

	if (o->reason != NULL && !reason_ok(o->reason))
		return ctl_bad_usage("--reason: at most 400 printable ASCII "
		    "characters (it becomes part of an SMTP reply)");
	ukey(ctl, name, SCHEMA_ACCT, k);
	av[0] = k;
	av[1] = suspend ? SCHEMA_SUSPENDED : SCHEMA_ACTIVE;
	av[2] = suspend && o->reason != NULL ? o->reason : "";
	if (run(ctl, r, suspend ? "user suspend" : "user resume", lua_state, 1,
	    3, av, &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	return ctl_done(ctl, "user", name, "user %s %s%s", name,
	    code == 1 ? "was already " : "", suspend ? "suspended" : "active");
}

static int
user_del(struct ctl *ctl, struct redis *r, const char *name)
{
	char		 k[2][SCHEMA_KEY_MAX], glob[SCHEMA_KEY_MAX * 2];
	const char	*av[4];
	long long	 code;

	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	gkey(ctl, SCHEMA_USERS, k[1]);
	if (schema_key_user_glob(&ctl->conf, name, glob, sizeof(glob)) < 0)
		return ctl_refuse(ctl, "user %s: name too long", name);
	av[0] = k[0], av[1] = k[1], av[2] = name, av[3] = glob;
	if (run(ctl, r, "user del", lua_del, 2, 4, av, &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	return ctl_done(ctl, "user", name, "user %s deleted (%lld keys)", name,
	    code);
}

static int
user_domain(struct ctl *ctl, struct redis *r, struct ctl_opts *o, int allow)
{
	char		 k[2][SCHEMA_KEY_MAX], dom[256], err[256];
	const char	*av[4], *name = o->args[0];
	long long	 code;

	if (mailaddr_domain_norm(o->args[1], dom, sizeof(dom), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "outpostctl: domain %s: %s\n", o->args[1], err);
		return EXIT_USAGE;
	}
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	ukey(ctl, name, SCHEMA_DOM, k[1]);
	av[0] = k[0], av[1] = k[1], av[2] = allow ? "allow" : "deny";
	av[3] = dom;
	if (run(ctl, r, allow ? "user allow" : "user deny", lua_domain, 2, 4,
	    av, &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	if (code == -3)
		return ctl_refuse(ctl, "user %s: %s was not allowed", name, dom);
	if (allow)
		return ctl_done(ctl, "user", name, "user %s %s %s (and its "
		    "subdomains)", name, code ? "may now send as" :
		    "already may send as", dom);
	if (code == 0)
		fprintf(stderr, "outpostctl: warning: user %s has no allowed "
		    "domain left, so it may send as ANY domain\n", name);
	return ctl_done(ctl, "user", name, "user %s may no longer send as %s",
	    name, dom);
}

static const struct {
	const char	*verb;
	int		 min, max;	/* positional arguments */
	const char	*opts;
} verbs[] = {
	{ "add", 1, 1, "pd" }, { "set", 1, 1 + CTL_MAX_LIMIT_ARGS, "p" },
	{ "show", 1, 1, "" }, { "list", 0, 0, "" }, { "suspend", 1, 1, "r" },
	{ "resume", 1, 1, "" }, { "del", 1, 1, "" }, { "allow", 2, 2, "" },
	{ "deny", 2, 2, "" },
};

static int
dispatch(struct ctl *ctl, struct redis *r, const char *verb,
    struct ctl_opts *o)
{
	if (strcmp(verb, "add") == 0)
		return user_add(ctl, r, o);
	if (strcmp(verb, "set") == 0)
		return user_set(ctl, r, o);
	if (strcmp(verb, "show") == 0)
		return user_show(ctl, r, o->args[0]);
	if (strcmp(verb, "list") == 0)
		return user_list(ctl, r);
	if (strcmp(verb, "suspend") == 0 || strcmp(verb, "resume") == 0)
		return user_state(ctl, r, o, verb[1] == 'u');
	if (strcmp(verb, "del") == 0)
		return user_del(ctl, r, o->args[0]);
	return user_domain(ctl, r, o, strcmp(verb, "allow") == 0);
}

int
cmd_user(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_opts	 o;
	struct redis	*r;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (argc > 1 && strcmp(argv[1], verbs[i].verb) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return ctl_bad_usage("user: unknown verb \"%s\"",
		    argc > 1 ? argv[1] : "");
	if (ctl_opts(ctl, argc, argv, verbs[i].opts, &o) < 0)
		return EXIT_USAGE;
	if (o.nargs < verbs[i].min || o.nargs > verbs[i].max)
		return ctl_bad_usage("user: wrong number of arguments");
	if (o.nargs > 0 && !ctl_name_ok("user", o.args[0]))
		return EXIT_USAGE;
	if ((r = ctl_redis(ctl)) == NULL)
		return EXIT_REFUSED;
	rc = dispatch(ctl, r, argv[1], &o);
	redis_free(r);
	return rc;
}
