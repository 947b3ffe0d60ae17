/*
 * outpostctl user -- the changes to sending accounts (show and list live
 * in usershow.c).
 *
 *   user add NAME [--plan PLAN] [--domain DOMAIN]...
 *   user set NAME [--plan PLAN] [LIMIT...]   per-user overrides
 *   user suspend NAME [--reason TEXT]  |  user resume NAME
 *                                            (resume: a fresh window of
 *                                            the pause rates)
 *   user del NAME                            every key of the user
 *   user allow NAME DOMAIN  |  user deny NAME DOMAIN [--any]
 *
 * Each change is one Lua script (checks and writes in one atomic step, so
 * a concurrent daemon or admin never sees half of it); "since" and
 * "created" come from Redis's clock, the one the daemons' scripts use.
 * Scripts answer with integer codes: -1 no such user, -2 no such plan,
 * -3 user exists / domain not allowed, -4 last allowed domain.  (user del first SCANs for the
 * user's keys from here, then runs its script: see lua_del.)  A script
 * sent but not answered within redis_timeout is reported as "outcome
 * unknown", never as refused: Redis may have run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

/* KEYS acct, users, plans, dom; ARGV name, plan, default plan,
 * domains...  0 added, 1 added but its effective plan does not exist. */
static const char lua_add[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return -3 end\n"
    "if ARGV[2] ~= '' and redis.call('SISMEMBER', KEYS[3], ARGV[2]) == 0"
    " then return -2 end\n"
    "local now = redis.call('TIME')[1]\n"
    "redis.call('HSET', KEYS[1], 'plan', ARGV[2], 'state', 'active',"
    " 'reason', '', 'since', now, 'created', now)\n"
    "redis.call('SADD', KEYS[2], ARGV[1])\n"
    "redis.call('DEL', KEYS[4])\n"
    "for i = 4, #ARGV do redis.call('SADD', KEYS[4], ARGV[i]) end\n"
    "local eff = ARGV[2] ~= '' and ARGV[2] or ARGV[3]\n"
    "if redis.call('SISMEMBER', KEYS[3], eff) == 0 then return 1 end\n"
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

/*
 * KEYS acct; ARGV state, reason.  1 if it already was in that state.
 * Either change ends a pause by outpost-feedback (paused_by: the state
 * is the admin's now).  A resume first deletes P{log}:rt:NAME (another
 * slot, a command of its own): a fresh window, or the next event would
 * pause the user again at once; a pause decided on the old window and
 * applied after this script is refused by its since (feedback/effects.c).
 */
static const char lua_state[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local was = redis.call('HGET', KEYS[1], 'state')\n"
    "local now = tonumber(redis.call('TIME')[1])\n"
    "redis.call('HSET', KEYS[1], 'state', ARGV[1], 'reason', ARGV[2],"
    " 'since', now)\n"
    "redis.call('HDEL', KEYS[1], '" SCHEMA_F_PAUSED_BY "')\n"
    "if was == ARGV[1] then return 1 end\n"
    "return 0\n";

/*
 * user del.  SCAN runs here, in the client, a page at a time, so Redis
 * serves the daemons between pages however large the keyspace (a SCAN
 * loop inside a script blocked Redis for a second with 2M keys).  Then one
 * script deletes the acct hash FIRST -- from that instant the user does
 * not exist for the daemons nor for outpostctl -- removes the name from
 * the users set and deletes the first DEL_FIRST keys found; the rest go
 * DEL_BATCH at a time.  A key written after the scan by a request already
 * in flight cannot bring the user back (the user exists iff acct exists,
 * lib/schema.h): it is a counter or a refund record, harmless without
 * acct, and it expires on its own.  The keys that never expire (lim, dom,
 * the user's suppression buckets) are deleted by name by the script, found
 * by the scan or not, so a later "user add" of the name starts clean.
 *
 * KEYS acct, users, lim, dom, keys found...; ARGV name, prefix of the
 * suppression buckets ("P{u:NAME}:sup:"), their number.  Returns the
 * number of keys deleted, or -1 when there was no such user.
 */
static const char lua_del[] =
    "if redis.call('DEL', KEYS[1]) == 0 then return -1 end\n"
    "redis.call('SREM', KEYS[2], ARGV[1])\n"
    "local n = 1\n"
    "for i = 3, #KEYS do n = n + redis.call('DEL', KEYS[i]) end\n"
    "for b = 0, tonumber(ARGV[3]) - 1 do\n"
    "  n = n + redis.call('DEL', ARGV[2] .. b)\n"
    "end\n"
    "return n\n";

#define DEL_FIRST	50	/* + 4 KEYS + 3 ARGV <= redis_eval's 60 */
#define DEL_BATCH	1000	/* keys per DEL after the script */

struct keys {
	char		**s;
	size_t		 *len;
	size_t		  n, cap;
};

/*
 * KEYS acct, dom; ARGV allow|deny, domain, any (deny: "1" --any).  allow:
 * 1 added, 0 was there; deny: domains left, -3 when it was not allowed,
 * -4 when it is the last one and any is not "1" -- an EMPTY set means "no
 * sender restriction" to the daemons (lib/schema.h), so removing the last
 * domain would open the account to every domain: only on purpose.
 */
static const char lua_domain[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if ARGV[1] == 'allow' then return redis.call('SADD', KEYS[2], ARGV[2])"
    " end\n"
    "if redis.call('SISMEMBER', KEYS[2], ARGV[2]) == 0 then return -3 end\n"
    "if redis.call('SCARD', KEYS[2]) == 1 and ARGV[3] ~= '1' then return -4"
    " end\n"
    "redis.call('SREM', KEYS[2], ARGV[2])\n"
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

/* Run the script of a change of user NAME; its integer answer in *code,
 * or -1 (refusal, or "outcome unknown", printed). */
static int
run(struct ctl *ctl, struct redis *r, const char *what, const char *name,
    const char *lua, int nkeys, int argc, const char **argv, size_t *argvlen,
    long long *code)
{
	redisReply	*rep;
	char		 check[SCHEMA_KEY_MAX];

	if ((rep = redis_eval(r, lua, nkeys, argc, argv, argvlen)) == NULL) {
		snprintf(check, sizeof(check), "user show %s", name);
		ctl_write_failed(ctl, r, what, check);
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

int
user_add(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	char		 k[4][SCHEMA_KEY_MAX], dom[CTL_MAX_DOMAINS][256];
	char		 err[256];
	const char	*av[4 + 3 + CTL_MAX_DOMAINS], *name = o->args[0];
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
	av[6] = ctl->conf.default_plan;
	for (i = 0; i < o->ndomains; i++)
		av[7 + i] = dom[i];
	if (run(ctl, r, "user add", name, lua_add, 4, 7 + o->ndomains, av,
	    NULL, &code) < 0)
		return EXIT_REFUSED;
	if (code == -3)
		return ctl_refuse(ctl, "user %s already exists", name);
	if (code == -2)
		return no_plan(ctl, o->plan);
	if (code == 1)
		ctl_warn("user %s follows default_plan %s, which does not "
		    "exist: it sends without plan limits until you create it "
		    "(outpostctl plan set %s LIMIT...) or give the user a plan "
		    "(outpostctl user set %s --plan PLAN)", name,
		    ctl->conf.default_plan, ctl->conf.default_plan, name);
	if (o->ndomains == 0 && ctl->conf.authorize_senders)
		ctl_warn("user %s has no --domain: with authorize_senders = yes "
		    "it may send as no From domain (give it one with: "
		    "outpostctl user allow %s DOMAIN)", name, name);
	return ctl_done(ctl, "user", name, "user %s added (plan %s%s, %s)",
	    name, o->plan != NULL ? o->plan : ctl->conf.default_plan,
	    o->plan != NULL ? "" : " = default_plan", o->ndomains == 0 ?
	    "any sender domain" : "sender domains restricted");
}

int
user_set(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
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
	if (run(ctl, r, "user set", name, lua_set, 3, 5 + n, av, NULL,
	    &code) < 0)
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
user_state(struct ctl *ctl, struct ctl_opts *o, int suspend)
{
	struct redis	*r = ctl->r;
	char		 k[SCHEMA_KEY_MAX], rt[SCHEMA_KEY_MAX];
	const char	*av[3], *name = o->args[0];
	redisReply	*rep;
	long long	 code;

	if (o->reason != NULL && !reason_ok(o->reason))
		return ctl_bad_usage("--reason: at most 400 printable ASCII "
		    "characters (it becomes part of an SMTP reply)");
	ukey(ctl, name, SCHEMA_ACCT, k);
	av[0] = k;
	av[1] = suspend ? SCHEMA_SUSPENDED : SCHEMA_ACTIVE;
	av[2] = suspend && o->reason != NULL ? o->reason : "";
	if (!suspend && schema_key_figures(&ctl->conf, name, SCHEMA_RT, 0, rt,
	    sizeof(rt)) == 0 && (rep = redis_command(r, "DEL %s", rt)) != NULL)
		freeReplyObject(rep);
	if (run(ctl, r, suspend ? "user suspend" : "user resume", name,
	    lua_state, 1, 3, av, NULL, &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	return ctl_done(ctl, "user", name, "user %s %s%s", name,
	    code == 1 ? "was already " : "", suspend ? "suspended" : "active");
}

static void
keys_clear(struct keys *k)
{
	size_t	 i;

	for (i = 0; i < k->n; i++)
		free(k->s[i]);
	free(k->s);
	free(k->len);
	k->s = NULL, k->len = NULL, k->n = k->cap = 0;
}

static void
keys_add(struct keys *k, const redisReply *e)
{
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 256;
		k->s = xrealloc(k->s, k->cap * sizeof(*k->s));
		k->len = xrealloc(k->len, k->cap * sizeof(*k->len));
	}
	k->s[k->n] = xmalloc(e->len + 1);
	memcpy(k->s[k->n], e->str, e->len + 1);
	k->len[k->n++] = e->len;
}

static int
del_found(void *arg, const redisReply *e)
{
	keys_add(arg, e);
	return 0;
}

/* Every key matching glob on every master, a page at a time; 0 / -1. */
static int
del_scan(struct redis *r, const char *glob, struct keys *k)
{
	return redis_scan(r, glob, del_found, k);
}

/* The keys after the script's, DEL_BATCH at a time; how many were left. */
static size_t
del_rest(struct redis *r, const struct keys *k, size_t from,
    long long *deleted)
{
	const char	*av[1 + DEL_BATCH];
	size_t		 al[1 + DEL_BATCH], i, n;
	redisReply	*rep;

	for (; from < k->n; from += n) {
		n = k->n - from < DEL_BATCH ? k->n - from : DEL_BATCH;
		av[0] = "DEL", al[0] = 3;
		for (i = 0; i < n; i++)
			av[1 + i] = k->s[from + i], al[1 + i] = k->len[from + i];
		if ((rep = redis_commandv(r, (int)n + 1, av, al)) == NULL)
			return k->n - from;
		*deleted += rep->integer;
		freeReplyObject(rep);
	}
	return 0;
}

int
user_del(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	const char	*name = o->args[0];
	char		 k[4][SCHEMA_KEY_MAX], sup[SCHEMA_KEY_MAX], nb[16];
	char		 glob[SCHEMA_KEY_MAX * 2];
	const char	*av[7 + DEL_FIRST];
	size_t		 al[7 + DEL_FIRST], i, first, left;
	struct keys	 found = { NULL, NULL, 0, 0 };
	redisReply	*rep;
	long long	 code;

	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	gkey(ctl, SCHEMA_USERS, k[1]);
	ukey(ctl, name, SCHEMA_LIM, k[2]);
	ukey(ctl, name, SCHEMA_DOM, k[3]);
	ukey(ctl, name, "sup:", sup);
	if (schema_key_user_glob(&ctl->conf, name, glob, sizeof(glob)) < 0)
		return ctl_refuse(ctl, "user %s: name too long", name);
	if ((rep = redis_command(r, "EXISTS %s", k[0])) == NULL)
		return ctl_redis_failed(ctl, r, "user del");
	code = rep->integer;
	freeReplyObject(rep);
	if (code == 0)
		return no_user(ctl, name);
	if (del_scan(r, glob, &found) < 0) {
		keys_clear(&found);
		return ctl_refuse(ctl, "user del: SCAN: %s (nothing deleted)",
		    redis_errstr(r));
	}
	snprintf(nb, sizeof(nb), "%d", SCHEMA_SUP_USER_BUCKETS);
	first = found.n < DEL_FIRST ? found.n : DEL_FIRST;
	for (i = 0; i < 4; i++)
		av[i] = k[i], al[i] = strlen(k[i]);
	for (i = 0; i < first; i++)
		av[4 + i] = found.s[i], al[4 + i] = found.len[i];
	av[4 + first] = name, al[4 + first] = strlen(name);
	av[5 + first] = sup, al[5 + first] = strlen(sup);
	av[6 + first] = nb, al[6 + first] = strlen(nb);
	if (run(ctl, r, "user del", name, lua_del, 4 + (int)first,
	    7 + (int)first, av, al, &code) < 0) {
		keys_clear(&found);
		return EXIT_REFUSED;
	}
	if (code == -1) {		/* deleted since the EXISTS */
		keys_clear(&found);
		return no_user(ctl, name);
	}
	if ((left = del_rest(r, &found, first, &code)) > 0)
		fprintf(stderr, "outpostctl: warning: user %s is deleted, but "
		    "%zu of its keys were left (%s); they expire on their "
		    "own\n", name, left, redis_errstr(r));
	keys_clear(&found);
	return ctl_done(ctl, "user", name, "user %s deleted (%lld keys)", name,
	    code);
}

static int
user_domain(struct ctl *ctl, struct ctl_opts *o, int allow)
{
	struct redis	*r = ctl->r;
	char		 k[2][SCHEMA_KEY_MAX], dom[256], err[256];
	const char	*av[5], *name = o->args[0];
	long long	 code;

	if (mailaddr_domain_norm(o->args[1], dom, sizeof(dom), err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "outpostctl: domain %s: %s\n", o->args[1], err);
		return EXIT_USAGE;
	}
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	ukey(ctl, name, SCHEMA_DOM, k[1]);
	av[0] = k[0], av[1] = k[1], av[2] = allow ? "allow" : "deny";
	av[3] = dom, av[4] = o->any ? "1" : "0";
	if (run(ctl, r, allow ? "user allow" : "user deny", name, lua_domain,
	    2, 5, av, NULL, &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	if (code == -3)
		return ctl_refuse(ctl, "user %s: %s was not allowed", name, dom);
	if (allow)
		return ctl_done(ctl, "user", name, "user %s %s %s (and its "
		    "subdomains)", name, code ? "may now send as" :
		    "already may send as", dom);
	if (code == -4)
		return ctl_refuse(ctl, "%s: %s is the last allowed domain; "
		    "removing it would allow every domain \u2014 use 'outpostctl "
		    "user deny %s %s --any' to do that on purpose", name, dom,
		    name, dom);
	return ctl_done(ctl, "user", name, "user %s may no longer send as %s%s",
	    name, dom, code == 0 ? "; no allowed domain is left, so it may "
	    "send as ANY domain" : "");
}

int
user_suspend(struct ctl *ctl, struct ctl_opts *o)
{
	return user_state(ctl, o, 1);
}

int
user_resume(struct ctl *ctl, struct ctl_opts *o)
{
	return user_state(ctl, o, 0);
}

int
user_allow(struct ctl *ctl, struct ctl_opts *o)
{
	return user_domain(ctl, o, 1);
}

int
user_deny(struct ctl *ctl, struct ctl_opts *o)
{
	return user_domain(ctl, o, 0);
}
