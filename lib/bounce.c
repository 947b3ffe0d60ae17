/*
 * bounce -- the bounce rules: loading a rules file and classifying a
 * delivery outcome (see bounce.h).
 */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "errf.h"

#define PAT_MAX		16
#define STAGE_ANY	0x7f

struct rule {
	int		 cat;
	char		 class[BOUNCE_CLASS_MAX + 1];
	char		 dsn[PAT_MAX];		/* "" no condition */
	char		 code[PAT_MAX];
	unsigned	 status;		/* bit per status; 0 none */
	unsigned	 stage;			/* bit per stage; 0 none */
	regex_t		*re;
	size_t		 file;
	int		 line;
};

struct bounce_rules {
	struct rule	*r;
	size_t		 n, cap;
	char		**files;
	size_t		 nfiles;
};

static const char *const cats[BOUNCE_NCAT] = { "delivered", "soft",
	"hard", "block", "expired" };
static const char *const statuses[] = { "sent", "deferred", "bounced",
	"expired" };
/* Bit 0 is "no stage known". */
static const char *const stages[] = { "none", "CONNECT", "HELO", "TLS",
	"MAIL", "RCPT", "DATA" };
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

const char *
bounce_category_name(int c)
{
	return c >= 0 && c < BOUNCE_NCAT ? cats[c] : NULL;
}

int
bounce_category_lookup(const char *name)
{
	int	 i;

	for (i = 0; i < BOUNCE_NCAT; i++)
		if (strcmp(name, cats[i]) == 0)
			return i;
	return -1;
}

struct bounce_rules *
bounce_rules_new(void)
{
	return calloc(1, sizeof(struct bounce_rules));
}

struct bounce_rules *
bounce_rules_free(struct bounce_rules *rs)
{
	size_t	 i;

	if (rs == NULL)
		return NULL;
	for (i = 0; i < rs->n; i++)
		if (rs->r[i].re != NULL) {
			regfree(rs->r[i].re);
			free(rs->r[i].re);
		}
	for (i = 0; i < rs->nfiles; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs->r);
	free(rs);
	return NULL;
}

size_t
bounce_rules_count(const struct bounce_rules *rs)
{
	return rs != NULL ? rs->n : 0;
}

/* '*' any run, '?' one character. */
static int
glob(const char *p, const char *s)
{
	for (; *p != '\0'; p++, s++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			for (;; s++) {
				if (glob(p + 1, s))
					return 1;
				if (*s == '\0')
					return 0;
			}
		}
		if (*s == '\0' || (*p != '?' && *p != *s))
			return 0;
	}
	return *s == '\0';
}

/* The bit of word in names (case-insensitive when ci), or 0. */
static unsigned
word_bit(const char *const *names, size_t n, const char *w, size_t len,
    int ci)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strlen(names[i]) == len && (ci ?
		    strncasecmp(names[i], w, len) == 0 :
		    strncmp(names[i], w, len) == 0))
			return 1u << i;
	return 0;
}

static int
rule_matches(const struct rule *r, const char *status, const char *dsn,
    int code, const char *stage, const char *text)
{
	char	 c[8];

	if (r->status != 0 && (status == NULL || (r->status & word_bit(
	    statuses, NELEM(statuses), status, strlen(status), 0)) == 0))
		return 0;
	if (r->dsn[0] != '\0' && !glob(r->dsn, dsn != NULL ? dsn : ""))
		return 0;
	if (r->code[0] != '\0') {
		if (code < 100 || code > 999)
			return 0;
		snprintf(c, sizeof(c), "%d", code);
		if (!glob(r->code, c))
			return 0;
	}
	if (r->stage != 0 && (r->stage & (stage == NULL || *stage == '\0' ?
	    1u : word_bit(stages, NELEM(stages), stage, strlen(stage), 1)))
	    == 0)
		return 0;
	if (r->re != NULL && regexec(r->re, text != NULL ? text : "", 0, NULL,
	    0) != 0)
		return 0;
	return 1;
}

int
bounce_classify(const struct bounce_rules *rs, const char *status,
    const char *dsn, int code, const char *stage, const char *text,
    struct bounce_verdict *v)
{
	size_t	 i;

	for (i = 0; rs != NULL && i < rs->n; i++)
		if (rule_matches(&rs->r[i], status, dsn, code, stage, text)) {
			v->category = rs->r[i].cat;
			v->class = rs->r[i].class;
			v->file = rs->files[rs->r[i].file];
			v->line = rs->r[i].line;
			return 1;
		}
	v->category = BOUNCE_SOFT;
	if (status != NULL && strcmp(status, "sent") == 0)
		v->category = BOUNCE_DELIVERED;
	else if (status != NULL && strcmp(status, "expired") == 0)
		v->category = BOUNCE_EXPIRED;
	v->class = "unmatched";
	v->file = NULL;
	v->line = 0;
	return 0;
}

/* Prefix for the rule errors: "FILE:LINE: ". */
struct where {
	const char	*file;
	int		 line;
	char		*err;
	size_t		 errlen;
};

#define FAIL(w, ...)	failf(w, __VA_ARGS__)
static int __attribute__((format(printf, 2, 3)))
failf(const struct where *w, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return errf(w->err, w->errlen, "%s:%d: %s", w->file, w->line, msg);
}

/* A comma-separated list of names into a bit mask. */
static int
word_list(const struct where *w, const char *what, const char *const *names,
    size_t n, int ci, const char *v, unsigned *mask)
{
	const char	*c;
	size_t		 len;
	unsigned	 bit;

	*mask = 0;
	for (;;) {
		c = strchr(v, ',');
		len = c != NULL ? (size_t)(c - v) : strlen(v);
		if (ci && len == 3 && strncasecmp(v, "any", 3) == 0)
			bit = ~0u;
		else if ((bit = word_bit(names, n, v, len, ci)) == 0)
			return FAIL(w, "unknown %s '%.*s'", what, (int)len, v);
		*mask |= bit;
		if (c == NULL)
			break;
		v = c + 1;
	}
	if (*mask == ~0u)
		*mask = 0;		/* "any": no condition */
	return 0;
}

static int
pattern(const struct where *w, const char *what, const char *allowed,
    const char *v, char *dst)
{
	if (*v == '\0' || strlen(v) >= PAT_MAX || strspn(v, allowed) !=
	    strlen(v))
		return FAIL(w, "bad %s pattern '%s' (characters %s, at most "
		    "%d)", what, v, allowed, PAT_MAX - 1);
	strcpy(dst, v);
	return 0;
}

static int
text_regex(const struct where *w, const char *v, struct rule *r)
{
	char	 msg[256];
	int	 rc;

	if ((r->re = malloc(sizeof(*r->re))) == NULL)
		return FAIL(w, "out of memory");
	if ((rc = regcomp(r->re, v, REG_EXTENDED | REG_ICASE | REG_NOSUB))
	    != 0) {
		regerror(rc, r->re, msg, sizeof(msg));
		free(r->re);
		r->re = NULL;
		return FAIL(w, "bad text pattern: %s", msg);
	}
	return 0;
}

static int
condition(const struct where *w, char *tok, struct rule *r, unsigned *seen)
{
	static const char *const keys[] = { "status", "dsn", "code", "stage",
	    "text" };
	char		*v;
	unsigned	 bit;

	if ((v = strchr(tok, '=')) == NULL)
		return FAIL(w, "expected KEY=VALUE, not '%s'", tok);
	*v++ = '\0';
	if ((bit = word_bit(keys, NELEM(keys), tok, strlen(tok), 0)) == 0)
		return FAIL(w, "unknown condition '%s' (status, dsn, code, "
		    "stage, text)", tok);
	if (*seen & bit)
		return FAIL(w, "condition '%s' given twice", tok);
	*seen |= bit;
	switch (bit) {
	case 1:
		return word_list(w, "status", statuses, NELEM(statuses), 0, v,
		    &r->status);
	case 2:
		return pattern(w, "dsn", "0123456789.*?", v, r->dsn);
	case 4:
		return pattern(w, "code", "0123456789*?", v, r->code);
	case 8:
		return word_list(w, "stage", stages, NELEM(stages), 1, v,
		    &r->stage);
	default:
		if (*v == '\0')
			return FAIL(w, "empty text pattern");
		return text_regex(w, v, r);
	}
}

/* The next blank-separated token; "..." quotes blanks, \" a quote. */
static int
token(const struct where *w, const char **pp, const char *end, char *tok,
    size_t size)
{
	const char	*p = *pp;
	size_t		 n = 0;
	int		 q = 0;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= end)
		return 0;
	for (; p < end && (q || (*p != ' ' && *p != '\t')); p++) {
		if (*p == '"') {
			q = !q;
			continue;
		}
		if (q && *p == '\\' && p + 1 < end && p[1] == '"')
			p++;
		if (n + 1 >= size)
			return FAIL(w, "token too long");
		tok[n++] = *p;
	}
	if (q)
		return FAIL(w, "unterminated quote");
	tok[n] = '\0';
	*pp = p;
	return 1;
}

static int
class_name(const struct where *w, const char *v, char *dst)
{
	size_t	 n = strlen(v);

	if (n == 0 || n > BOUNCE_CLASS_MAX || !(islower((unsigned char)v[0]) ||
	    isdigit((unsigned char)v[0])) ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n)
		return FAIL(w, "bad class '%s' ([a-z0-9][a-z0-9._-]*, at most "
		    "%d characters)", v, BOUNCE_CLASS_MAX);
	strcpy(dst, v);
	return 0;
}

/* One rule line into r (r zeroed by the caller). */
static int
rule_line(const struct where *w, const char *p, const char *end,
    struct rule *r)
{
	char		 tok[BOUNCE_LINE_MAX + 1];
	unsigned	 seen = 0;
	int		 rc;

	if (token(w, &p, end, tok, sizeof(tok)) != 1)
		return -1;
	if ((r->cat = bounce_category_lookup(tok)) < 0)
		return FAIL(w, "unknown category '%s' (delivered, soft, hard, "
		    "block, expired)", tok);
	if ((rc = token(w, &p, end, tok, sizeof(tok))) <= 0)
		return rc < 0 ? -1 : FAIL(w, "missing class after '%s'",
		    cats[r->cat]);
	if (class_name(w, tok, r->class) < 0)
		return -1;
	while ((rc = token(w, &p, end, tok, sizeof(tok))) == 1)
		if (condition(w, tok, r, &seen) < 0)
			return -1;
	return rc;
}

static int
add_rule(struct bounce_rules *rs, const struct where *w, const char *p,
    const char *end)
{
	struct rule	 r, *nr;

	if (rs->n >= BOUNCE_RULES_MAX)
		return FAIL(w, "more than %d rules", BOUNCE_RULES_MAX);
	memset(&r, 0, sizeof(r));
	if (rule_line(w, p, end, &r) < 0) {
		if (r.re != NULL) {
			regfree(r.re);
			free(r.re);
		}
		return -1;
	}
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 64;
		if ((nr = realloc(rs->r, rs->cap * sizeof(*nr))) == NULL) {
			if (r.re != NULL) {
				regfree(r.re);
				free(r.re);
			}
			return FAIL(w, "out of memory");
		}
		rs->r = nr;
	}
	r.file = rs->nfiles - 1;
	r.line = w->line;
	rs->r[rs->n++] = r;
	return 0;
}

static int
add_name(struct bounce_rules *rs, const char *name)
{
	char	**nf;

	if ((nf = realloc(rs->files, (rs->nfiles + 1) * sizeof(*nf))) == NULL)
		return -1;
	rs->files = nf;
	if ((nf[rs->nfiles] = strdup(name)) == NULL)
		return -1;
	rs->nfiles++;
	return 0;
}

/* Drop the rules from index n on (a file that failed half-way). */
static void
truncate_rules(struct bounce_rules *rs, size_t n)
{
	while (rs->n > n) {
		rs->n--;
		if (rs->r[rs->n].re != NULL) {
			regfree(rs->r[rs->n].re);
			free(rs->r[rs->n].re);
		}
	}
}

static int
line_bad(const struct where *w, const char *p, const char *q)
{
	size_t	 n = q > p ? (size_t)(q - p) : 0;

	if (n > BOUNCE_LINE_MAX)
		return FAIL(w, "line longer than %d bytes", BOUNCE_LINE_MAX);
	if (n > 0 && memchr(p, '\0', n) != NULL)
		return FAIL(w, "NUL byte in line");
	return 0;
}

int
bounce_rules_add_text(struct bounce_rules *rs, const char *name,
    const char *text, size_t len, char *err, size_t errlen)
{
	struct where	 w = { name, 0, err, errlen };
	const char	*p = text, *end = text + len, *nl, *q;
	size_t		 before = rs->n;

	if (add_name(rs, name) < 0)
		return errf(err, errlen, "%s: out of memory", name);
	for (; p < end; p = nl + 1) {
		w.line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		q = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		if (line_bad(&w, p, q) < 0) {
			truncate_rules(rs, before);
			return -1;
		}
		while (p < q && (*p == ' ' || *p == '\t'))
			p++;
		if (p == q || *p == '#')
			continue;
		if (add_rule(rs, &w, p, q) < 0) {
			truncate_rules(rs, before);
			return -1;
		}
	}
	return 0;
}

int
bounce_rules_add_file(struct bounce_rules *rs, const char *path, char *err,
    size_t errlen)
{
	FILE	*fp;
	char	*buf = NULL;
	size_t	 cap = 0, n = 0, r;
	int	 rc;

	if ((fp = fopen(path, "r")) == NULL)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	for (;;) {
		if (n == cap) {
			char	*nb;

			if (cap >= (size_t)BOUNCE_RULES_MAX * BOUNCE_LINE_MAX ||
			    (nb = realloc(buf, cap = cap * 2 + 65536)) == NULL) {
				free(buf);
				fclose(fp);
				return errf(err, errlen, "%s: too large or out "
				    "of memory", path);
			}
			buf = nb;
		}
		if ((r = fread(buf + n, 1, cap - n, fp)) == 0)
			break;
		n += r;
	}
	rc = ferror(fp) ? errf(err, errlen, "%s: read error", path) :
	    bounce_rules_add_text(rs, path, buf, n, err, errlen);
	free(buf);
	fclose(fp);
	return rc;
}

struct bounce_rules *
bounce_rules_load(const char *const *paths, size_t n, char *err,
    size_t errlen)
{
	struct bounce_rules	*rs;
	size_t			 i;

	if ((rs = bounce_rules_new()) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (bounce_rules_add_file(rs, paths[i], err, errlen) < 0)
			return bounce_rules_free(rs);
	return rs;
}
