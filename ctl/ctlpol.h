/*
 * ctlpol -- private header of the policy verbs of outpostctl (user.c,
 * plan.c, suppress.c, supio.c) and their helpers in ctlpol.c.
 *
 *   ctl_opts(ctl, argc, argv, allow, o)
 *       parse the verb's options (argv[0] group, argv[1] verb); allow lists
 *       the accepted ones: p --plan, d --domain (repeatable), r --reason,
 *       t --ttl, u --user; --json is always accepted.  Positional
 *       arguments end up in o->args/o->nargs.  0, or -1 (message printed)
 *   ctl_redis(ctl)            connected client, or NULL (refusal printed)
 *   ctl_refuse(ctl, fmt, ...) "outpostctl: MSG" on stderr and, with --json,
 *                             {"ok":false,"error":MSG} on stdout; returns
 *                             EXIT_REFUSED
 *   ctl_redis_failed(ctl, r, what)   ctl_refuse with the Redis error
 *   ctl_bad_usage(fmt, ...)   "outpostctl: MSG (outpostctl --help ...)" on
 *                             stderr; returns EXIT_USAGE
 *   ctl_done(ctl, key, value, fmt, ...)
 *                             success: the text, or with --json
 *                             {"ok":true,KEY:VALUE,"message":TEXT}; EXIT_OK
 *   ctl_name_ok(kind, name)   1 if name is a valid user/plan name, else 0
 *                             with the reason on stderr
 *   ctl_limits_from_hash(reply, out, max)
 *                             limits of a plan or override HASH reply
 *                             (HGETALL), sorted; fields that do not parse
 *                             are skipped; returns the number
 *   ctl_limits_merge(plan, np, own, no, out, max)
 *                             effective limits: plan's, with the user's
 *                             of the same dimension/window replacing them
 *                             and the user's others added; sorted
 *   ctl_json_limit(j, lim)    the members describing one limit
 *   ctl_limit_args(text, n, lims, err, errlen)
 *                             parse n LIMIT arguments; 0 or -1 with err
 *   ctl_limit_ops(lims, n, bufs, av)
 *                             the (op, field, value) argument triples
 *                             CTL_LUA_APPLY understands; returns 3 * n
 *
 * CTL_LUA_APPLY defines apply(key, first): ARGV[first..] are triples
 * "s" FIELD COUNT (set), "d" FIELD "" (delete), "D" "DIM/" "" (delete
 * every field of the dimension), applied to the hash key.
 */
#ifndef OUTPOST_CTLPOL_H
#define OUTPOST_CTLPOL_H

#include <hiredis/hiredis.h>

#include "limit.h"
#include "schema.h"

#define CTL_MAX_DOMAINS	50	/* + 4 KEYS + 3 ARGV <= redis_eval's 60 */
#define CTL_MAX_LIMITS	64

struct redis;
struct json;

struct ctl_opts {
	const char	*plan;
	const char	*reason;
	const char	*ttl;
	const char	*user;
	const char	*domains[CTL_MAX_DOMAINS];
	int		 ndomains;
	char		**args;
	int		 nargs;
};

struct ctl_elimit {
	struct limit	 lim;
	int		 override;	/* 1: the user's own */
};

int		 ctl_opts(struct ctl *, int, char **, const char *,
		    struct ctl_opts *);
struct redis	*ctl_redis(struct ctl *);
int		 ctl_refuse(struct ctl *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 ctl_bad_usage(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
int		 ctl_redis_failed(struct ctl *, struct redis *, const char *);
int		 ctl_done(struct ctl *, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
int		 ctl_name_ok(const char *, const char *);
int		 ctl_limits_from_hash(const redisReply *, struct limit *, int);
int		 ctl_limits_merge(const struct limit *, int,
		    const struct limit *, int, struct ctl_elimit *, int);
void		 ctl_json_limit(struct json *, const struct limit *);
int		 ctl_limit_args(char **, int, struct limit *, char *, size_t);
int		 ctl_limit_ops(const struct limit *, int, char (*)[64],
		    const char **);

/* usershow.c */
int		 user_show(struct ctl *, struct redis *, const char *);
int		 user_list(struct ctl *, struct redis *);

/* suppress.c: where an address's entry lives (bucket key, packed field) */
struct sup_where {
	char	 key[SCHEMA_KEY_MAX];
	char	 field[SCHEMA_SUP_FIELD_MAX];
	int	 flen;
};
int		 sup_where(struct ctl *, const char *, const char *,
		    struct sup_where *);

/* supio.c: list (text/JSON) or export (CSV) every live entry; import */
int		 sup_dump(struct ctl *, struct redis *, const char *, int);
int		 sup_import(struct ctl *, struct redis *, const char *,
		    const char *);

#define CTL_MAX_LIMIT_ARGS	16	/* 3 ARGV each; redis_eval takes 60 */

#define CTL_LUA_APPLY \
	"local function apply(key, first)\n" \
	"  for i = first, #ARGV, 3 do\n" \
	"    local op, f, v = ARGV[i], ARGV[i + 1], ARGV[i + 2]\n" \
	"    if op == 's' then redis.call('HSET', key, f, v)\n" \
	"    elseif op == 'd' then redis.call('HDEL', key, f)\n" \
	"    else\n" \
	"      for _, k in ipairs(redis.call('HKEYS', key)) do\n" \
	"        if string.sub(k, 1, #f) == f then\n" \
	"          redis.call('HDEL', key, k) end\n" \
	"      end\n" \
	"    end\n" \
	"  end\n" \
	"end\n"

#endif
