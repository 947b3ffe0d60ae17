/*
 * authres -- reading the authserv-id of an Authentication-Results field
 * and writing ours (RFC 8601, values of RFC 2045, pvalue of RFC 8601 2.2).
 * See authres.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "errf.h"

#define FIELD_PREFIX	(sizeof("Authentication-Results: ") - 1)

struct word {
	char	*s;
	size_t	 len;
	int	 starts;	/* first word of a resinfo */
};

struct authres {
	char		*id;		/* as written: token or quoted */
	struct word	*w;
	size_t		 nw, cap;
	size_t		 nres;
	int		 oom;
};

static int
tspecial(int c)
{
	return c != '\0' && strchr("()<>@,;:\\\"/[]?=", c) != NULL;
}

/* An RFC 2045 token character; 8-bit bytes only when reading. */
static int
token_char(unsigned char c, int eight)
{
	if (c >= 0x80)
		return eight;
	return c > 0x20 && c != 0x7f && !tspecial(c);
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past white space, folds and (nested) comments; NULL: unterminated. */
static const char *
skip_cfws(const char *p)
{
	size_t	 depth = 0;

	for (;;) {
		if (depth == 0 && is_wsp(*p))
			p++;
		else if (depth == 0 && *p != '(')
			return p;
		else if (*p == '\0')
			return NULL;
		else if (*p == '\\') {
			if (*++p == '\0')
				return NULL;
			p++;
		} else {
			if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		}
	}
}

static int
put(char *out, size_t outlen, size_t *n, char c)
{
	if (*n + 1 >= outlen)
		return -1;
	out[(*n)++] = c;
	return 0;
}

/* The quoted-string at p (after its '"') into out; the end, or NULL. */
static const char *
quoted(const char *p, char *out, size_t outlen, size_t *n)
{
	for (; *p != '"'; p++) {
		if (*p == '\0')
			return NULL;
		if (*p == '\r' || *p == '\n')
			continue;		/* a fold */
		if (*p == '\\' && *++p == '\0')
			return NULL;
		if (put(out, outlen, n, *p) < 0)
			return NULL;
	}
	return p + 1;
}

int
authres_id(const char *value, char *out, size_t outlen, char *err,
    size_t errlen)
{
	const char	*p;
	size_t		 n = 0;

	if (outlen == 0)
		return errf(err, errlen, "no room for the authserv-id");
	if ((p = skip_cfws(value)) == NULL)
		return errf(err, errlen, "unterminated comment");
	if (*p == '"') {
		if ((p = quoted(p + 1, out, outlen, &n)) == NULL)
			return errf(err, errlen, "unterminated or too long "
			    "quoted-string");
	} else {
		for (; token_char((unsigned char)*p, 1); p++)
			if (put(out, outlen, &n, *p) < 0)
				return errf(err, errlen, "authserv-id too "
				    "long");
	}
	out[n] = '\0';
	if (n == 0)
		return errf(err, errlen, "no authserv-id");
	if (*p != '\0' && !is_wsp(*p) && *p != '(' && *p != ';')
		return errf(err, errlen, "unexpected '%c' after the "
		    "authserv-id", *p);
	return 0;
}

int
authres_is_ours(const char *value, const char *ours)
{
	char	 id[AUTHRES_ID_MAX + 1];

	if (authres_id(value, id, sizeof(id), NULL, 0) < 0)
		return 0;
	return strcasecmp(id, ours) == 0;
}

/* ------------------------------------------------------------ writing */

static int
is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

static int
is_letdig(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* s[0..n) a dot-atom (RFC 5322 3.2.3)? */
static int
dot_atom(const char *s, size_t n)
{
	size_t	 i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '.' ? s[i + 1] == '.' : !is_atext((unsigned char)s[i]))
			return 0;
	return 1;
}

/* s[0..n) a domain-name of RFC 6376 (let-dig, ldh, let-dig labels)? */
static int
domain_name(const char *s, size_t n)
{
	size_t	 i, start = 0;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!is_letdig((unsigned char)s[i]) && s[i] != '-')
				return 0;
			continue;
		}
		if (i == start || s[start] == '-' || s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

static int
plain_token(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!token_char((unsigned char)*s, 0))
			return 0;
	return 1;
}

/* Can v be written bare as an RFC 8601 pvalue? */
static int
bare_pvalue(const char *v)
{
	const char	*at;

	if (plain_token(v))
		return 1;
	if ((at = strchr(v, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return 0;
	return (at == v || dot_atom(v, (size_t)(at - v))) &&
	    domain_name(at + 1, strlen(at + 1));
}

/* v as a quoted-string, control characters dropped; malloc'ed. */
static char *
quote(const char *v)
{
	char	*q, *o;

	if ((q = o = malloc(2 * strlen(v) + 3)) == NULL)
		return NULL;
	*o++ = '"';
	for (; *v != '\0'; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			continue;
		if (*v == '"' || *v == '\\')
			*o++ = '\\';
		*o++ = *v;
	}
	*o++ = '"';
	*o = '\0';
	return q;
}

/* A value written as a token or, failing that, quoted; malloc'ed. */
static char *
value_text(const char *v, int pvalue)
{
	if (pvalue ? bare_pvalue(v) : plain_token(v))
		return strdup(v);
	return quote(v);
}

/* Takes s (malloc'ed; NULL: out of memory). */
static int
add_word(struct authres *a, char *s, int starts)
{
	struct word	*nw;
	size_t		 cap;

	if (s == NULL) {
		a->oom = 1;
		return -1;
	}
	if (a->nw == a->cap) {
		cap = a->cap ? a->cap * 2 : 16;
		if ((nw = realloc(a->w, cap * sizeof(*nw))) == NULL) {
			free(s);
			a->oom = 1;
			return -1;
		}
		a->w = nw;
		a->cap = cap;
	}
	a->w[a->nw].s = s;
	a->w[a->nw].len = strlen(s);
	a->w[a->nw].starts = starts;
	a->nw++;
	return 0;
}

struct authres *
authres_new(const char *id)
{
	struct authres	*a;

	if (*id == '\0' || strlen(id) > AUTHRES_ID_MAX)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if ((a->id = value_text(id, 0)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

struct authres *
authres_free(struct authres *a)
{
	size_t	 i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < a->nw; i++)
		free(a->w[i].s);
	free(a->w);
	free(a->id);
	free(a);
	return NULL;
}

size_t
authres_count(const struct authres *a)
{
	return a->nres;
}

static char *
join3(const char *x, const char *sep, const char *y)
{
	size_t	 lx = strlen(x), ls = strlen(sep), ly = strlen(y);
	char	*s;

	if ((s = malloc(lx + ls + ly + 1)) == NULL)
		return NULL;
	memcpy(s, x, lx);
	memcpy(s + lx, sep, ls);
	memcpy(s + lx + ls, y, ly + 1);
	return s;
}

int
authres_method(struct authres *a, const char *method, const char *result)
{
	char	*m, *r;
	int	 rc;

	if (!plain_token(method) || !plain_token(result) ||
	    strlen(method) > AUTHRES_NAME_MAX ||
	    strlen(result) > AUTHRES_NAME_MAX)
		return -1;
	m = value_text(method, 0);
	r = value_text(result, 0);
	rc = add_word(a, m && r ? join3(m, "=", r) : NULL, 1);
	free(m);
	free(r);
	if (rc == 0)
		a->nres++;
	return rc;
}

int
authres_prop(struct authres *a, const char *ptype, const char *property,
    const char *value)
{
	char	*p, *v, *s;

	if (a->nres == 0 || !plain_token(ptype) || !plain_token(property) ||
	    strlen(ptype) > AUTHRES_NAME_MAX ||
	    strlen(property) > AUTHRES_NAME_MAX ||
	    strlen(value) > AUTHRES_VALUE_MAX)
		return -1;
	if ((p = join3(ptype, ".", property)) == NULL) {
		a->oom = 1;
		return -1;
	}
	v = value_text(value, 1);
	s = v != NULL ? join3(p, "=", v) : NULL;
	free(p);
	free(v);
	return add_word(a, s, 0);
}

/* The comment text, escaped and cut, with its parentheses; malloc'ed. */
static char *
comment_text(const char *text)
{
	size_t	 n = strlen(text), i;
	char	*c, *o;

	if (n > AUTHRES_COMMENT_MAX) {
		n = AUTHRES_COMMENT_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80)
			n--;		/* not inside a UTF-8 sequence */
	}
	if ((c = o = malloc(2 * n + 6)) == NULL)
		return NULL;
	*o++ = '(';
	for (i = 0; i < n; i++) {
		if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
			*o++ = ' ';
			continue;
		}
		if (text[i] == '(' || text[i] == ')' || text[i] == '\\')
			*o++ = '\\';
		*o++ = text[i];
	}
	if (n < strlen(text)) {
		memcpy(o, "...", 3);
		o += 3;
	}
	*o++ = ')';
	*o = '\0';
	return c;
}

int
authres_comment(struct authres *a, const char *text)
{
	char	*c, *p, *start;
	int	 rc = 0;

	if (a->nres == 0)
		return -1;
	if ((c = comment_text(text)) == NULL) {
		a->oom = 1;
		return -1;
	}
	/* One word per run of non-spaces: a comment folds at its spaces. */
	for (p = c; *p != '\0' && rc == 0;) {
		while (*p == ' ')
			p++;
		start = p;
		while (*p != '\0' && *p != ' ')
			p++;
		if (p > start)
			rc = add_word(a, strndup(start, (size_t)(p - start)), 0);
	}
	free(c);
	return rc;
}

struct sbuf {
	char	*s;
	size_t	 len, cap;
	int	 oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char	*ns;
	size_t	 cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
		if ((ns = realloc(b->s, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

char *
authres_text(struct authres *a, char *err, size_t errlen)
{
	struct sbuf	 b = { NULL, 0, 0, 0 };
	size_t		 i, col, need;

	sb_add(&b, a->id, strlen(a->id));
	col = FIELD_PREFIX + strlen(a->id);
	if (a->nres == 0)
		sb_add(&b, "; none", 6);
	for (i = 0; i < a->nw; i++) {
		/* The ';' that ends this resinfo's line counts too. */
		need = a->w[i].len + (i + 1 < a->nw && a->w[i + 1].starts);
		if (a->w[i].starts) {
			sb_add(&b, ";\n\t", 3);
			col = 1;
		} else if (col + 1 + need > AUTHRES_LINE) {
			sb_add(&b, "\n\t", 2);
			col = 1;
		} else {
			sb_add(&b, " ", 1);
			col++;
		}
		sb_add(&b, a->w[i].s, a->w[i].len);
		col += a->w[i].len;
	}
	if (a->oom || b.oom) {
		free(b.s);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	return b.s;
}
