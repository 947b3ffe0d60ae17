/*
 * outpostctl suppress -- addresses never to send to again, globally or
 * for one user (list, import and export live in supio.c).
 *
 *   suppress add ADDRESS [--user NAME] [--reason REASON] [--ttl DURATION]
 *   suppress check ADDRESS [--user NAME]   exit 0 suppressed, 1 not
 *   suppress del ADDRESS [--user NAME]
 *
 * Addresses are normalised with lib/mailaddr and put in their suppression
 * form (schema_sup_addr: the local part folded unless suppress_fold_case
 * = no), so what is stored is what the daemon looks up.  Entries are stored as lib/schema.h says (bucketed
 * hashes, packed fields, minute precision); an entry whose expiry has
 * passed counts as absent.  Each change is one command or script.
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

/* KEYS bucket [, acct]; ARGV field, value.  -1 no such user, 1 new. */
static const char lua_add[] =
    "if #KEYS == 2 and redis.call('EXISTS', KEYS[2]) == 0 then return -1"
    " end\n"
    "return redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])\n";

int
sup_where(struct ctl *ctl, const char *user, const char *addr,
    struct sup_where *w)
{
	unsigned	 b;

	if ((w->flen = schema_sup_field(addr, w->field, sizeof(w->field))) < 0)
		return -1;
	b = schema_sup_bucket(addr, user);
	if (schema_key_sup(&ctl->conf, user, b, w->key, sizeof(w->key)) < 0)
		return -1;
	return 0;
}

/* The command that shows whether a change of addr's entry happened. */
static const char *
sup_check_cmd(const char *addr, const char *user, char *buf, size_t len)
{
	snprintf(buf, len, "suppress check %s%s%s", addr, user ? " --user " :
	    "", user ? user : "");
	return buf;
}

/* The suppression form of args[0] into addr; 0, or the usage error. */
static int
arg_addr(struct ctl *ctl, struct ctl_opts *o, char *addr, size_t len)
{
	char	 err[256];

	if (mailaddr_norm(o->args[0], addr, len, err, sizeof(err)) < 0)
		return ctl_bad_usage("bad address \"%s\": %s", o->args[0], err);
	schema_sup_addr(&ctl->conf, addr);
	return 0;
}

int
sup_add(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis		*r = ctl->r;
	char			 addr[MAILADDR_MAX + 1];
	struct schema_sup	 e;
	struct sup_where	 w;
	char			 acct[SCHEMA_KEY_MAX], val[64];
	char			 check[SCHEMA_KEY_MAX];
	const char		*av[4];
	size_t			 al[4];
	redisReply		*rep;
	long			 ttl = 0;
	long long		 code;

	if (arg_addr(ctl, o, addr, sizeof(addr)) != 0)
		return EXIT_USAGE;
	memset(&e, 0, sizeof(e));
	e.reason = SUP_MANUAL;
	if (o->reason != NULL &&
	    (e.reason = supcsv_reason_lookup(o->reason)) < 0)
		return ctl_bad_usage("--reason %s: expected hard-bounce, "
		    "complaint, unsubscribe or manual", o->reason);
	if (o->ttl != NULL && (conf_parse_duration(o->ttl, &ttl) < 0 ||
	    ttl < 1000))
		return ctl_bad_usage("--ttl %s: expected a duration of at "
		    "least 1s (examples: 30m, 12h, 7d)", o->ttl);
	e.created = (long long)time(NULL);
	e.expires = ttl > 0 ? e.created + ttl / 1000 : 0;
	if (sup_where(ctl, o->user, addr, &w) < 0 ||
	    schema_sup_encode(&e, val, sizeof(val)) < 0)
		return ctl_refuse(ctl, "%s: cannot be stored", addr);
	av[0] = w.key, al[0] = strlen(w.key);
	av[1] = acct, al[1] = 0;
	if (o->user != NULL) {
		schema_key_user(&ctl->conf, o->user, SCHEMA_ACCT, acct,
		    sizeof(acct));
		al[1] = strlen(acct);
	}
	av[2] = w.field, al[2] = (size_t)w.flen;
	av[3] = val, al[3] = strlen(val);
	if (o->user == NULL) {	/* no acct key: drop it from the list */
		av[1] = av[2], al[1] = al[2];
		av[2] = av[3], al[2] = al[3];
	}
	rep = redis_eval(r, lua_add, o->user ? 2 : 1, o->user ? 4 : 3, av, al);
	if (rep == NULL)
		return ctl_write_failed(ctl, r, "suppress add",
		    sup_check_cmd(addr, o->user, check, sizeof(check)));
	code = rep->integer;
	freeReplyObject(rep);
	if (code < 0)
		return ctl_refuse(ctl, "user %s does not exist", o->user);
	return ctl_done(ctl, "address", addr, "%s %s (%s%s%s)", addr,
	    code ? "suppressed" : "suppression updated",
	    supcsv_reason_name(e.reason), o->user ? ", user " : ", global",
	    o->user ? o->user : "");
}

/* One list's entry for check: 1 found and live, 0 absent. */
static int
decode_live(const redisReply *v, struct schema_sup *e)
{
	if (v == NULL || v->type != REDIS_REPLY_STRING ||
	    schema_sup_decode(v->str, e) < 0)
		return 0;
	return e->expires == 0 || e->expires > (long long)time(NULL);
}

static void
print_entry(struct ctl *ctl, struct json *j, const char *addr,
    const char *user, const struct schema_sup *e)
{
	char	 c[SUPCSV_TIME_MAX], x[SUPCSV_TIME_MAX];

	supcsv_format_time(e->created, c, sizeof(c));
	if (e->expires != 0)
		supcsv_format_time(e->expires, x, sizeof(x));
	if (!ctl->json) {
		printf("%s: suppressed %s (%s since %s, %s%s)\n", addr,
		    user ? "for user" : "globally", supcsv_reason_name(
		    e->reason), c, e->expires ? "until " : "no expiry",
		    e->expires ? x : "");
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "list", user ? "user" : "global");
	json_kv_str(j, "reason", supcsv_reason_name(e->reason));
	json_kv_str(j, "created", c);
	json_kv_str(j, "expires", e->expires ? x : NULL);
	json_obj_end(j);
}

int
sup_check(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis		*r = ctl->r;
	const char		*user = o->user;
	char			 addr[MAILADDR_MAX + 1];
	struct sup_where	 wu, wg;
	struct schema_sup	 eu, eg;
	struct json		*j = NULL;
	char			 acct[SCHEMA_KEY_MAX];
	redisReply		*ru = NULL, *rg, *rx = NULL;
	int			 hu = 0, hg, rc = EXIT_OK;

	if (arg_addr(ctl, o, addr, sizeof(addr)) != 0)
		return EXIT_USAGE;
	if (sup_where(ctl, NULL, addr, &wg) < 0 ||
	    (user != NULL && sup_where(ctl, user, addr, &wu) < 0))
		return ctl_refuse(ctl, "%s: cannot be looked up", addr);
	if (user != NULL) {
		schema_key_user(&ctl->conf, user, SCHEMA_ACCT, acct,
		    sizeof(acct));
		if ((rx = redis_command(r, "EXISTS %s", acct)) == NULL ||
		    (ru = redis_command(r, "HGET %s %b", wu.key, wu.field,
		    (size_t)wu.flen)) == NULL) {
			freeReplyObject(rx);
			return ctl_redis_failed(ctl, r, "suppress check");
		}
		if (rx->integer == 0) {
			freeReplyObject(rx);
			freeReplyObject(ru);
			return ctl_refuse(ctl, "user %s does not exist", user);
		}
		freeReplyObject(rx);
		hu = decode_live(ru, &eu);
		freeReplyObject(ru);
	}
	if ((rg = redis_command(r, "HGET %s %b", wg.key, wg.field,
	    (size_t)wg.flen)) == NULL)
		return ctl_redis_failed(ctl, r, "suppress check");
	hg = decode_live(rg, &eg);
	freeReplyObject(rg);
	if (ctl->json) {
		j = ctl_json_open(ctl);
		json_obj_begin(j);
		json_kv_str(j, "address", addr);
		json_kv_bool(j, "suppressed", hu || hg);
		json_key(j, "entries");
		json_arr_begin(j);
	} else if (!hu && !hg)
		printf("%s: not suppressed%s%s\n", addr, user ? " for user " :
		    "", user ? user : "");
	if (hu)
		print_entry(ctl, j, addr, user, &eu);
	if (hg)
		print_entry(ctl, j, addr, NULL, &eg);
	if (j != NULL) {
		json_arr_end(j);
		json_obj_end(j);
		rc = ctl_json_close(ctl, j);
	}
	return rc != EXIT_OK || !(hu || hg) ? EXIT_REFUSED : EXIT_OK;
}

int
sup_del(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis		*r = ctl->r;
	const char		*user = o->user;
	char			 addr[MAILADDR_MAX + 1];
	struct sup_where	 w;
	redisReply		*rep;
	long long		 n;
	char			 check[SCHEMA_KEY_MAX];

	if (arg_addr(ctl, o, addr, sizeof(addr)) != 0)
		return EXIT_USAGE;
	if (sup_where(ctl, user, addr, &w) < 0)
		return ctl_refuse(ctl, "%s: cannot be looked up", addr);
	if ((rep = redis_command(r, "HDEL %s %b", w.key, w.field,
	    (size_t)w.flen)) == NULL)
		return ctl_write_failed(ctl, r, "suppress del",
		    sup_check_cmd(addr, user, check, sizeof(check)));
	n = rep->integer;
	freeReplyObject(rep);
	if (n == 0)
		return ctl_refuse(ctl, "%s was not suppressed%s%s", addr,
		    user ? " for user " : " globally", user ? user : "");
	return ctl_done(ctl, "address", addr, "%s no longer suppressed%s%s",
	    addr, user ? " for user " : " globally", user ? user : "");
}
