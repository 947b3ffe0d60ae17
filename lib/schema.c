/*
 * schema -- key names and value encodings of the Redis data; see schema.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "schema.h"

/* A stored value holds the reason in its value modulo 4. */
_Static_assert(SUP_NREASON <= 4, "reason does not fit R+4*C");

/* 6-bit alphabet of packed suppression fields; code 0 is padding. */
static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789.-_@+=";
#define PACK_MARK	0x01

static int
fmt(char *buf, size_t len, const char *f, const char *a, const char *b,
    const char *c)
{
	int	 n;

	n = snprintf(buf, len, f, a, b, c);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
schema_user_valid(const char *name)
{
	size_t		 n;
	const unsigned char *p;

	n = strlen(name);
	if (n == 0 || n > SCHEMA_USER_MAX)
		return 0;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		switch (*p) {
		case '{': case '}': case '*': case '?': case '[': case ']':
		case '\\': case 0x7f:
			return 0;
		default:
			if (*p <= ' ')
				return 0;
		}
	return 1;
}

int
schema_key_user(const struct conf *c, const char *name, const char *suffix,
    char *buf, size_t len)
{
	size_t	 np, nn, ns;

	if (!schema_user_valid(name))
		return -1;
	/* "%s{u:%s}:%s" without stdio: a few of these per policy request */
	np = strlen(c->redis_prefix);
	nn = strlen(name);
	ns = strlen(suffix);
	if (np + 3 + nn + 2 + ns + 1 > len)
		return -1;
	memcpy(buf, c->redis_prefix, np);
	memcpy(buf + np, "{u:", 3);
	memcpy(buf + np + 3, name, nn);
	memcpy(buf + np + 3 + nn, "}:", 2);
	memcpy(buf + np + 5 + nn, suffix, ns + 1);
	return 0;
}

int
schema_key_counter(const struct conf *c, const char *name, int dim, long win,
    char *buf, size_t len)
{
	char	 field[64], suffix[80];

	if (schema_limit_field(dim, win, field, sizeof(field)) < 0)
		return -1;
	snprintf(suffix, sizeof(suffix), "c:%s", field);
	return schema_key_user(c, name, suffix, buf, len);
}

int
schema_key_queue(const struct conf *c, const char *name, const char *qid,
    char *buf, size_t len)
{
	char	 suffix[128];

	if (*qid == '\0' || strlen(qid) > 100)
		return -1;
	snprintf(suffix, sizeof(suffix), "q:%s", qid);
	return schema_key_user(c, name, suffix, buf, len);
}

int
schema_key_plan(const struct conf *c, const char *plan, char *buf,
    size_t len)
{
	if (*plan == '\0')
		return -1;
	return fmt(buf, len, "%s%s%s", c->redis_prefix, "plan:", plan);
}

int
schema_key_domain(const struct conf *c, const char *domain, char *buf,
    size_t len)
{
	if (*domain == '\0')
		return -1;
	return fmt(buf, len, "%s%s%s", c->redis_prefix, "domain:", domain);
}

int
schema_key_global(const struct conf *c, const char *what, char *buf,
    size_t len)
{
	return fmt(buf, len, "%s%s%s", c->redis_prefix, what, "");
}

/* Copy s into buf escaping the glob metacharacters of SCAN MATCH. */
static int
glob_escape(const char *s, char *buf, size_t len, size_t *off)
{
	for (; *s != '\0'; s++) {
		if (strchr("*?[]\\", *s) != NULL) {
			if (*off + 1 >= len)
				return -1;
			buf[(*off)++] = '\\';
		}
		if (*off + 1 >= len)
			return -1;
		buf[(*off)++] = *s;
	}
	buf[*off] = '\0';
	return 0;
}

int
schema_key_user_glob(const struct conf *c, const char *name, char *buf,
    size_t len)
{
	size_t	 off = 0;

	if (!schema_user_valid(name) || len == 0)
		return -1;
	buf[0] = '\0';
	if (glob_escape(c->redis_prefix, buf, len, &off) < 0 ||
	    glob_escape("{u:", buf, len, &off) < 0 ||
	    glob_escape(name, buf, len, &off) < 0 ||
	    off + 3 >= len)
		return -1;
	memcpy(buf + off, "}:*", 4);
	return 0;
}

int
schema_key_sup_glob(const struct conf *c, char *buf, size_t len)
{
	size_t	 off = 0;

	if (len == 0)
		return -1;
	buf[0] = '\0';
	if (glob_escape(c->redis_prefix, buf, len, &off) < 0 ||
	    off + 7 >= len)
		return -1;
	memcpy(buf + off, "*sup:*", 7);
	return 0;
}

int
schema_limit_field(int dim, long win, char *buf, size_t len)
{
	int	 n;

	if (limit_dim_name(dim) == NULL || (win < 1 && win != LIMIT_MONTH))
		return -1;
	if (win == LIMIT_MONTH)
		n = snprintf(buf, len, "%s/month", limit_dim_name(dim));
	else
		n = snprintf(buf, len, "%s/%ld", limit_dim_name(dim), win);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
schema_limit_field_parse(const char *field, int *dim, long *win)
{
	const char	*slash;
	char		 name[16], *end;
	long		 v;
	size_t		 n;

	if ((slash = strchr(field, '/')) == NULL)
		return -1;
	n = (size_t)(slash - field);
	if (n >= sizeof(name))
		return -1;
	memcpy(name, field, n);
	name[n] = '\0';
	if ((*dim = limit_dim_lookup(name)) < 0)
		return -1;
	if (strcmp(slash + 1, "month") == 0) {
		*win = LIMIT_MONTH;
		return 0;
	}
	if (slash[1] < '1' || slash[1] > '9')
		return -1;
	errno = 0;
	v = strtol(slash + 1, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1)
		return -1;
	*win = v;
	return 0;
}

int
schema_sup_addr(const struct conf *c, char *addr)
{
	char	*at = strrchr(addr, '@'), *p;
	int	 changed = 0;

	if (!c->suppress_fold_case || at == NULL)
		return 0;
	for (p = addr; p < at; p++)
		if (*p >= 'A' && *p <= 'Z') {
			*p = (char)(*p - 'A' + 'a');
			changed = 1;
		}
	return changed;
}

unsigned
schema_sup_bucket(const char *addr, const char *user)
{
	unsigned	 h = 2166136261u;
	const unsigned char *p;

	for (p = (const unsigned char *)addr; *p != '\0'; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h % (user != NULL ? SCHEMA_SUP_USER_BUCKETS :
	    SCHEMA_SUP_GLOBAL_BUCKETS);
}

int
schema_key_sup(const struct conf *c, const char *user, unsigned bucket,
    char *buf, size_t len)
{
	char	 suffix[32], *p = suffix + sizeof(suffix);
	size_t	 np, ns;

	/* "sup:%u" without stdio: two or four per RCPT request */
	*--p = '\0';
	do
		*--p = (char)('0' + bucket % 10);
	while ((bucket /= 10) > 0);
	p -= 4;
	memcpy(p, "sup:", 4);
	if (user != NULL)
		return schema_key_user(c, user, p, buf, len);
	np = strlen(c->redis_prefix);
	ns = strlen(p);
	if (np + ns + 1 > len)
		return -1;
	memcpy(buf, c->redis_prefix, np);
	memcpy(buf + np, p, ns + 1);
	return 0;
}

static int
pack_code(int ch)
{
	const char	*p;

	if (ch >= 'a' && ch <= 'z')	/* alphabet[] in order */
		return ch - 'a' + 1;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 27;
	if (ch == '\0' || (p = strchr(alphabet + 36, ch)) == NULL)
		return -1;
	return (int)(p - alphabet) + 1;
}

int
schema_sup_field(const char *addr, char *buf, size_t len)
{
	size_t		 n, i, out;
	unsigned	 acc = 0;
	int		 bits = 0, code;

	n = strlen(addr);
	if (n == 0 || n + 1 > len || n >= SCHEMA_SUP_FIELD_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if (pack_code((unsigned char)addr[i]) < 0)
			break;
	if (i < n) {			/* not packable: the address itself */
		if ((unsigned char)addr[0] <= PACK_MARK)
			return -1;
		memcpy(buf, addr, n);
		return (int)n;
	}
	buf[0] = PACK_MARK;
	out = 1;
	for (i = 0; i < n; i++) {
		code = pack_code((unsigned char)addr[i]);
		acc = (acc << 6) | (unsigned)code;
		bits += 6;
		while (bits >= 8) {
			bits -= 8;
			buf[out++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (bits > 0)
		buf[out++] = (char)((acc << (8 - bits)) & 0xff);
	return (int)out;
}

int
schema_sup_field_decode(const char *field, size_t flen, char *addr,
    size_t len)
{
	size_t		 i, out = 0;
	unsigned	 acc = 0, code;
	int		 bits = 0;

	if (flen == 0 || len == 0)
		return -1;
	if ((unsigned char)field[0] != PACK_MARK) {
		if (flen + 1 > len || memchr(field, '\0', flen) != NULL)
			return -1;
		memcpy(addr, field, flen);
		addr[flen] = '\0';
		return 0;
	}
	for (i = 1; i < flen; i++) {
		acc = (acc << 8) | (unsigned char)field[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			code = (acc >> bits) & 0x3f;
			if (code == 0)
				continue;	/* padding */
			if (code > sizeof(alphabet) - 1 || out + 1 >= len)
				return -1;
			addr[out++] = alphabet[code - 1];
		}
	}
	addr[out] = '\0';
	return out > 0 ? 0 : -1;
}

int
schema_sup_encode(const struct schema_sup *e, char *buf, size_t len)
{
	long long	 v;
	int		 n;

	if (e->reason < 0 || e->reason >= SUP_NREASON || e->created < 0 ||
	    e->expires < 0)
		return -1;
	v = (long long)e->reason + 4 * (e->created / 60);
	if (e->expires == 0)
		n = snprintf(buf, len, "%lld", v);
	else
		n = snprintf(buf, len, "%lld:%lld", v, (e->expires + 59) / 60);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
schema_sup_decode(const char *val, struct schema_sup *e)
{
	char		*end;
	long long	 v, x = 0;

	errno = 0;
	v = strtoll(val, &end, 10);
	if (end == val || v < 0 || errno != 0)
		return -1;
	if (*end == ':') {
		x = strtoll(end + 1, &end, 10);
		if (x <= 0 || errno != 0)
			return -1;
	}
	if (*end != '\0')
		return -1;
	e->reason = (int)(v % 4);
	e->created = (v / 4) * 60;
	e->expires = x * 60;
	return 0;
}

int
schema_who_valid(const char *who)
{
	size_t	 n = strlen(who);

	if (who[0] != '[')
		return schema_user_valid(who);
	if (n < 3 || n > 66 || who[n - 1] != ']')
		return 0;
	if (strncmp(who, "[uid:", 5) == 0)	/* local submission */
		return n > 6 && n <= 16 &&
		    strspn(who + 5, "0123456789") == n - 6;
	return strspn(who + 1, "0123456789abcdefABCDEF.:") == n - 2;
}

/* A key component of the delivery log: no blanks or control chars. */
static int
log_val_ok(const char *v, int empty_ok)
{
	const unsigned char *p;

	if (*v == '\0')
		return empty_ok;
	if (strlen(v) > 400)
		return 0;
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

int
schema_key_log(const struct conf *c, const char *kind, const char *val,
    char *buf, size_t len)
{
	if (val == NULL) {
		if (strcmp(kind, SCHEMA_LOG_SEQ) != 0 &&
		    strcmp(kind, SCHEMA_LOG_ALL) != 0 &&
		    strcmp(kind, SCHEMA_LOG_WHO) != 0 &&
		    strcmp(kind, SCHEMA_LOG_PAUSE) != 0)
			return -1;
		return fmt(buf, len, "%s{log}:%s%s", c->redis_prefix, kind,
		    "");
	}
	if (strlen(kind) != 1 || strchr("eurfqm", kind[0]) == NULL ||
	    !log_val_ok(val, kind[0] == 'e'))
		return -1;
	return fmt(buf, len, "%s{log}:%s:%s", c->redis_prefix, kind, val);
}

int
schema_key_figures(const struct conf *c, const char *who, const char *kind,
    long long hour, char *buf, size_t len)
{
	int	 n;

	if (!schema_who_valid(who) || hour < 0 ||
	    (strcmp(kind, SCHEMA_ST) != 0 && strcmp(kind, SCHEMA_RT) != 0))
		return -1;
	if (strcmp(kind, SCHEMA_RT) == 0)	/* one hash, hour fields */
		n = snprintf(buf, len, "%s{log}:rt:%s", c->redis_prefix, who);
	else
		n = snprintf(buf, len, "%s{log}:st:%s:%lld", c->redis_prefix,
		    who, hour);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
schema_key_fleet(const struct conf *c, long long hour, char *buf, size_t len)
{
	int	 n;

	if (hour < 0)
		return -1;
	n = snprintf(buf, len, "%s{log}:st:*:%lld", c->redis_prefix, hour);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
schema_key_fleet_day(const struct conf *c, long long day, char *buf,
    size_t len)
{
	int	 n;

	if (day < 0)
		return -1;
	n = snprintf(buf, len, "%s{log}:st:*:d:%lld", c->redis_prefix, day);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int
schema_key_fb(const struct conf *c, const char *kind, const char *host,
    const char *rest, char *buf, size_t len)
{
	int	 n;

	if (!log_val_ok(host, 0) || *rest == '\0' ||
	    (strcmp(kind, SCHEMA_FB_POS) != 0 &&
	    strcmp(kind, SCHEMA_FB_JOIN) != 0 &&
	    strcmp(kind, SCHEMA_FB_BOUNCE) != 0))
		return -1;
	n = snprintf(buf, len, "%s{log}:fb:%s:%s:%s", c->redis_prefix, kind,
	    host, rest);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}
