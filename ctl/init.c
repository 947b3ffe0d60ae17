/*
 * outpostctl init -- mark a Redis as outpost's, and the same mark after
 * every change outpostctl makes.
 *
 * The marker is lib/schema.h's Pschema: the daemons judge only a Redis
 * that carries it, so that an emptied one (restarted without persistence,
 * flushed, the wrong redis_db) defers mail instead of refusing every user
 * as unknown.  Both write it with SET NX: an existing marker is never
 * changed, and writing it costs one short command.
 *
 *   ctl_mark(ctl, r, &created)   SET NX of the marker; 0 (created: 1 if
 *                                it was missing), or -1 (Redis error in r)
 *   ctl_init(ctl, o)             the verb: marks, brings an older
 *                                schema up to SCHEMA_VERSION (migrate
 *                                below), then says what it did and what
 *                                the Redis holds (users, plans, domains);
 *                                with --json one object
 *   ctl_migrate(ctl, o)          the same, and the index of suspended
 *                                users rebuilt from the users (suspidx.c;
 *                                a walk of every user, so not at init):
 *                                "N suspended" in the text, "suspended"
 *                                in the object
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"

int
ctl_mark(struct ctl *ctl, struct redis *r, int *created)
{
	redisReply	*rep;
	char		 key[SCHEMA_KEY_MAX], ver[16];

	schema_key_global(&ctl->conf, SCHEMA_MARK, key, sizeof(key));
	snprintf(ver, sizeof(ver), "%d", SCHEMA_VERSION);
	if ((rep = redis_command(r, "SET %s %s NX", key, ver)) == NULL)
		return -1;
	*created = rep->type == REDIS_REPLY_STATUS;	/* nil: it existed */
	freeReplyObject(rep);
	return 0;
}

/* What the Redis holds: the marker's value and the SCARD of the global
 * sets; 0 or -1. */
static int
census(struct ctl *ctl, struct redis *r, char *ver, size_t verlen,
    long long n[3])
{
	static const char *const what[3] = { SCHEMA_USERS, SCHEMA_PLANS,
	    SCHEMA_DOMAINS };
	redisReply	*rep;
	char		 key[SCHEMA_KEY_MAX];
	int		 i;

	schema_key_global(&ctl->conf, SCHEMA_MARK, key, sizeof(key));
	if ((rep = redis_command(r, "GET %s", key)) == NULL)
		return -1;
	snprintf(ver, verlen, "%s", rep->type == REDIS_REPLY_STRING ?
	    rep->str : "");
	freeReplyObject(rep);
	for (i = 0; i < 3; i++) {
		schema_key_global(&ctl->conf, what[i], key, sizeof(key));
		if ((rep = redis_command(r, "SCARD %s", key)) == NULL)
			return -1;
		n[i] = rep->type == REDIS_REPLY_INTEGER ? rep->integer : 0;
		freeReplyObject(rep);
	}
	return 0;
}

/*
 * Version 1 -> 2: every user's plan limits copied into its plim hash
 * (lib/schema.h), then the marker set to 2 -- from then on the daemons
 * of version 2 judge, and those of version 1 still do (Pplan: stays).
 * Interrupted: the marker stays 1 and init runs it again from the start.
 */
static int
migrate(struct ctl *ctl, const char *key, char *ver, size_t verlen)
{
	redisReply	*rep;
	long long	 n;

	if (strtoll(ver, NULL, 10) >= SCHEMA_VERSION)
		return 0;
	if (ctl_plan_sync(ctl, ctl->r, NULL, &n) < 0)
		return -1;
	if ((rep = redis_command(ctl->r, "SET %s %d", key,
	    SCHEMA_VERSION)) == NULL)
		return -1;
	freeReplyObject(rep);
	ctl_warn("%s: migrated from schema version %s to %d: plan limits "
	    "copied into %lld user%s", key, ver, SCHEMA_VERSION, n,
	    n == 1 ? "" : "s");
	snprintf(ver, verlen, "%d", SCHEMA_VERSION);
	return 0;
}

static int
init_json(struct ctl *ctl, const char *key, const char *ver, int created,
    const long long n[4], const char *msg)
{
	struct json	*j;

	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", 1);
	json_kv_str(j, "key", key);
	json_kv_int(j, "version", strtoll(ver, NULL, 10));
	json_kv_bool(j, "created", created);
	json_kv_int(j, "users", n[0]);
	json_kv_int(j, "plans", n[1]);
	json_kv_int(j, "domains", n[2]);
	if (n[3] >= 0)
		json_kv_int(j, "suspended", n[3]);
	json_kv_str(j, "message", msg);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

/* init, and with rebuild the index of suspended users (migrate). */
static int
init_run(struct ctl *ctl, int rebuild)
{
	char		 key[SCHEMA_KEY_MAX], ver[32], msg[1024];
	long long	 n[4] = { 0, 0, 0, -1 }, nix;
	size_t		 len;
	int		 created;

	schema_key_global(&ctl->conf, SCHEMA_MARK, key, sizeof(key));
	if (ctl_mark(ctl, ctl->r, &created) < 0)
		return ctl_write_failed(ctl, ctl->r, "init", "init");
	if (census(ctl, ctl->r, ver, sizeof(ver), n) < 0)
		return ctl_redis_failed(ctl, ctl->r, "init");
	snprintf(msg, sizeof(msg), "redis %s db %ld: %s %s = %s (%lld "
	    "user%s, %lld plan%s, %lld domain%s)%s", ctl->conf.redis_address,
	    ctl->conf.redis_db, created ? "marked as outpost's:" :
	    "already marked:", key, ver, n[0], n[0] == 1 ? "" : "s", n[1],
	    n[1] == 1 ? "" : "s", n[2], n[2] == 1 ? "" : "s", created ?
	    "; outpost-policyd and outpost-milter judge with it within a "
	    "second" : "; nothing changed");
	if (created && n[0] == 0 && n[1] == 0 && n[2] == 0)
		ctl_warn("this Redis holds no users, plans or domains: fine "
		    "for a new installation; if it lost its data, the daemons "
		    "now refuse every SASL user as unknown until it is "
		    "restored (or the users are added again)");
	if (migrate(ctl, key, ver, sizeof(ver)) < 0)
		return ctl_refuse(ctl, "migrate %s from version %s to %d: %s "
		    "(run outpostctl init again)", key, ver, SCHEMA_VERSION,
		    redis_errstr(ctl->r));
	if (ctl_users_index(ctl, ctl->r, &nix) < 0)
		return ctl_refuse(ctl, "init: the user name index: %s (run "
		    "outpostctl init again)", redis_errstr(ctl->r));
	if (nix > 0)
		ctl_warn("the user name index (outpost-web's search) was "
		    "missing %lld name%s: added", nix, nix == 1 ? "" : "s");
	if (strtoll(ver, NULL, 10) > SCHEMA_VERSION)
		ctl_warn("%s = %s: written by a newer outpost (this one knows "
		    "version %d)", key, ver, SCHEMA_VERSION);
	if (rebuild && ctl_susp_rebuild(ctl, ctl->r, &n[3]) < 0)
		return ctl_refuse(ctl, "migrate: the index of suspended users: "
		    "%s (run outpostctl migrate again)", redis_errstr(ctl->r));
	if (rebuild && (len = strlen(msg)) < sizeof(msg))
		snprintf(msg + len, sizeof(msg) - len, "; %lld suspended "
		    "user%s indexed", n[3], n[3] == 1 ? "" : "s");
	if (ctl->json)
		return init_json(ctl, key, ver, created, n, msg);
	printf("%s\n", msg);
	return EXIT_OK;
}

int
ctl_init(struct ctl *ctl, struct ctl_opts *o)
{
	(void)o;
	return init_run(ctl, 0);
}

int
ctl_migrate(struct ctl *ctl, struct ctl_opts *o)
{
	(void)o;
	return init_run(ctl, 1);
}
