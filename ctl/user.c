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
 *
 * The index of suspended users (Psuspended, another slot) is written
 * around the scripts in lib/schema.h's order (suspidx.c): suspend adds
 * the name before and after its script; resume, del and add make the
 * index follow acct after theirs.  A failure there is a warning: the
 * change is made, only the count is off until outpostctl migrate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "json.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

/*
 * One user's keys only (one Cluster slot): KEYS acct, dom, plim; ARGV
 * plan, domains...  0 added, -3 it exists.  acct is written last: the
 * user exists iff it does.  user_add adds the name to Pusers BEFORE
 * (a crash in between leaves a listed name without acct: no user, which
 * every reader skips, and a second "user add" completes) and copies the
 * plan limits AFTER (a crash in between leaves a user without a copy:
 * judged with the plan fetched, lib/schema.h).
 */
static const char lua_add[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then return -3 end\n"
    "redis.call('DEL', KEYS[2], KEYS[3])\n"
    "for i = 2, #ARGV do redis.call('SADD', KEYS[2], ARGV[i]) end\n"
    "local now = redis.call('TIME')[1]\n"
    "redis.call('HSET', KEYS[1], 'plan', ARGV[1], 'state', 'active',"
    " 'reason', '', 'since', now, 'created', now)\n"
    "return 0\n";

/* KEYS acct, lim; ARGV change-plan (0/1), plan, limit ops...  The plan's
 * existence is checked before, its limits copied after (ctl_plan_copy). */
static const char lua_set[] =
    CTL_LUA_APPLY
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "if ARGV[1] == '1' then\n"
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
 * KEYS acct, lim, dom, plim, the user's suppression buckets, keys
 * found...  Returns the number of keys deleted, or -1 when there was no
 * such user.  The name leaves Pusers after the script (another slot): a
 * crash in between leaves a listed name without acct, no user.
 */
static const char lua_del[] =
    "if redis.call('DEL', KEYS[1]) == 0 then return -1 end\n"
    "local n = 1\n"
    "for i = 2, #KEYS do n = n + redis.call('DEL', KEYS[i]) end\n"
    "return n\n";

#define DEL_FIRST	50	/* keys found, deleted by the script */
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

/* 1 if PLAN is in Pplans, 0 not, -1 Redis failed. */
static int
plan_listed(struct ctl *ctl, struct redis *r, const char *plan)
{
	char		 k[SCHEMA_KEY_MAX];
	redisReply	*rep;
	int		 n;

	gkey(ctl, SCHEMA_PLANS, k);
	if ((rep = redis_command(r, "SISMEMBER %s %s", k, plan)) == NULL)
		return -1;
	n = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	return n;
}

/* The plan limits of a user just added or moved (plancopy.c). */
static int
copy_limits(struct ctl *ctl, struct redis *r, const char *name,
    int *noplan)
{
	if (ctl_plan_copy(ctl, r, name, noplan) < 0) {
		ctl_warn("user %s: its plan limits were not copied (%s): the "
		    "daemons fetch the plan for it until outpostctl migrate "
		    "copies them", name, redis_errstr(r));
		return -1;
	}
	return 0;
}

/* The index made to follow NAME's acct after a change (suspidx.c). */
static void
follow(struct ctl *ctl, struct redis *r, const char *name)
{
	if (ctl_susp_follow(ctl, r, name) < 0)
		ctl_warn("user %s: the index of suspended users was not "
		    "updated (%s): the count of suspended users may be off "
		    "until outpostctl migrate", name, redis_errstr(r));
}

/* user add: Pusers first, then the user's keys, then the copy. */
static int
add_keys(struct ctl *ctl, struct redis *r, const char *name,
    const char *plan, char (*dom)[256], int ndom, long long *code)
{
	char		 k[4][SCHEMA_KEY_MAX];
	const char	*av[4 + CTL_MAX_DOMAINS];
	redisReply	*rep;
	int		 i;

	gkey(ctl, SCHEMA_USERS, k[3]);
	if ((rep = redis_command(r, "SADD %s %s", k[3], name)) == NULL) {
		ctl_write_failed(ctl, r, "user add", "user list");
		return -1;
	}
	freeReplyObject(rep);
	gkey(ctl, SCHEMA_USERIX, k[3]);
	if ((rep = redis_command(r, "ZADD %s 0 %s", k[3], name)) == NULL) {
		ctl_write_failed(ctl, r, "user add", "user list");
		return -1;
	}
	freeReplyObject(rep);
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	ukey(ctl, name, SCHEMA_DOM, k[1]);
	ukey(ctl, name, SCHEMA_PLIM, k[2]);
	av[0] = k[0], av[1] = k[1], av[2] = k[2], av[3] = plan;
	for (i = 0; i < ndom; i++)
		av[4 + i] = dom[i];
	return run(ctl, r, "user add", name, lua_add, 3, 4 + ndom, av, NULL,
	    code);
}

int
user_add(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	char		 dom[CTL_MAX_DOMAINS][256], err[256];
	char		 acct[SCHEMA_KEY_MAX];
	const char	*name = o->args[0];
	redisReply	*rep;
	long long	 code;
	int		 i, noplan = 0;

	if (o->plan != NULL && !ctl_name_ok("plan", o->plan))
		return EXIT_USAGE;
	for (i = 0; i < o->ndomains; i++)
		if (mailaddr_domain_norm(o->domains[i], dom[i], sizeof(dom[i]),
		    err, sizeof(err)) < 0) {
			fprintf(stderr, "outpostctl: --domain %s: %s\n",
			    o->domains[i], err);
			return EXIT_USAGE;
		}
	if (o->plan != NULL && (i = plan_listed(ctl, r, o->plan)) <= 0)
		return i < 0 ? ctl_redis_failed(ctl, r, "user add") :
		    no_plan(ctl, o->plan);
	ukey(ctl, name, SCHEMA_ACCT, acct);
	if (add_keys(ctl, r, name, o->plan != NULL ? o->plan : "", dom,
	    o->ndomains, &code) < 0)
		return EXIT_REFUSED;
	if (code == -3)
		return ctl_refuse(ctl, "user %s already exists", name);
	follow(ctl, r, name);	/* a member a crashed "user del" left */
	/* plan del hides the name, then counts users: checked again after
	 * acct exists, one of the two sees the other (no user is left on a
	 * deleted plan). */
	if (o->plan != NULL && plan_listed(ctl, r, o->plan) == 0) {
		if ((rep = redis_command(r, "DEL %s", acct)) != NULL)
			freeReplyObject(rep);
		return no_plan(ctl, o->plan);
	}
	copy_limits(ctl, r, name, &noplan);
	if (noplan && o->plan == NULL)
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
	char		 k[2][SCHEMA_KEY_MAX], err[512];
	char		 bufs[2 * CTL_MAX_LIMIT_ARGS][64];
	const char	*av[4 + 3 * CTL_MAX_LIMIT_ARGS], *name = o->args[0];
	long long	 code;
	int		 n, noplan;

	if (o->plan == NULL && o->nargs < 2)
		return ctl_bad_usage("user set: give --plan PLAN or a LIMIT");
	if (o->plan != NULL && !ctl_name_ok("plan", o->plan))
		return EXIT_USAGE;
	if (ctl_limit_args(o->args + 1, o->nargs - 1, lims, err,
	    sizeof(err)) < 0)
		return ctl_bad_usage("%s", err);
	if (o->plan != NULL && (n = plan_listed(ctl, r, o->plan)) <= 0)
		return n < 0 ? ctl_redis_failed(ctl, r, "user set") :
		    no_plan(ctl, o->plan);
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	ukey(ctl, name, SCHEMA_LIM, k[1]);
	av[0] = k[0], av[1] = k[1];
	av[2] = o->plan != NULL ? "1" : "0";
	av[3] = o->plan != NULL ? o->plan : "";
	n = ctl_limit_ops(lims, o->nargs - 1, bufs, av + 4);
	if (run(ctl, r, "user set", name, lua_set, 2, 4 + n, av, NULL,
	    &code) < 0)
		return EXIT_REFUSED;
	if (code == -1)
		return no_user(ctl, name);
	if (o->plan != NULL)
		copy_limits(ctl, r, name, &noplan);
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
	if (suspend && ctl_susp_add(ctl, r, name) < 0) {
		snprintf(rt, sizeof(rt), "user show %s", name);
		return ctl_write_failed(ctl, r, "user suspend", rt);
	}
	if (run(ctl, r, suspend ? "user suspend" : "user resume", name,
	    lua_state, 1, 3, av, NULL, &code) < 0)
		return EXIT_REFUSED;
	if (suspend && code >= 0 && ctl_susp_add(ctl, r, name) < 0)
		ctl_warn("user %s: not added to the index of suspended users "
		    "(%s): the count of suspended users may be off until "
		    "outpostctl migrate", name, redis_errstr(r));
	else if (!suspend || code < 0)
		follow(ctl, r, name);
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

/* The script's KEYS: acct, lim, dom, plim, every suppression bucket of
 * the user, then the first keys found.  Freed by the caller. */
static const char **
del_keys(struct ctl *ctl, const char *name, const struct keys *found,
    size_t first, char (*k)[SCHEMA_KEY_MAX], size_t *n)
{
	static const char *const sfx[4] = { SCHEMA_ACCT, SCHEMA_LIM,
	    SCHEMA_DOM, SCHEMA_PLIM };
	const char	**av;
	size_t		 i;

	av = xcalloc(4 + SCHEMA_SUP_USER_BUCKETS + first, sizeof(*av));
	for (i = 0; i < 4; i++) {
		ukey(ctl, name, sfx[i], k[i]);
		av[i] = k[i];
	}
	for (i = 0; i < SCHEMA_SUP_USER_BUCKETS; i++) {
		schema_key_sup(&ctl->conf, name, (unsigned)i, k[4 + i],
		    SCHEMA_KEY_MAX);
		av[4 + i] = k[4 + i];
	}
	for (i = 0; i < first; i++)
		av[4 + SCHEMA_SUP_USER_BUCKETS + i] = found->s[i];
	*n = 4 + SCHEMA_SUP_USER_BUCKETS + first;
	return av;
}

int
user_del(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	const char	*name = o->args[0], **av;
	char		 glob[SCHEMA_KEY_MAX * 2], (*k)[SCHEMA_KEY_MAX];
	size_t		 n, first, left;
	struct keys	 found = { NULL, NULL, 0, 0 };
	redisReply	*rep;
	long long	 code;
	int		 rc;

	if (schema_key_user_glob(&ctl->conf, name, glob, sizeof(glob)) < 0)
		return ctl_refuse(ctl, "user %s: name too long", name);
	k = xcalloc(4 + SCHEMA_SUP_USER_BUCKETS, sizeof(*k));
	ukey(ctl, name, SCHEMA_ACCT, k[0]);
	if ((rep = redis_command(r, "EXISTS %s", k[0])) == NULL) {
		free(k);
		return ctl_redis_failed(ctl, r, "user del");
	}
	code = rep->integer;
	freeReplyObject(rep);
	if (code == 0) {
		free(k);
		return no_user(ctl, name);
	}
	if (del_scan(r, glob, &found) < 0) {
		keys_clear(&found);
		free(k);
		return ctl_refuse(ctl, "user del: SCAN: %s (nothing deleted)",
		    redis_errstr(r));
	}
	first = found.n < DEL_FIRST ? found.n : DEL_FIRST;
	av = del_keys(ctl, name, &found, first, k, &n);
	rc = run(ctl, r, "user del", name, lua_del, (int)n, (int)n, av, NULL,
	    &code);
	free(av);
	if (rc == 0 && code != -1) {	/* then the name leaves the list */
		ukey(ctl, name, SCHEMA_ACCT, k[0]);
		gkey(ctl, SCHEMA_USERS, k[1]);
		if ((rep = redis_command(r, "SREM %s %s", k[1], name)) != NULL)
			freeReplyObject(rep);
		gkey(ctl, SCHEMA_USERIX, k[1]);
		if ((rep = redis_command(r, "ZREM %s %s", k[1], name)) != NULL)
			freeReplyObject(rep);
		follow(ctl, r, name);
	}
	free(k);
	if (rc < 0 || code == -1) {	/* -1: deleted since the EXISTS */
		keys_clear(&found);
		return rc < 0 ? EXIT_REFUSED : no_user(ctl, name);
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
