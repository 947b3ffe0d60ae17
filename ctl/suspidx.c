/*
 * outpostctl: the index of suspended users, Psuspended (lib/schema.h),
 * kept by the commands that change a user's state, in the order schema.h
 * gives (a crash leaves an extra member, never a missing one).
 *
 *   ctl_susp_add(ctl, r, name)
 *       SADD: before a suspension's script, and after it.  0, -1 (Redis
 *       error in r)
 *   ctl_susp_follow(ctl, r, name)
 *       after any other change of the user's acct: SREM, then HGET of the
 *       acct state and SADD again if it reads "suspended" (a pause applied
 *       between the change and the SREM keeps its member).  0, -1
 *   ctl_susp_rebuild(ctl, r, &members)
 *       outpostctl migrate: every user of Pusers whose state is
 *       "suspended" added, then every member followed (one whose user is
 *       active or gone leaves): an SSCAN page at a time (ctl_sscan), no
 *       walk blocks Redis.  members: the SCARD after.  0, -1
 */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "redis.h"
#include "schema.h"

static void
skey(struct ctl *ctl, char *buf)
{
	schema_key_global(&ctl->conf, SCHEMA_SUSPENDED_SET, buf,
	    SCHEMA_KEY_MAX);
}

/* One command with an integer or status answer; 0 / -1. */
static int
simple(struct redis *r, const char *cmd, const char *key, const char *name)
{
	redisReply	*rep;

	if ((rep = redis_command(r, cmd, key, name)) == NULL)
		return -1;
	freeReplyObject(rep);
	return 0;
}

/* 1 if NAME's acct says suspended, 0 not (or no user), -1 Redis. */
static int
is_suspended(struct ctl *ctl, struct redis *r, const char *name)
{
	char		 acct[SCHEMA_KEY_MAX];
	redisReply	*rep;
	int		 yes;

	if (schema_key_user(&ctl->conf, name, SCHEMA_ACCT, acct,
	    sizeof(acct)) < 0)
		return 0;
	if ((rep = redis_command(r, "HGET %s %s", acct, SCHEMA_F_STATE)) ==
	    NULL)
		return -1;
	yes = rep->type == REDIS_REPLY_STRING &&
	    strcmp(rep->str, SCHEMA_SUSPENDED) == 0;
	freeReplyObject(rep);
	return yes;
}

int
ctl_susp_add(struct ctl *ctl, struct redis *r, const char *name)
{
	char	 k[SCHEMA_KEY_MAX];

	skey(ctl, k);
	return simple(r, "SADD %s %s", k, name);
}

int
ctl_susp_follow(struct ctl *ctl, struct redis *r, const char *name)
{
	char	 k[SCHEMA_KEY_MAX];
	int	 s;

	skey(ctl, k);
	if (simple(r, "SREM %s %s", k, name) < 0 ||
	    (s = is_suspended(ctl, r, name)) < 0)
		return -1;
	return s ? simple(r, "SADD %s %s", k, name) : 0;
}

/* A page of Pusers: the suspended ones added. */
static int
add_page(struct ctl *ctl, struct redis *r, const char *unused,
    const redisReply *m, long long *n)
{
	size_t	 i;
	int	 s;

	(void)unused;
	for (i = 0; i < m->elements; i++) {
		if (m->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if ((s = is_suspended(ctl, r, m->element[i]->str)) < 0)
			return -1;
		if (s && ctl_susp_add(ctl, r, m->element[i]->str) < 0)
			return -1;
		*n += s;
	}
	return 0;
}

/* A page of the index: every member followed. */
static int
follow_page(struct ctl *ctl, struct redis *r, const redisReply *m,
    void *unused)
{
	size_t	 i;

	(void)unused;
	for (i = 0; i < m->elements; i++)
		if (m->element[i]->type == REDIS_REPLY_STRING &&
		    ctl_susp_follow(ctl, r, m->element[i]->str) < 0)
			return -1;
	return 0;
}

/* Every member of the index followed, an SSCAN page at a time.  A
 * member removed during the scan may shift the cursor: SSCAN still
 * returns every member present from start to end at least once. */
static int
follow_all(struct ctl *ctl, struct redis *r)
{
	char	 k[SCHEMA_KEY_MAX];

	skey(ctl, k);
	return ctl_sscan(ctl, r, k, follow_page, NULL);
}

int
ctl_susp_rebuild(struct ctl *ctl, struct redis *r, long long *members)
{
	char		 k[SCHEMA_KEY_MAX];
	redisReply	*rep;
	long long	 n;

	if (ctl_users_walk(ctl, r, NULL, add_page, &n) < 0 ||
	    follow_all(ctl, r) < 0)
		return -1;
	skey(ctl, k);
	if ((rep = redis_command(r, "SCARD %s", k)) == NULL)
		return -1;
	*members = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
	freeReplyObject(rep);
	return 0;
}
