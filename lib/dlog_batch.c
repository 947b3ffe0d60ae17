/*
 * dlog_batch -- the delivery log's batch writer (outpost-feedback): the
 * events of a batch as one script run; see dlog.h for the contract and
 * lib/schema.h for the keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dlog.h"
#include "dlog_int.h"
#include "redis.h"

/*
 * The batch writer.  The strings of the queued events are copied into
 * an arena (offsets, not pointers: it grows); index adds and counter
 * increments are grouped by key through a small open-addressing map, so
 * the script runs one ZADD / ZREMRANGEBYSCORE / PEXPIRE per index key
 * and one HINCRBY per field plus one EXPIRE per counter hash.
 *
 * KEYS: [1] P{log}:seq, [2] "P{log}:e:", [3] the marker (or KEYS[1]
 * when not checked here), [4] P{log}:who, then the index keys (nz), then
 * the counter hashes (nh; rt:WHO once per hour of the batch).  ARGV: [1]
 * n events, [2] log_retention (ms), [3] the cut of P{log}:who, [4]
 * SCHEMA_STATS_TTL (s), [5] "1": check the marker; per event its pair
 * count and pairs; nwho and (T, WHO) pairs; nz, nh; per index key its
 * cut, member count and (T, event number) pairs; per counter hash its
 * TTL, the lowest hour it keeps (-1: st, a plain hash), the hour, field
 * count and (field, increment) pairs.  Reply: the first EID, or -1
 * without the marker (nothing written).
 */
const char dlog_batch_script[] =
    DLOG_LUA_RT
    "if ARGV[5] == '1' and redis.call('EXISTS', KEYS[3]) == 0 then\n"
    "  return -1\n"
    "end\n"
    "local nev, R = tonumber(ARGV[1]), ARGV[2]\n"
    "local base = redis.call('INCRBY', KEYS[1], nev) - nev\n"
    "local i = 6\n"
    "local function zadd(k, a)\n"
    "  for s = 1, #a, 1000 do\n"
    "    redis.call('ZADD', k, unpack(a, s, math.min(s + 999, #a)))\n"
    "  end\n"
    "end\n"
    "for e = 1, nev do\n"
    "  local np = tonumber(ARGV[i]); i = i + 1\n"
    "  local k = KEYS[2] .. (base + e)\n"
    "  redis.call('HSET', k, unpack(ARGV, i, i + 2 * np - 1))\n"
    "  redis.call('PEXPIRE', k, R)\n"
    "  i = i + 2 * np\n"
    "end\n"
    "local nw = tonumber(ARGV[i]); i = i + 1\n"
    "if nw > 0 then\n"
    "  local a = {}\n"
    "  for w = 1, 2 * nw do a[w] = ARGV[i]; i = i + 1 end\n"
    "  zadd(KEYS[4], a)\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[3])\n"
    "  redis.call('PEXPIRE', KEYS[4], ARGV[4] * 1000)\n"
    "end\n"
    "local nz, nh = tonumber(ARGV[i]), tonumber(ARGV[i + 1]); i = i + 2\n"
    "local k = 5\n"
    "for z = 1, nz do\n"
    "  local cut, m = ARGV[i], tonumber(ARGV[i + 1]); i = i + 2\n"
    "  local a = {}\n"
    "  for j = 1, m do\n"
    "    a[2 * j - 1] = ARGV[i]; a[2 * j] = base + tonumber(ARGV[i + 1])\n"
    "    i = i + 2\n"
    "  end\n"
    "  zadd(KEYS[k], a)\n"
    "  redis.call('ZREMRANGEBYSCORE', KEYS[k], '-inf', '(' .. cut)\n"
    "  redis.call('PEXPIRE', KEYS[k], R)\n"
    "  k = k + 1\n"
    "end\n"
    "for h = 1, nh do\n"
    "  local ttl, lo, hr = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2]\n"
    "  local m = tonumber(ARGV[i + 3]); i = i + 4\n"
    "  if lo < 0 then\n"
    "    for j = 1, m do\n"
    "      redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i + 1]); i = i + 2\n"
    "    end\n"
    "  else\n"
    "    local f = {}\n"
    "    for j = 1, m do f[j] = {ARGV[i], ARGV[i + 1]}; i = i + 2 end\n"
    "    rt(KEYS[k], lo, tonumber(hr), f)\n"
    "  end\n"
    "  redis.call('EXPIRE', KEYS[k], ttl)\n"
    "  k = k + 1\n"
    "end\n"
    "return base + 1\n";

enum { DG_WHO, DG_ZSET, DG_HASH, DG_RT };

struct dstr {
	size_t		 off, len;
};

struct dgrp {
	int		 kind;
	struct dstr	 key;		/* the key (DG_WHO: the sender) */
	long long	 t;		/* ZSET: latest T; WHO: last T */
	long long	 ttl;		/* HASH, RT */
	long long	 hour;		/* RT */
	int		 first, last, n;	/* ZSET members (dmem list) */
	const char	*fname[DLOG_HFIELDS];
	long long	 fcount[DLOG_HFIELDS];
};

struct dmem {
	long long	 t;
	int		 ev, next;
};

struct devt {
	size_t		 first;		/* in pairs */
	int		 npairs;
};

struct dlog_batch {
	char		*buf;
	size_t		 len, cap;
	struct dstr	*pairs;
	size_t		 npairs, cappairs;
	struct devt	*ev;
	size_t		 nev, capev;
	struct dgrp	*g;
	size_t		 ng, capg;
	struct dmem	*m;
	size_t		 nm, capm;
	int		*map;		/* group index + 1, 0: empty */
	size_t		 mapcap;
	long long	 tmax;
	/* dlog_batch_cmd's output */
	const char	**argv;
	size_t		*argvlen;
	struct dstr	*args;
	size_t		 nargs, capargs, capargv;
};

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t	 n;
	void	*q;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	if ((q = realloc(*p, n * size)) == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

static int
arena(struct dlog_batch *b, const char *s, size_t n, struct dstr *out)
{
	if (grow((void **)&b->buf, &b->cap, b->len + n + 1, 1) < 0)
		return -1;
	memcpy(b->buf + b->len, s, n);
	b->buf[b->len + n] = '\0';
	out->off = b->len;
	out->len = n;
	b->len += n + 1;
	return 0;
}

struct dlog_batch *
dlog_batch_new(void)
{
	return calloc(1, sizeof(struct dlog_batch));
}

struct dlog_batch *
dlog_batch_free(struct dlog_batch *b)
{
	if (b == NULL)
		return NULL;
	free(b->buf);
	free(b->pairs);
	free(b->ev);
	free(b->g);
	free(b->m);
	free(b->map);
	free(b->argv);
	free(b->argvlen);
	free(b->args);
	free(b);
	return NULL;
}

void
dlog_batch_clear(struct dlog_batch *b)
{
	b->len = b->npairs = b->nev = b->ng = b->nm = b->nargs = 0;
	b->tmax = 0;
	if (b->map != NULL)
		memset(b->map, 0, b->mapcap * sizeof(*b->map));
}

size_t
dlog_batch_events(const struct dlog_batch *b)
{
	return b->nev;
}

static unsigned
strhash(int kind, long long hour, const char *s, size_t n)
{
	unsigned	 h = (2166136261u ^ (unsigned)kind) + (unsigned)hour * 31u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static int
map_rebuild(struct dlog_batch *b, size_t cap)
{
	int	*map;
	size_t	 i, j;
	struct dgrp *g;

	if ((map = calloc(cap, sizeof(*map))) == NULL)
		return -1;
	for (i = 0; i < b->ng; i++) {
		g = &b->g[i];
		j = strhash(g->kind, g->hour, b->buf + g->key.off, g->key.len) &
		    (cap - 1);
		while (map[j] != 0)
			j = (j + 1) & (cap - 1);
		map[j] = (int)i + 1;
	}
	free(b->map);
	b->map = map;
	b->mapcap = cap;
	return 0;
}

/* The group of (kind, hour, s): found or added; NULL out of memory. */
static struct dgrp *
group(struct dlog_batch *b, int kind, long long hour, const char *s)
{
	size_t		 n = strlen(s), j;
	struct dgrp	*g;

	if ((b->ng + 1) * 2 > b->mapcap &&
	    map_rebuild(b, b->mapcap ? b->mapcap * 2 : 256) < 0)
		return NULL;
	j = strhash(kind, hour, s, n) & (b->mapcap - 1);
	for (; b->map[j] != 0; j = (j + 1) & (b->mapcap - 1)) {
		g = &b->g[b->map[j] - 1];
		if (g->kind == kind && g->hour == hour && g->key.len == n &&
		    memcmp(b->buf + g->key.off, s, n) == 0)
			return g;
	}
	if (grow((void **)&b->g, &b->capg, b->ng + 1, sizeof(*b->g)) < 0)
		return NULL;
	g = &b->g[b->ng];
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->hour = hour;
	g->first = g->last = -1;
	if (arena(b, s, n, &g->key) < 0)
		return NULL;
	b->map[j] = (int)++b->ng;
	return g;
}

static int
zmember(struct dlog_batch *b, const char *key, long long t, int ev)
{
	struct dgrp	*g;
	struct dmem	*m;

	if ((g = group(b, DG_ZSET, 0, key)) == NULL ||
	    grow((void **)&b->m, &b->capm, b->nm + 1, sizeof(*b->m)) < 0)
		return -1;
	m = &b->m[b->nm];
	m->t = t, m->ev = ev, m->next = -1;
	if (g->last >= 0)
		b->m[g->last].next = (int)b->nm;
	else
		g->first = (int)b->nm;
	g->last = (int)b->nm++;
	g->n++;
	if (t > g->t)
		g->t = t;
	return 0;
}

static int
hincr(struct dlog_batch *b, int kind, long long hour, const char *key,
    long long ttl, const char **f, int nf)
{
	struct dgrp	*g;
	int		 i, j;

	if ((g = group(b, kind, kind == DG_RT ? hour : 0, key)) == NULL)
		return -1;
	g->ttl = ttl;
	for (i = 0; i < nf; i++) {
		for (j = 0; j < DLOG_HFIELDS && g->fname[j] != NULL; j++)
			if (strcmp(g->fname[j], f[i]) == 0)
				break;
		if (j == DLOG_HFIELDS)
			return -1;
		g->fname[j] = f[i];
		g->fcount[j]++;
	}
	return 0;
}

/* The event's field/value pairs (dlog_build's ARGV tail) into pairs. */
static int
copy_pairs(struct dlog_batch *b, const struct dlog_cmd *c, int from)
{
	int	 i;

	if (grow((void **)&b->pairs, &b->cappairs,
	    b->npairs + (size_t)(c->argc - from), sizeof(*b->pairs)) < 0 ||
	    grow((void **)&b->ev, &b->capev, b->nev + 1, sizeof(*b->ev)) < 0)
		return -1;
	b->ev[b->nev].first = b->npairs;
	b->ev[b->nev].npairs = (c->argc - from) / 2;
	for (i = from; i < c->argc; i++)
		if (arena(b, c->argv[i], c->argvlen[i],
		    &b->pairs[b->npairs++]) < 0)
			return -1;
	return 0;
}

int
dlog_batch_add(struct dlog_batch *b, const struct conf *cf,
    const struct dlog_event *ev, char *err, size_t errlen)
{
	/* KEYS of the st fields: the sender's hour, the fleet's hour, day */
	static const int stkey[] = { 2, 6, 7 };
	struct dlog_cmd	 c;
	const char	*st[DLOG_FIG_MAX], *rt[DLOG_FIG_MAX];
	int		 nst, nrt, k, n = (int)b->nev + 1;
	struct dgrp	*w;

	if (dlog_build(cf, ev, &c, err, errlen) < 0)
		return -1;
	dlog_figures(ev->status, ev->category, st, &nst, rt, &nrt);
	/* KEYS 9.. are the indexes; ARGV from nkeys + 12 + nst + nrt. */
	for (k = 8; k < c.nkeys; k++)
		if (zmember(b, c.keys[k], ev->t, n) < 0)
			goto oom;
	for (k = 0; nst > 0 && k < 3; k++)
		if (hincr(b, DG_HASH, 0, c.keys[stkey[k]], SCHEMA_STATS_TTL,
		    st, nst) < 0)
			goto oom;
	if ((nrt > 0 && hincr(b, DG_RT, ev->t / 3600000, c.keys[3],
	    cf->bounce_window / 1000 + 3600, rt, nrt) < 0) ||
	    (w = group(b, DG_WHO, 0, ev->who)) == NULL)
		goto oom;
	w->t = ev->t;
	if (copy_pairs(b, &c, c.nkeys + 12 + nst + nrt) < 0)
		goto oom;
	b->nev++;
	if (ev->t > b->tmax)
		b->tmax = ev->t;
	return 0;
oom:
	snprintf(err, errlen, "delivery log batch: out of memory");
	return -1;
}

static int
arg(struct dlog_batch *b, const char *s, size_t n)
{
	if (grow((void **)&b->args, &b->capargs, b->nargs + 1,
	    sizeof(*b->args)) < 0 || arena(b, s, n, &b->args[b->nargs]) < 0)
		return -1;
	b->nargs++;
	return 0;
}

static int
arg_ref(struct dlog_batch *b, struct dstr s)
{
	if (grow((void **)&b->args, &b->capargs, b->nargs + 1,
	    sizeof(*b->args)) < 0)
		return -1;
	b->args[b->nargs++] = s;
	return 0;
}

static int
arg_num(struct dlog_batch *b, long long v)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%lld", v);
	return arg(b, num, strlen(num));
}

/* KEYS of one kind (DG_HASH: with DG_RT), in group order. */
static int
args_keys(struct dlog_batch *b, int kind, int *nkeys)
{
	size_t	 i;

	for (i = 0; i < b->ng; i++)
		if (b->g[i].kind == kind ||
		    (kind == DG_HASH && b->g[i].kind == DG_RT)) {
			if (arg_ref(b, b->g[i].key) < 0)
				return -1;
			(*nkeys)++;
		}
	return 0;
}

static int
args_events(struct dlog_batch *b, const struct conf *cf)
{
	size_t	 i, j;
	int	 nw = 0, rc = 0;

	rc |= arg_num(b, (long long)b->nev);
	rc |= arg_num(b, cf->log_retention);
	rc |= arg_num(b, b->tmax - (long long)SCHEMA_STATS_TTL * 1000);
	rc |= arg_num(b, SCHEMA_STATS_TTL);
	rc |= arg(b, dlog_mark_in_script(cf) ? "1" : "0", 1);
	for (i = 0; i < b->nev && rc == 0; i++) {
		rc |= arg_num(b, b->ev[i].npairs);
		for (j = 0; j < (size_t)b->ev[i].npairs * 2; j++)
			rc |= arg_ref(b, b->pairs[b->ev[i].first + j]);
	}
	for (i = 0; i < b->ng; i++)
		nw += b->g[i].kind == DG_WHO;
	rc |= arg_num(b, nw);
	for (i = 0; i < b->ng && rc == 0; i++)
		if (b->g[i].kind == DG_WHO) {
			rc |= arg_num(b, b->g[i].t);
			rc |= arg_ref(b, b->g[i].key);
		}
	return rc;
}

static int
args_groups(struct dlog_batch *b, const struct conf *cf, int nz, int nh)
{
	size_t		 i;
	int		 j, rc = 0;
	struct dgrp	*g;

	rc |= arg_num(b, nz);
	rc |= arg_num(b, nh);
	for (i = 0; i < b->ng && rc == 0; i++) {
		g = &b->g[i];
		if (g->kind != DG_ZSET)
			continue;
		rc |= arg_num(b, g->t - cf->log_retention);
		rc |= arg_num(b, g->n);
		for (j = g->first; j >= 0 && rc == 0; j = b->m[j].next) {
			rc |= arg_num(b, b->m[j].t);
			rc |= arg_num(b, b->m[j].ev);
		}
	}
	for (i = 0; i < b->ng && rc == 0; i++) {
		g = &b->g[i];
		if (g->kind != DG_HASH && g->kind != DG_RT)
			continue;
		for (j = 0; j < DLOG_HFIELDS && g->fname[j] != NULL; j++)
			;
		rc |= arg_num(b, g->ttl);
		rc |= arg_num(b, g->kind == DG_RT ? dlog_rt_lo(cf, g->hour) :
		    -1);
		rc |= arg_num(b, g->hour);
		rc |= arg_num(b, j);
		for (j = 0; j < DLOG_HFIELDS && g->fname[j] != NULL; j++) {
			rc |= arg(b, g->fname[j], strlen(g->fname[j]));
			rc |= arg_num(b, g->fcount[j]);
		}
	}
	return rc;
}

int
dlog_batch_cmd(struct dlog_batch *b, const struct conf *cf, int *nkeys,
    int *argc, const char ***argv, const size_t **argvlen)
{
	char	 k[4][SCHEMA_KEY_MAX];
	int	 i, nz = 0, nh = 0, rc = 0;
	size_t	 j;

	b->nargs = 0;
	if (schema_key_log(cf, SCHEMA_LOG_SEQ, NULL, k[0], sizeof(k[0])) < 0 ||
	    schema_key_log(cf, SCHEMA_LOG_EVENT, "", k[1], sizeof(k[1])) < 0 ||
	    (dlog_mark_in_script(cf) ? schema_key_global(cf, SCHEMA_MARK, k[2],
	    sizeof(k[2])) : schema_key_log(cf, SCHEMA_LOG_SEQ, NULL, k[2],
	    sizeof(k[2]))) < 0 ||
	    schema_key_log(cf, SCHEMA_LOG_WHO, NULL, k[3], sizeof(k[3])) < 0)
		return -1;
	for (i = 0; i < 4; i++)
		rc |= arg(b, k[i], strlen(k[i]));
	rc |= args_keys(b, DG_ZSET, &nz);
	rc |= args_keys(b, DG_HASH, &nh);
	*nkeys = 4 + nz + nh;
	if (rc != 0 || args_events(b, cf) < 0 || args_groups(b, cf, nz, nh) < 0)
		return -1;
	if (b->nargs > b->capargv) {
		free(b->argv);
		free(b->argvlen);
		b->capargv = b->nargs * 2;
		b->argv = calloc(b->capargv, sizeof(*b->argv));
		b->argvlen = calloc(b->capargv, sizeof(*b->argvlen));
		if (b->argv == NULL || b->argvlen == NULL) {
			b->capargv = 0;
			return -1;
		}
	}
	for (j = 0; j < b->nargs; j++) {
		b->argv[j] = b->buf + b->args[j].off;
		b->argvlen[j] = b->args[j].len;
	}
	*argc = (int)b->nargs;
	*argv = b->argv;
	*argvlen = b->argvlen;
	return 0;
}
