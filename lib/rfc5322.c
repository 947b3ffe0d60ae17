/*
 * rfc5322 -- address lists, field names, unfolding; see rfc5322.h.
 *
 * A lexer turns the value into tokens (atoms, quoted strings, domain
 * literals, the specials "<>@,:;.") skipping folding white space and
 * comments; comments nest with a counter, never recursion.  A parser with
 * one token of lookahead reads the address-list.  It first checks a run of
 * words, then lexes that run a second time to build its value into one
 * arena, so nothing is copied until the syntax is known.  Addresses hold
 * arena offsets until the end, when they become pointers.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5322.h"

enum { T_END = 256, T_ATOM, T_QSTR, T_DLIT };
enum { M_LOCAL, M_DOMAIN, M_DISPLAY };
#define NONE	((size_t)-1)

struct tok {
	int	 type;			/* a special character or T_* */
	size_t	 start, end;		/* bytes [start, end) of the value */
	int	 ws;			/* white space or comment before it */
};

struct raddr {
	size_t	 local, domain, display, group, offset;	/* arena offsets */
};

struct parser {
	const unsigned char	*s;
	size_t			 len, pos;
	struct tok		 tok;
	char			*err;
	size_t			 errlen;
	int			 failed;
	char			*buf;		/* arena of NUL-terminated strings */
	size_t			 blen, bcap;
	struct raddr		*v;
	size_t			 n, cap;
	size_t			 group;		/* arena offset, or NONE */
	size_t			 ngroups;
};

/* A run of words and dots: a display name or a local part. */
struct words {
	size_t		 start, end;
	size_t		 nword, ndot;
	int		 dotted;	/* word *("." word): a local part */
	int		 leading_dot;
	size_t		 bad;		/* where it stops being dotted */
	const char	*why;
};

static int __attribute__((format(printf, 2, 3)))
fail(struct parser *p, const char *fmt, ...)
{
	va_list	 ap;

	if (!p->failed && p->err != NULL && p->errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(p->err, p->errlen, fmt, ap);
		va_end(ap);
	}
	p->failed = 1;
	return -1;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_atext(int c)
{
	if (c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* What may follow a backslash: VCHAR, WSP or (RFC 6532) any 8-bit byte. */
static int
qp_ok(int c)
{
	return is_wsp(c) || (c > 32 && c < 127) || c >= 0x80;
}

/*
 * Length of the line break of a fold at i (2 for CRLF, 1 for LF), 0 when
 * there is no line break at i, -1 (after setting the error) when a line
 * break is not followed by white space.
 */
static int
fold_at(struct parser *p, size_t i)
{
	size_t	 n;

	if (p->s[i] == '\n')
		n = 1;
	else if (p->s[i] == '\r' && i + 1 < p->len && p->s[i + 1] == '\n')
		n = 2;
	else if (p->s[i] == '\r')
		return fail(p, "CR without LF at offset %zu", i);
	else
		return 0;
	if (i + n < p->len && is_wsp(p->s[i + n]))
		return (int)n;
	return fail(p, "line break not followed by white space at offset %zu",
	    i);
}

/* -1 with the error when s[i] is NUL or a control character but HTAB. */
static int
check_ctl(struct parser *p, size_t i)
{
	int	 c = p->s[i];

	if (c == '\0')
		return fail(p, "NUL byte at offset %zu", i);
	if ((c < 32 && c != '\t') || c == 127)
		return fail(p, "control character 0x%02x at offset %zu", c, i);
	return 0;
}

/*
 * Steps over the body of a quoted string, comment or domain literal,
 * opened by the byte at p->pos and closed by `close`.  Handles folds,
 * quoted-pairs (unless in a literal) and, for comments, nesting.
 */
static int
scan_delimited(struct parser *p, int close, const char *what)
{
	size_t	 open = p->pos, depth = 1;
	int	 c, n;

	p->pos++;
	while (p->pos < p->len) {
		c = p->s[p->pos];
		if ((n = fold_at(p, p->pos)) != 0) {
			if (n < 0)
				return -1;
			p->pos += (size_t)n;
			continue;
		}
		if (c == '\\' && close != ']') {
			if (p->pos + 1 >= p->len)
				break;
			if (!qp_ok(p->s[p->pos + 1]))
				return fail(p, "invalid quoted-pair at offset "
				    "%zu", p->pos);
			p->pos += 2;
			continue;
		}
		if (check_ctl(p, p->pos) < 0)
			return -1;
		if (close == ']' && (c == '[' || c == '\\'))
			return fail(p, "'%c' inside domain literal at offset "
			    "%zu", c, p->pos);
		p->pos++;
		if (c == '(' && close == ')')
			depth++;
		else if (c == close && --depth == 0)
			return 0;
	}
	return fail(p, "unterminated %s at offset %zu", what, open);
}

static int
skip_cfws(struct parser *p)
{
	int	 n;

	while (p->pos < p->len) {
		if (is_wsp(p->s[p->pos]))
			p->pos++;
		else if ((n = fold_at(p, p->pos)) > 0)
			p->pos += (size_t)n;
		else if (n < 0)
			return -1;
		else if (p->s[p->pos] == '(') {
			if (scan_delimited(p, ')', "comment") < 0)
				return -1;
		} else
			return 0;
		p->tok.ws = 1;
	}
	return 0;
}

static int
bad_char(struct parser *p)
{
	int	 c = p->s[p->pos];

	if (c == ')')
		return fail(p, "unbalanced ')' at offset %zu", p->pos);
	if (c == ']')
		return fail(p, "unbalanced ']' at offset %zu", p->pos);
	if (c == '\\')
		return fail(p, "'\\' outside a quoted string at offset %zu",
		    p->pos);
	if (check_ctl(p, p->pos) < 0)
		return -1;
	return fail(p, "unexpected '%c' at offset %zu", c, p->pos);
}

/* Reads the next token into p->tok. */
static int
lex(struct parser *p)
{
	struct tok	*t = &p->tok;
	int		 c, r = 0;

	t->ws = 0;
	if (skip_cfws(p) < 0)
		return -1;
	t->start = t->end = p->pos;
	if (p->pos >= p->len) {
		t->type = T_END;
		return 0;
	}
	c = t->type = p->s[p->pos];
	switch (c) {
	case '"':
		t->type = T_QSTR;
		r = scan_delimited(p, '"', "quoted string");
		break;
	case '[':
		t->type = T_DLIT;
		r = scan_delimited(p, ']', "domain literal");
		break;
	case '<': case '>': case '@': case ',': case ':': case ';': case '.':
		p->pos++;
		break;
	default:
		if (!is_atext(c))
			return bad_char(p);
		t->type = T_ATOM;
		while (p->pos < p->len && is_atext(p->s[p->pos]))
			p->pos++;
	}
	t->end = p->pos;
	return r;
}

/* Names the current token for an error message. */
static const char *
tok_name(const struct parser *p, char *buf, size_t len)
{
	const struct tok	*t = &p->tok;
	size_t			 i, n;

	switch (t->type) {
	case T_END:
		return "end of value";
	case T_QSTR:
		return "quoted string";
	case T_DLIT:
		return "domain literal";
	case T_ATOM:
		n = t->end - t->start < len - 3 ? t->end - t->start : len - 3;
		buf[0] = '\'';
		for (i = 0; i < n; i++) {
			buf[i + 1] = (char)p->s[t->start + i];
			if (p->s[t->start + i] >= 0x80)
				buf[i + 1] = '?';
		}
		buf[n + 1] = '\'';
		buf[n + 2] = '\0';
		return buf;
	default:
		snprintf(buf, len, "'%c'", t->type);
		return buf;
	}
}

static int
expected(struct parser *p, const char *what)
{
	char	 buf[40];

	return fail(p, "expected %s, found %s at offset %zu", what,
	    tok_name(p, buf, sizeof(buf)), p->tok.start);
}

/* Makes room for n more bytes in the arena. */
static int
reserve(struct parser *p, size_t n)
{
	size_t	 cap;
	char	*b;

	if (p->bcap - p->blen >= n)
		return 0;
	cap = p->bcap ? p->bcap : 256;
	while (cap - p->blen < n)
		cap *= 2;
	if ((b = realloc(p->buf, cap)) == NULL)
		return fail(p, "out of memory");
	p->buf = b;
	p->bcap = cap;
	return 0;
}

static void
put_token(struct parser *p, int mode)
{
	const struct tok	*t = &p->tok;
	size_t			 i;
	int			 c, n;

	if (t->type == '.') {
		p->buf[p->blen++] = '.';
		return;
	}
	i = t->start + (t->type == T_QSTR);
	for (; i < t->end - (t->type == T_QSTR); i++) {
		c = p->s[i];
		if (t->type == T_QSTR && c == '\\')
			c = p->s[++i];
		else if ((n = fold_at(p, i)) > 0) {
			i += (size_t)n - 1;
			continue;
		} else if (t->type == T_DLIT && is_wsp(c))
			continue;
		if (mode == M_DOMAIN && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		p->buf[p->blen++] = (char)c;
	}
}

/*
 * Lexes bytes [start, end) once more (they lexed without error before)
 * and appends their value to the arena; returns its offset or NONE.
 */
static size_t
emit(struct parser *p, size_t start, size_t end, int mode)
{
	struct tok	 saved = p->tok;
	size_t		 pos = p->pos, off = p->blen;
	int		 first = 1;

	if (reserve(p, end - start + 1) < 0)
		return NONE;
	p->pos = start;
	while (p->pos < end && lex(p) == 0 && p->tok.type != T_END) {
		if (mode == M_DISPLAY && p->tok.ws && !first)
			p->buf[p->blen++] = ' ';
		first = 0;
		put_token(p, mode);
	}
	p->buf[p->blen++] = '\0';
	p->pos = pos;
	p->tok = saved;
	return off;
}

static int
utf8_valid(const unsigned char *s)
{
	unsigned	 c, cp, n, i;

	while ((c = *s++) != 0) {
		if (c < 0x80)
			continue;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return 0;
		for (i = 0; i < n; i++, s++) {
			if ((*s & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*s & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

static int
add_addr(struct parser *p, const struct words *lp, size_t dstart,
    size_t dend, const struct words *disp, size_t offset)
{
	struct raddr	*a, *v;
	size_t		 cap;

	if (p->n == p->cap) {
		cap = p->cap ? p->cap * 2 : 4;
		if ((v = reallocarray(p->v, cap, sizeof(*v))) == NULL)
			return fail(p, "out of memory");
		p->v = v;
		p->cap = cap;
	}
	a = &p->v[p->n];
	a->offset = offset;
	a->group = p->group;
	a->local = emit(p, lp->start, lp->end, M_LOCAL);
	a->domain = emit(p, dstart, dend, M_DOMAIN);
	a->display = disp ? emit(p, disp->start, disp->end, M_DISPLAY) :
	    emit(p, 0, 0, M_DISPLAY);
	if (p->failed)
		return -1;
	if (!utf8_valid((unsigned char *)p->buf + a->local))
		return fail(p, "local part is not UTF-8 at offset %zu",
		    lp->start);
	if (!utf8_valid((unsigned char *)p->buf + a->domain))
		return fail(p, "domain is not UTF-8 at offset %zu", dstart);
	p->n++;
	return 0;
}

/* Reads a run of words and dots, noting whether it is a local part. */
static int
scan_words(struct parser *p, struct words *w)
{
	int	 prev = 0, word;		/* 0 none, 1 word, 2 dot */
	size_t	 last = 0;

	memset(w, 0, sizeof(*w));
	w->start = w->end = p->tok.start;
	w->dotted = 1;
	while (p->tok.type == T_ATOM || p->tok.type == T_QSTR ||
	    p->tok.type == '.') {
		word = p->tok.type != '.';
		if (w->dotted && ((word && prev == 1) || (!word && prev != 1))) {
			w->dotted = 0;
			w->bad = p->tok.start;
			w->why = word ? "words not joined by '.' in local part" :
			    prev ? "'..' in local part" :
			    "local part starts with '.'";
		}
		w->leading_dot |= prev == 0 && !word;
		prev = word ? 1 : 2;
		if (word)
			w->nword++;
		else
			w->ndot++;
		last = p->tok.start;
		w->end = p->tok.end;
		if (lex(p) < 0)
			return -1;
	}
	if (w->dotted && prev == 2) {
		w->dotted = 0;
		w->bad = last;
		w->why = "local part ends with '.'";
	}
	return 0;
}

/* domain = dot-atom / domain-literal / obs-domain, after the '@'. */
static int
parse_domain(struct parser *p, size_t *start, size_t *end)
{
	*start = p->tok.start;
	if (p->tok.type == T_DLIT) {
		*end = p->tok.end;
		return lex(p);
	}
	if (p->tok.type != T_ATOM)
		return expected(p, "domain after '@'");
	for (;;) {
		*end = p->tok.end;
		if (lex(p) < 0)
			return -1;
		if (p->tok.type != '.')
			return 0;
		if (lex(p) < 0)
			return -1;
		if (p->tok.type != T_ATOM)
			return expected(p, "domain label after '.'");
	}
}

/* obs-route: *("," / CFWS) "@" domain *("," ["@" domain]) ":" */
static int
parse_route(struct parser *p)
{
	size_t	 s, e;

	while (p->tok.type == ',')
		if (lex(p) < 0)
			return -1;
	if (p->tok.type != '@')
		return expected(p, "'@' in route");
	while (p->tok.type == '@') {
		if (lex(p) < 0 || parse_domain(p, &s, &e) < 0)
			return -1;
		if (p->tok.type != ',')
			break;
		while (p->tok.type == ',')
			if (lex(p) < 0)
				return -1;
	}
	if (p->tok.type != ':')
		return expected(p, "':' after route");
	return lex(p);
}

/* The addr-spec after a run of words w, at the '@'. */
static int
finish_addr_spec(struct parser *p, const struct words *w, size_t *ds,
    size_t *de)
{
	if (w->nword + w->ndot == 0)
		return fail(p, "missing local part before '@' at offset %zu",
		    p->tok.start);
	if (!w->dotted)
		return fail(p, "%s at offset %zu", w->why, w->bad);
	if (lex(p) < 0)
		return -1;
	return parse_domain(p, ds, de);
}

/* angle-addr, at the '<'; disp is the display name or NULL. */
static int
parse_angle(struct parser *p, const struct words *disp, size_t offset)
{
	struct words	 w;
	size_t		 open = p->tok.start, ds, de;

	if (lex(p) < 0)
		return -1;
	if ((p->tok.type == '@' || p->tok.type == ',') && parse_route(p) < 0)
		return -1;
	if (p->tok.type == '>')
		return fail(p, "empty address <> at offset %zu", open);
	if (scan_words(p, &w) < 0)
		return -1;
	if (w.nword + w.ndot > 0 && p->tok.type != '@')
		return expected(p, "'@' in address");
	if (p->tok.type != '@')
		return expected(p, "address after '<'");
	if (finish_addr_spec(p, &w, &ds, &de) < 0)
		return -1;
	if (p->tok.type != '>') {
		char	 buf[40];

		return fail(p, "missing '>' for the '<' at offset %zu, found "
		    "%s at offset %zu", open, tok_name(p, buf, sizeof(buf)),
		    p->tok.start);
	}
	if (lex(p) < 0)
		return -1;
	return add_addr(p, &w, ds, de, disp, offset);
}

static int	parse_address(struct parser *, int);

/* group, at the ':' after its name w. */
static int
parse_group(struct parser *p, const struct words *w)
{
	size_t	 colon = p->tok.start;

	if ((p->group = emit(p, w->start, w->end, M_DISPLAY)) == NONE)
		return -1;
	p->ngroups++;
	if (lex(p) < 0)
		return -1;
	while (p->tok.type != ';') {
		if (p->tok.type == T_END)
			return fail(p, "missing ';' at the end of the group "
			    "opened at offset %zu", colon);
		if (p->tok.type == ',') {
			if (lex(p) < 0)
				return -1;
			continue;
		}
		if (parse_address(p, 1) < 0)
			return -1;
		if (p->tok.type != ',' && p->tok.type != ';' &&
		    p->tok.type != T_END)
			return expected(p, "',' or ';' after address");
	}
	p->group = NONE;
	return lex(p);
}

/* mailbox, or (when not in a group already) group. */
static int
parse_address(struct parser *p, int in_group)
{
	struct words	 w;
	size_t		 offset = p->tok.start, ds, de;

	if (scan_words(p, &w) < 0)
		return -1;
	switch (p->tok.type) {
	case '<':
		if (w.leading_dot)
			return fail(p, "display name starts with '.' at offset "
			    "%zu", w.start);
		return parse_angle(p, w.nword ? &w : NULL, offset);
	case '@':
		if (finish_addr_spec(p, &w, &ds, &de) < 0)
			return -1;
		return add_addr(p, &w, ds, de, NULL, offset);
	case ':':
		if (in_group)
			return fail(p, "group inside a group at offset %zu",
			    offset);
		if (w.nword == 0 || w.leading_dot)
			return fail(p, "missing group name before ':' at "
			    "offset %zu", p->tok.start);
		return parse_group(p, &w);
	default:
		if (w.nword + w.ndot == 0)
			return expected(p, "address");
		return expected(p, "'@' or '<'");
	}
}

static int
parse_list(struct parser *p)
{
	if (lex(p) < 0)
		return -1;
	for (;;) {
		if (p->tok.type == T_END)
			break;
		if (p->tok.type == ',') {
			if (lex(p) < 0)
				return -1;
			continue;
		}
		if (parse_address(p, 0) < 0)
			return -1;
		if (p->tok.type != ',' && p->tok.type != T_END)
			return expected(p, "',' or end of value after address");
	}
	if (p->n == 0 && p->ngroups == 0)
		return fail(p, "no address in value");
	return 0;
}

int
rfc5322_parse_addresses(const char *value, size_t len,
    struct rfc5322_addrs *out, char *err, size_t errlen)
{
	struct parser	 p;
	size_t		 i;

	memset(out, 0, sizeof(*out));
	memset(&p, 0, sizeof(p));
	p.s = (const unsigned char *)value;
	p.len = value ? len : 0;
	p.err = err;
	p.errlen = errlen;
	p.group = NONE;
	if (err != NULL && errlen > 0)
		*err = '\0';
	if (parse_list(&p) < 0) {
		free(p.buf);
		free(p.v);
		return -1;
	}
	if (p.n > 0 && (out->v = calloc(p.n, sizeof(*out->v))) == NULL) {
		free(p.buf);
		free(p.v);
		return fail(&p, "out of memory");
	}
	for (i = 0; i < p.n; i++) {
		out->v[i].local = p.buf + p.v[i].local;
		out->v[i].domain = p.buf + p.v[i].domain;
		out->v[i].display = p.buf + p.v[i].display;
		out->v[i].group = p.v[i].group == NONE ? NULL :
		    p.buf + p.v[i].group;
		out->v[i].offset = p.v[i].offset;
	}
	out->n = p.n;
	out->buf = p.buf;
	free(p.v);
	return 0;
}

void
rfc5322_addrs_free(struct rfc5322_addrs *a)
{
	if (a == NULL)
		return;
	free(a->v);
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

int
rfc5322_valid_field_name(const char *name, size_t len)
{
	size_t	 i;

	if (name == NULL || len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] < 33 ||
		    (unsigned char)name[i] > 126 || name[i] == ':')
			return 0;
	return 1;
}

ssize_t
rfc5322_unfold(const char *value, size_t len, char *out, size_t outlen)
{
	size_t	 i, o = 0, n;

	if (outlen < len + 1)
		return -1;
	for (i = 0; i < len; i++) {
		n = value[i] == '\n' ? 1 : value[i] == '\r' && i + 1 < len &&
		    value[i + 1] == '\n' ? 2 : 0;
		if (n > 0 && i + n < len && is_wsp(value[i + n])) {
			i += n - 1;
			continue;
		}
		out[o++] = value[i];
	}
	out[o] = '\0';
	return (ssize_t)o;
}

int
rfc5322_domain_of(const char *addr, char *out, size_t outlen)
{
	const char	*at;
	size_t		 i, n;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return -1;
	n = strlen(++at);
	if (n == 0 || n >= outlen)
		return -1;
	for (i = 0; i <= n; i++)
		out[i] = at[i] >= 'A' && at[i] <= 'Z' ?
		    (char)(at[i] + ('a' - 'A')) : at[i];
	return 0;
}
