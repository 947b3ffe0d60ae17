/*
 * outpostctl: copies of plan limits into the users (lib/schema.h plim),
 * so that the daemons' scripts read one user's keys only (one Redis
 * Cluster slot).
 *
 *   ctl_plan_copy(ctl, r, user, &noplan)
 *       copies the limits of USER's effective plan (its own, or conf
 *       default_plan) into P{u:USER}:plim with one script on the user's
 *       slot, which first checks that the user still has that effective
 *       plan (a concurrent "user set --plan" wins: read again, at most
 *       COPY_TRIES times).  noplan: 1 when that plan does not exist.
 *       0 copied, 1 no such user, -1 Redis failed (or kept changing).
 *   ctl_plan_sync(ctl, r, plan, &n)
 *       the same for every user in Pusers whose effective plan is PLAN
 *       (NULL: every user), a SSCAN page at a time, one user at a time:
 *       n users copied; 0 or -1.
 *   ctl_users_walk(ctl, r, plan, page, &n)
 *       every member of Pusers, an SSCAN page at a time (ctl_sscan):
 *       page(ctl, r, plan, members, &n) for each page (0, or -1 to
 *       stop); 0 or -1.
 *
 * The copy is never wrong for long, and a missing one is never wrong at
 * all: a user whose copy names another plan than its effective one (or
 * none) is judged by the daemon with the plan fetched (schema.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define COPY_TRIES	3

/* KEYS acct, plim; ARGV plan, default plan, exists (1/0), then field,
 * value pairs.  0 copied, -1 no user, -2 the effective plan changed. */
static const char lua_copy[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
    "local p = redis.call('HGET', KEYS[1], 'plan')\n"
    "if not p or p == '' then p = ARGV[2] end\n"
    "if p ~= ARGV[1] then return -2 end\n"
    "redis.call('DEL', KEYS[2])\n"
    "redis.call('HSET', KEYS[2], '" SCHEMA_PLIM_FROM "', ARGV[1])\n"
    "if ARGV[3] ~= '1' then\n"
    "  redis.call('HSET', KEYS[2], '" SCHEMA_PLIM_NOPLAN "', '1')\n"
    "end\n"
    "for i = 4, #ARGV - 1, 2 do\n"
    "  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])\n"
    "end\n"
    "return 0\n";

/* The effective plan of USER into plan; 1 no such user, 0, -1. */
static int
effective(struct ctl *ctl, struct redis *r, const char *user, char *plan,
    size_t len)
{
	char		 acct[SCHEMA_KEY_MAX];
	redisReply	*rep;

	if (schema_key_user(&ctl->conf, user, SCHEMA_ACCT, acct,
	    sizeof(acct)) < 0)
		return 1;
	if ((rep = redis_command(r, "HMGET %s %s %s", acct, SCHEMA_F_PLAN,
	    SCHEMA_F_STATE)) == NULL)
		return -1;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    (rep->element[0]->type != REDIS_REPLY_STRING &&
	    rep->element[1]->type != REDIS_REPLY_STRING)) {
		freeReplyObject(rep);
		return 1;		/* no acct: no user */
	}
	snprintf(plan, len, "%s", rep->element[0]->type ==
	    REDIS_REPLY_STRING && rep->element[0]->len > 0 ?
	    rep->element[0]->str : ctl->conf.default_plan);
	freeReplyObject(rep);
	return 0;
}

/* The plan's HGETALL (*h, NULL when the plan does not exist). */
static int
plan_fetch(struct ctl *ctl, struct redis *r, const char *plan,
    redisReply **h)
{
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*rep;
	int		 exists;

	*h = NULL;
	if (*plan == '\0')
		return 0;
	schema_key_global(&ctl->conf, SCHEMA_PLANS, key, sizeof(key));
	if ((rep = redis_command(r, "SISMEMBER %s %s", key, plan)) == NULL)
		return -1;
	exists = rep->type == REDIS_REPLY_INTEGER && rep->integer == 1;
	freeReplyObject(rep);
	if (!exists)
		return 0;
	schema_key_plan(&ctl->conf, plan, key, sizeof(key));
	if ((*h = redis_command(r, "HGETALL %s", key)) == NULL)
		return -1;
	return 0;
}

static int
copy_once(struct ctl *ctl, struct redis *r, const char *user,
    const char *plan, int *noplan)
{
	char		 k[2][SCHEMA_KEY_MAX];
	const char	**av;
	redisReply	*h, *rep;
	size_t		 i, n = 0;
	int		 rc;

	if (plan_fetch(ctl, r, plan, &h) < 0)
		return -1;
	if (h != NULL && h->type == REDIS_REPLY_ARRAY)
		n = h->elements & ~(size_t)1;
	av = xcalloc(5 + n, sizeof(*av));
	schema_key_user(&ctl->conf, user, SCHEMA_ACCT, k[0], sizeof(k[0]));
	schema_key_user(&ctl->conf, user, SCHEMA_PLIM, k[1], sizeof(k[1]));
	av[0] = k[0], av[1] = k[1], av[2] = plan;
	av[3] = ctl->conf.default_plan, av[4] = h != NULL ? "1" : "0";
	for (i = 0; i < n; i++)
		av[5 + i] = h->element[i]->type == REDIS_REPLY_STRING ?
		    h->element[i]->str : "";
	*noplan = h == NULL;
	rep = redis_eval(r, lua_copy, 2, (int)(5 + n), av, NULL);
	free(av);
	if (h != NULL)
		freeReplyObject(h);
	if (rep == NULL)
		return -1;
	rc = rep->type != REDIS_REPLY_INTEGER ? -1 : rep->integer == 0 ? 0 :
	    rep->integer == -1 ? 1 : 2;
	freeReplyObject(rep);
	return rc;
}

int
ctl_plan_copy(struct ctl *ctl, struct redis *r, const char *user,
    int *noplan)
{
	char	 plan[SCHEMA_KEY_MAX];
	int	 i, rc = -1;

	*noplan = 0;
	for (i = 0; i < COPY_TRIES; i++) {
		if ((rc = effective(ctl, r, user, plan, sizeof(plan))) != 0)
			return rc;
		if ((rc = copy_once(ctl, r, user, plan, noplan)) != 2)
			return rc;
	}
	return -1;
}

/* One SSCAN page: copy the users on PLAN (NULL: all). */
static int
sync_page(struct ctl *ctl, struct redis *r, const char *plan,
    const redisReply *m, long long *n)
{
	char	 eff[SCHEMA_KEY_MAX];
	size_t	 i;
	int	 rc, noplan;

	for (i = 0; i < m->elements; i++) {
		if (m->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if (plan != NULL) {
			rc = effective(ctl, r, m->element[i]->str, eff,
			    sizeof(eff));
			if (rc < 0)
				return -1;
			if (rc == 1 || strcmp(eff, plan) != 0)
				continue;
		}
		if ((rc = ctl_plan_copy(ctl, r, m->element[i]->str,
		    &noplan)) < 0)
			return -1;
		if (rc == 0)
			(*n)++;
	}
	return 0;
}

struct walk {
	const char	*plan;
	ctl_users_page	*page;
	long long	*n;
};

static int
walk_page(struct ctl *ctl, struct redis *r, const redisReply *m, void *arg)
{
	struct walk	*w = arg;

	return w->page(ctl, r, w->plan, m, w->n);
}

int
ctl_users_walk(struct ctl *ctl, struct redis *r, const char *plan,
    ctl_users_page *page, long long *n)
{
	char		 kusers[SCHEMA_KEY_MAX];
	struct walk	 w = { plan, page, n };

	*n = 0;
	schema_key_global(&ctl->conf, SCHEMA_USERS, kusers, sizeof(kusers));
	return ctl_sscan(ctl, r, kusers, walk_page, &w);
}

/* One SSCAN page into the name index: one ZADD of the page's names. */
static int
index_page(struct ctl *ctl, struct redis *r, const char *plan,
    const redisReply *m, long long *n)
{
	char		 key[SCHEMA_KEY_MAX];
	const char	**av;
	redisReply	*rep;
	size_t		 i;
	int		 ac = 2;

	(void)plan;
	if (m->elements == 0)
		return 0;
	schema_key_global(&ctl->conf, SCHEMA_USERIX, key, sizeof(key));
	av = xcalloc(2 + 2 * m->elements, sizeof(*av));
	av[0] = "ZADD", av[1] = key;
	for (i = 0; i < m->elements; i++)
		if (m->element[i]->type == REDIS_REPLY_STRING) {
			av[ac++] = "0";
			av[ac++] = m->element[i]->str;
		}
	rep = ac > 2 ? redis_commandv(r, ac, av, NULL) : NULL;
	free(av);
	if (ac > 2 && rep == NULL)
		return -1;
	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		*n += rep->integer;
	if (rep != NULL)
		freeReplyObject(rep);
	return 0;
}

int
ctl_users_index(struct ctl *ctl, struct redis *r, long long *n)
{
	char		 ku[SCHEMA_KEY_MAX], kx[SCHEMA_KEY_MAX];
	redisReply	*a, *b;
	int		 same;

	*n = 0;
	schema_key_global(&ctl->conf, SCHEMA_USERS, ku, sizeof(ku));
	schema_key_global(&ctl->conf, SCHEMA_USERIX, kx, sizeof(kx));
	if ((a = redis_command(r, "SCARD %s", ku)) == NULL)
		return -1;
	if ((b = redis_command(r, "ZCARD %s", kx)) == NULL) {
		freeReplyObject(a);
		return -1;
	}
	same = a->type == REDIS_REPLY_INTEGER && b->type ==
	    REDIS_REPLY_INTEGER && a->integer == b->integer;
	freeReplyObject(a);
	freeReplyObject(b);
	if (same)
		return 0;
	return ctl_users_walk(ctl, r, NULL, index_page, n);
}

int
ctl_plan_sync(struct ctl *ctl, struct redis *r, const char *plan,
    long long *n)
{
	return ctl_users_walk(ctl, r, plan, sync_page, n);
}
