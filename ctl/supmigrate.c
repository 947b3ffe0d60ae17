/*
 * outpostctl suppress migrate -- re-file the suppression entries stored
 * before the local part was folded (lib/schema.h: the suppression form).
 *
 *   sup_migrate(ctl, o)
 *       SCANs the keyspace a page at a time for suppression buckets
 *       (global and every user's), reads each (HGETALL: a bucket is a few
 *       hundred fields at most) and moves every entry whose address is not
 *       in its suppression form to the bucket and field of that form, one
 *       script per entry (lua_move).  Prints "re-filed N entries (M
 *       buckets scanned)"; exit 1 on a Redis error (run it again: what
 *       was moved stays moved).  Refused with suppress_fold_case = no.
 *
 * Safe to run while the daemons and other admins work, and idempotent:
 * a user's move is atomic (one script over that user's slot: read the old
 * field, merge into the new one, delete the old one); a second run finds
 * nothing to move.  The global buckets are of different slots (a Redis
 * Cluster cannot run one script over two of them), so a global entry
 * moves in three steps, each of one key: HGET the old field, merge it
 * into the new field (lua_merge), delete the old field if it still holds
 * what was read (lua_cad).  Interrupted between them, both forms hold the
 * entry (the daemon finds either), and the next run finishes the move.  When both forms hold
 * an entry (Bob@ and bob@) the one that lasts longer is kept (never
 * expiring beats any expiry).  Until an entry is moved the daemon still
 * finds it for recipients written in the stored case (it looks up the
 * exact form too).  A user bucket is only written while the user exists,
 * so a concurrent "user del" cannot be undone by a move.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"

/* KEYS old bucket, new bucket, acct (one user's slot); ARGV old field,
 * new field.  1 moved, 0 nothing to move (gone, or the user is gone). */
static const char lua_move[] =
    "if redis.call('EXISTS', KEYS[3]) == 0 then return 0"
    " end\n"
    "local v = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not v then return 0 end\n"
    "local function lasts(x)\n"
    "  local e = string.match(x, ':(%d+)$')\n"
    "  if not e then return math.huge end\n"
    "  return tonumber(e)\n"
    "end\n"
    "local cur = redis.call('HGET', KEYS[2], ARGV[2])\n"
    "if not cur or lasts(v) > lasts(cur) then\n"
    "  redis.call('HSET', KEYS[2], ARGV[2], v)\n"
    "end\n"
    "redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "return 1\n";

/* KEYS new bucket; ARGV new field, value: keep the one lasting longer. */
static const char lua_merge[] =
    "local function lasts(x)\n"
    "  local e = string.match(x, ':(%d+)$')\n"
    "  if not e then return math.huge end\n"
    "  return tonumber(e)\n"
    "end\n"
    "local cur = redis.call('HGET', KEYS[1], ARGV[1])\n"
    "if not cur or lasts(ARGV[2]) > lasts(cur) then\n"
    "  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n"
    "end\n"
    "return 1\n";

/* KEYS old bucket; ARGV field, value: delete it if it still holds value. */
static const char lua_cad[] =
    "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then\n"
    "  return redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "end\n"
    "return 0\n";

struct migrate {
	struct ctl	*ctl;
	struct redis	*r;
	long		 buckets, moved;
};

/*
 * Whether key (len bytes) is a suppression bucket: "Psup:N" (user "") or
 * "P{u:NAME}:sup:N" (NAME into user).  1 yes, 0 not a bucket.
 */
static int
bucket_of(const struct conf *c, const char *key, size_t len, char *user,
    size_t ulen)
{
	size_t		 plen = strlen(c->redis_prefix), d = len, n;
	const char	*close;

	while (d > 0 && key[d - 1] >= '0' && key[d - 1] <= '9')
		d--;
	if (d == len || len - d > 6 || d < plen + 4 ||
	    memcmp(key, c->redis_prefix, plen) != 0 ||
	    memcmp(key + d - 4, "sup:", 4) != 0)
		return 0;
	*user = '\0';
	if (d == plen + 4)
		return 1;
	if (d < plen + 7 || memcmp(key + plen, "{u:", 3) != 0 ||
	    memcmp(key + d - 6, "}:", 2) != 0)
		return 0;
	close = key + d - 6;
	n = (size_t)(close - (key + plen + 3));
	if (n == 0 || n >= ulen)
		return 0;
	memcpy(user, key + plen + 3, n);
	user[n] = '\0';
	return schema_user_valid(user);
}

/* Move a global entry: one key per step (see the top); 1 moved, 0
 * nothing to move, -1 Redis failed. */
static int
move_global(struct migrate *m, const char *key, const redisReply *f,
    const char *nkey, const char *nfield, size_t nflen)
{
	const char	*av[3];
	size_t		 al[3];
	redisReply	*v, *rep;
	int		 rc = -1;

	av[0] = "HGET", al[0] = 4;
	av[1] = key, al[1] = strlen(key);
	av[2] = f->str, al[2] = f->len;
	if ((v = redis_commandv(m->r, 3, av, al)) == NULL)
		return -1;
	if (v->type != REDIS_REPLY_STRING) {
		freeReplyObject(v);
		return 0;
	}
	av[0] = nkey, al[0] = strlen(nkey);
	av[1] = nfield, al[1] = nflen;
	av[2] = v->str, al[2] = v->len;
	if ((rep = redis_eval(m->r, lua_merge, 1, 3, av, al)) == NULL)
		goto out;
	freeReplyObject(rep);
	av[0] = key, al[0] = strlen(key);
	av[1] = f->str, al[1] = f->len;
	if ((rep = redis_eval(m->r, lua_cad, 1, 3, av, al)) == NULL)
		goto out;
	freeReplyObject(rep);
	rc = 1;
out:
	freeReplyObject(v);
	return rc;
}

/* Move one entry of bucket key; 0 or -1 (Redis failed). */
static int
move_one(struct migrate *m, const char *key, const char *user,
    const redisReply *f)
{
	char		 addr[SCHEMA_SUP_FIELD_MAX + 1], nkey[SCHEMA_KEY_MAX];
	char		 nfield[SCHEMA_SUP_FIELD_MAX], acct[SCHEMA_KEY_MAX];
	const char	*av[5];
	size_t		 al[5];
	redisReply	*rep;
	int		 nf, nk = 2;

	if (f->type != REDIS_REPLY_STRING || schema_sup_field_decode(f->str,
	    f->len, addr, sizeof(addr)) < 0 ||
	    schema_sup_addr(&m->ctl->conf, addr) == 0)
		return 0;
	if ((nf = schema_sup_field(addr, nfield, sizeof(nfield))) < 0 ||
	    schema_key_sup(&m->ctl->conf, *user ? user : NULL,
	    schema_sup_bucket(addr, *user ? user : NULL), nkey,
	    sizeof(nkey)) < 0)
		return 0;
	if (*user == '\0') {
		if ((nf = move_global(m, key, f, nkey, nfield, (size_t)nf)) < 0)
			return -1;
		m->moved += nf;
		return 0;
	}
	av[0] = key, al[0] = strlen(key);
	av[1] = nkey, al[1] = strlen(nkey);
	schema_key_user(&m->ctl->conf, user, SCHEMA_ACCT, acct, sizeof(acct));
	av[nk] = acct, al[nk++] = strlen(acct);
	av[nk] = f->str, al[nk] = f->len;
	av[nk + 1] = nfield, al[nk + 1] = (size_t)nf;
	if ((rep = redis_eval(m->r, lua_move, nk, nk + 2, av, al)) == NULL)
		return -1;
	m->moved += rep->integer;
	freeReplyObject(rep);
	return 0;
}

static int
migrate_bucket(struct migrate *m, const redisReply *k)
{
	char		 user[SCHEMA_USER_MAX + 1], key[SCHEMA_KEY_MAX];
	redisReply	*h;
	size_t		 i;
	int		 rc = 0;

	if (k->type != REDIS_REPLY_STRING || k->len >= sizeof(key) ||
	    !bucket_of(&m->ctl->conf, k->str, k->len, user, sizeof(user)))
		return 0;
	memcpy(key, k->str, k->len + 1);
	if ((h = redis_command(m->r, "HGETALL %s", key)) == NULL)
		return redis_is_io_error(m->r) ? -1 : 0;	/* not a hash */
	m->buckets++;
	for (i = 0; rc == 0 && h->type == REDIS_REPLY_ARRAY &&
	    i + 1 < h->elements; i += 2)
		rc = move_one(m, key, user, h->element[i]);
	freeReplyObject(h);
	return rc;
}

static int
migrate_found(void *arg, const redisReply *k)
{
	return migrate_bucket(arg, k);
}

/* Every suppression bucket of every master. */
static int
migrate_scan(struct migrate *m)
{
	char	 glob[SCHEMA_KEY_MAX * 2];

	if (schema_key_sup_glob(&m->ctl->conf, glob, sizeof(glob)) < 0)
		return -1;
	return redis_scan(m->r, glob, migrate_found, m);
}

int
sup_migrate(struct ctl *ctl, struct ctl_opts *o)
{
	struct migrate	 m = { ctl, ctl->r, 0, 0 };
	struct json	*j;

	(void)o;
	if (!ctl->conf.suppress_fold_case)
		return ctl_refuse(ctl, "suppress migrate: suppress_fold_case = "
		    "no: entries keep their case, nothing to re-file");
	if (migrate_scan(&m) < 0)
		return ctl_refuse(ctl, "suppress migrate: redis: %s (%ld "
		    "entries re-filed before the failure; run it again)",
		    redis_errstr(m.r), m.moved);
	if (!ctl->json) {
		printf("re-filed %ld entr%s (%ld bucket%s scanned)\n", m.moved,
		    m.moved == 1 ? "y" : "ies", m.buckets,
		    m.buckets == 1 ? "" : "s");
		return EXIT_OK;
	}
	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", 1);
	json_kv_int(j, "refiled", m.moved);
	json_kv_int(j, "buckets", m.buckets);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}
