/*
 * limit -- parse and format "DIMENSION=COUNT/WINDOW" (see limit.h).
 */
#include <stdio.h>
#include <string.h>

#include "errf.h"
#include "limit.h"

static const char *const dim_names[LIMIT_NDIM] = {
	"messages", "recipients", "bytes",
};

#define WINDOW_EXAMPLES	"(examples: 30s, 1m, 1h, 1d, month)"
#define COUNT_EXAMPLES	"(a whole number, optionally with K, M or G: " \
			"100, 50K, 10G)"

const char *
limit_dim_name(int dim)
{
	if (dim < 0 || dim >= LIMIT_NDIM)
		return NULL;
	return dim_names[dim];
}

int
limit_dim_lookup(const char *name)
{
	int	 i;

	for (i = 0; i < LIMIT_NDIM; i++)
		if (strcmp(name, dim_names[i]) == 0)
			return i;
	return -1;
}

/*
 * Digits followed by an optional unit character; the value times mult.
 * -1: syntax, -2: larger than max.
 */
static int
parse_scaled(const char *s, const char *units, const unsigned long long *mults,
    unsigned long long max, unsigned long long *out)
{
	unsigned long long	 v = 0, m = 1;
	const char		*p, *u;

	if (*s < '0' || *s > '9')
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (v > max / 10)
			return -2;
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > max)
			return -2;
	}
	if (*p != '\0') {
		if (p[1] != '\0' || (u = strchr(units, *p)) == NULL)
			return -1;
		m = mults[u - units];
	}
	if (v > max / m)
		return -2;
	*out = v * m;
	return 0;
}

/* 0, -1 syntax, -2 above LIMIT_COUNT_MAX, -3 zero. */
int
limit_parse_count(const char *s, unsigned long long *count)
{
	static const unsigned long long mults[] = {
		1000ULL, 1000000ULL, 1000000000ULL,
		1000ULL, 1000000ULL, 1000000000ULL,
	};
	int	 r;

	r = parse_scaled(s, "KMGkmg", mults, LIMIT_COUNT_MAX, count);
	if (r == 0 && *count == 0)
		return -3;
	return r;
}

/* 0, -1 syntax, -2 out of range (0s or above 365d). */
int
limit_parse_window(const char *s, long *window)
{
	static const unsigned long long mults[] = { 1, 60, 3600, 86400 };
	unsigned long long	 v;
	int			 r;

	if (strcmp(s, "month") == 0) {
		*window = LIMIT_MONTH;
		return 0;
	}
	/* A bare number has no unit: refuse rather than guess seconds. */
	if (*s != '\0' && s[strspn(s, "0123456789")] == '\0')
		return -1;
	r = parse_scaled(s, "smhd", mults, (unsigned long long)LIMIT_WINDOW_MAX,
	    &v);
	if (r == 0 && v == 0)
		return -2;
	if (r == 0)
		*window = (long)v;
	return r;
}

char *
limit_format_count(unsigned long long n, char *buf, size_t len)
{
	static const char units[] = "KMG";
	int			 i = -1;

	while (i < 2 && n != 0 && n % 1000 == 0) {
		n /= 1000;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%llu", n);
	else
		snprintf(buf, len, "%llu%c", n, units[i]);
	return buf;
}

char *
limit_format_window(long w, char *buf, size_t len)
{
	if (w == LIMIT_MONTH)
		snprintf(buf, len, "month");
	else if (w > 0 && w % 86400 == 0)
		snprintf(buf, len, "%ldd", w / 86400);
	else if (w > 0 && w % 3600 == 0)
		snprintf(buf, len, "%ldh", w / 3600);
	else if (w > 0 && w % 60 == 0)
		snprintf(buf, len, "%ldm", w / 60);
	else
		snprintf(buf, len, "%lds", w);
	return buf;
}

char *
limit_format(const struct limit *l, char *buf, size_t len)
{
	char	 c[32], w[32];
	int	 n;

	if (l->none && l->window == LIMIT_ANY_WINDOW)
		n = snprintf(buf, len, "%s=none", limit_dim_name(l->dim));
	else if (l->none)
		n = snprintf(buf, len, "%s=none/%s", limit_dim_name(l->dim),
		    limit_format_window(l->window, w, sizeof(w)));
	else
		n = snprintf(buf, len, "%s=%s/%s", limit_dim_name(l->dim),
		    limit_format_count(l->count, c, sizeof(c)),
		    limit_format_window(l->window, w, sizeof(w)));
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			*buf = '\0';
	}
	return buf;
}

static int
window_err(const char *text, const char *w, int r, char *err, size_t errlen)
{
	if (r == -2)
		return errf(err, errlen, "%s: window \"%s\" out of range "
		    "(1s to 365d, or month)", text, w);
	return errf(err, errlen, "%s: bad window \"%s\" " WINDOW_EXAMPLES,
	    text, w);
}

/* The part after '=': "COUNT/WINDOW", "none" or "none/WINDOW". */
static int
parse_value(const char *text, const char *v, struct limit *l, char *err,
    size_t errlen)
{
	char		 cnt[32];
	const char	*slash;
	size_t		 n;
	int		 r;

	slash = strchr(v, '/');
	n = slash != NULL ? (size_t)(slash - v) : strlen(v);
	if (n == 4 && strncmp(v, "none", 4) == 0) {
		l->none = 1;
		l->window = LIMIT_ANY_WINDOW;
		if (slash == NULL)
			return 0;
		if ((r = limit_parse_window(slash + 1, &l->window)) < 0)
			return window_err(text, slash + 1, r, err, errlen);
		return 0;
	}
	if (slash == NULL)
		return errf(err, errlen, "%s: missing \"/WINDOW\" "
		    "(e.g. %.*s/1h)", text, (int)(v - text) + (int)n, text);
	if (n == 0 || n >= sizeof(cnt))
		return errf(err, errlen, "%s: bad count \"%.*s\" "
		    COUNT_EXAMPLES, text, (int)n, v);
	memcpy(cnt, v, n);
	cnt[n] = '\0';
	if ((r = limit_parse_count(cnt, &l->count)) == -1)
		return errf(err, errlen, "%s: bad count \"%s\" " COUNT_EXAMPLES,
		    text, cnt);
	if (r == -3)
		return errf(err, errlen, "%s: count must be at least 1 (to "
		    "stop a user sending, use \"user suspend\")", text);
	if (r == -2)
		return errf(err, errlen, "%s: count \"%s\" too large "
		    "(at most 1000000G)", text, cnt);
	if ((r = limit_parse_window(slash + 1, &l->window)) < 0)
		return window_err(text, slash + 1, r, err, errlen);
	return 0;
}

int
limit_parse(const char *text, struct limit *l, char *err, size_t errlen)
{
	const char	*eq;
	char		 dim[16];
	size_t		 n;

	memset(l, 0, sizeof(*l));
	if ((eq = strchr(text, '=')) == NULL)
		return errf(err, errlen, "%s: expected DIMENSION=COUNT/WINDOW "
		    "(e.g. messages=100/1h)", text);
	n = (size_t)(eq - text);
	if (n >= sizeof(dim))
		n = sizeof(dim) - 1;
	memcpy(dim, text, n);
	dim[n] = '\0';
	if ((size_t)(eq - text) >= sizeof(dim) ||
	    (l->dim = limit_dim_lookup(dim)) < 0) {
		return errf(err, errlen, "%s: unknown dimension \"%.*s\" "
		    "(messages, recipients or bytes)", text,
		    (int)(eq - text), text);
	}
	return parse_value(text, eq + 1, l, err, errlen);
}
