/*
 * ctlpol -- private header of the policy verbs of outpostctl (user.c,
 * plan.c, suppress.c, supio.c) and their helpers in ctlpol.c (the verbs
 * themselves are declared in ctl.h).
 *
 *   ctl_list(ctl, r, what, set, ask, show)
 *       list the members of the SET key, sorted: ask(ctl, r, name) appends
 *       one command per member (pipelined), then show(ctl, j, name, reply)
 *       prints each, j the JSON writer inside an array with --json, NULL
 *       without.  EXIT_OK, or the refusal (WHAT: redis: ...).
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

#define CTL_MAX_LIMITS	64

struct redis;
struct json;

typedef void	 ctl_list_ask(struct ctl *, struct redis *, const char *);
typedef void	 ctl_list_show(struct ctl *, struct json *, const char *,
		    const redisReply *);

struct ctl_elimit {
	struct limit	 lim;
	int		 override;	/* 1: the user's own */
};

int		 ctl_list(struct ctl *, struct redis *, const char *,
		    const char *, ctl_list_ask *, ctl_list_show *);
int		 ctl_name_ok(const char *, const char *);
int		 ctl_limits_from_hash(const redisReply *, struct limit *, int);
int		 ctl_limits_merge(const struct limit *, int,
		    const struct limit *, int, struct ctl_elimit *, int);
void		 ctl_json_limit(struct json *, const struct limit *);
int		 ctl_limit_args(char **, int, struct limit *, char *, size_t);
int		 ctl_limit_ops(const struct limit *, int, char (*)[64],
		    const char **);

/* suppress.c: where an address's entry lives (bucket key, packed field) */
struct sup_where {
	char	 key[SCHEMA_KEY_MAX];
	char	 field[SCHEMA_SUP_FIELD_MAX];
	int	 flen;
};
int		 sup_where(struct ctl *, const char *, const char *,
		    struct sup_where *);

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
