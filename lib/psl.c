/*
 * psl -- the Public Suffix List parser and lookups of lib/psl.h.
 *
 * The rules live in one open-addressing hash table keyed by name (lower
 * case, A-labels); each entry says which kinds of rule name it: a plain
 * rule ("co.uk"), a wildcard over its children ("*.ck" is stored as "ck"
 * with PR_WILD), an exception ("!www.ck" as "www.ck" with PR_EXCEPT).
 * Built once by psl_parse and never written again, so lookups need no
 * lock.
 */
#include <ctype.h>
#include <idn2.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "errf.h"
#include "psl.h"

#define PR_PLAIN	0x01
#define PR_WILD		0x02
#define PR_EXCEPT	0x04

#define PSL_NAME_MAX	253

struct entry {
	char		*name;		/* NULL: free slot */
	unsigned	 kinds;		/* PR_* */
};

struct psl {
	struct entry	*tab;
	size_t		 size;		/* power of two */
	size_t		 used;		/* names in tab */
	size_t		 rules;
	size_t		 skipped;
};

static uint32_t
hash(const char *s, size_t len)
{
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)tolower((unsigned char)s[i]);
		h *= 16777619u;
	}
	return h;
}

/* The slot of name (len bytes), or the free slot where it would go. */
static struct entry *
slot(const struct psl *l, const char *name, size_t len)
{
	size_t		 i = hash(name, len) & (l->size - 1);
	struct entry	*e;

	for (;; i = (i + 1) & (l->size - 1)) {
		e = &l->tab[i];
		if (e->name == NULL || (strlen(e->name) == len &&
		    strncasecmp(e->name, name, len) == 0))
			return e;
	}
}

static int
grow(struct psl *l)
{
	struct entry	*old = l->tab, *e;
	size_t		 oldsize = l->size, i;

	l->size = oldsize == 0 ? 1024 : oldsize * 2;
	if ((l->tab = calloc(l->size, sizeof(*l->tab))) == NULL) {
		l->tab = old;
		l->size = oldsize;
		return -1;
	}
	for (i = 0; i < oldsize; i++) {
		if (old[i].name == NULL)
			continue;
		e = slot(l, old[i].name, strlen(old[i].name));
		*e = old[i];
	}
	free(old);
	return 0;
}

static int
add(struct psl *l, const char *name, unsigned kind)
{
	struct entry	*e;

	if ((l->used + 1) * 2 > l->size && grow(l) < 0)
		return -1;
	e = slot(l, name, strlen(name));
	if (e->name == NULL) {
		if ((e->name = strdup(name)) == NULL)
			return -1;
		l->used++;
	}
	e->kinds |= kind;
	l->rules++;
	return 0;
}

static unsigned
kinds_of(const struct psl *l, const char *name)
{
	const struct entry	*e;

	if (l->size == 0)
		return 0;
	e = slot(l, name, strlen(name));
	return e->name != NULL ? e->kinds : 0;
}

/* Lower-case ASCII labels of 1..63 bytes of [a-z0-9_-]; 0 or -1. */
static int
check_name(char *s)
{
	size_t	 lab = 0, n = 0;

	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		if (c == '.') {
			if (lab == 0)
				return -1;
			lab = 0;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return -1;
		s[n] = (char)tolower(c);
		if (++lab > 63)
			return -1;
	}
	return n == 0 || lab == 0 || n > PSL_NAME_MAX ? -1 : 0;
}

static int
is_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/*
 * One rule (NUL-terminated word) into the table: 0 kept, 1 skipped,
 * -1 out of memory.
 */
static int
add_rule(struct psl *l, const char *word)
{
	unsigned	 kind = PR_PLAIN;
	char		 buf[PSL_NAME_MAX + 1], *ace = NULL;
	int		 rc;

	if (word[0] == '!') {
		kind = PR_EXCEPT;
		word++;
	} else if (word[0] == '*' && word[1] == '.') {
		kind = PR_WILD;
		word += 2;
	}
	if (!is_ascii(word)) {
		if (idn2_to_ascii_8z(word, &ace, IDN2_NFC_INPUT |
		    IDN2_NONTRANSITIONAL) != IDN2_OK)
			return 1;
		word = ace;
	}
	rc = snprintf(buf, sizeof(buf), "%s", word);
	idn2_free(ace);
	if (rc < 0 || (size_t)rc >= sizeof(buf) || check_name(buf) < 0)
		return 1;
	if (kind == PR_EXCEPT && strchr(buf, '.') == NULL)
		return 1;	/* "!tld": no parent to fall back to */
	return add(l, buf, kind) < 0 ? -1 : 0;
}

/* The first word of line [s, end) as a string in buf; 0 when none. */
static size_t
first_word(const char *s, const char *end, char *buf, size_t buflen)
{
	size_t	 n = 0;

	while (s < end && isspace((unsigned char)*s))
		s++;
	while (s < end && !isspace((unsigned char)*s) && *s != '\0') {
		if (n + 1 >= buflen)
			return buflen;	/* too long: a bad rule */
		buf[n++] = *s++;
	}
	buf[n] = '\0';
	return n;
}

struct psl *
psl_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct psl	*l;
	const char	*p = text, *end = text + len, *nl;
	char		 word[4 * PSL_NAME_MAX];
	size_t		 n;
	int		 rc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = first_word(p, nl, word, sizeof(word));
		if (n == 0 || (word[0] == '/' && word[1] == '/'))
			continue;
		if (n >= sizeof(word) || strcmp(word, "*") == 0)
			rc = 1;
		else if ((rc = add_rule(l, word)) < 0) {
			errf(err, errlen, "out of memory");
			return psl_free(l);
		}
		l->skipped += (size_t)rc;
	}
	if (l->rules == 0) {
		errf(err, errlen, "no public suffix rule found");
		return psl_free(l);
	}
	return l;
}

struct psl *
psl_load(const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	char		*buf;
	size_t		 n;
	struct psl	*l = NULL;
	char		 e[200];

	if ((fp = fopen(path, "r")) == NULL) {
		errf(err, errlen, "%s: %m", path);
		return NULL;
	}
	if ((buf = malloc(PSL_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, PSL_FILE_MAX + 1, fp);
	if (ferror(fp))
		errf(err, errlen, "%s: read error", path);
	else if (n > PSL_FILE_MAX)
		errf(err, errlen, "%s: larger than %u bytes", path,
		    PSL_FILE_MAX);
	else if ((l = psl_parse(buf, n, e, sizeof(e))) == NULL)
		errf(err, errlen, "%s: %s", path, e);
	fclose(fp);
	free(buf);
	return l;
}

static pthread_once_t	 sys_once = PTHREAD_ONCE_INIT;
static struct psl	*sys_list;
static char		 sys_err[300];

static void
sys_load(void)
{
	sys_list = psl_load(PSL_SYSTEM_PATH, sys_err, sizeof(sys_err));
}

const struct psl *
psl_system(char *err, size_t errlen)
{
	pthread_once(&sys_once, sys_load);
	if (sys_list == NULL)
		errf(err, errlen, "%s", sys_err);
	return sys_list;
}

struct psl *
psl_free(struct psl *l)
{
	size_t	 i;

	if (l == NULL)
		return NULL;
	for (i = 0; i < l->size; i++)
		free(l->tab[i].name);
	free(l->tab);
	free(l);
	return NULL;
}

size_t
psl_rules(const struct psl *l)
{
	return l->rules;
}

size_t
psl_skipped(const struct psl *l)
{
	return l->skipped;
}

/* The name after the first '.' of s, or NULL for a single label. */
static const char *
parent(const char *s)
{
	const char	*dot = strchr(s, '.');

	return dot != NULL ? dot + 1 : NULL;
}

const char *
psl_suffix(const struct psl *l, const char *domain)
{
	const char	*s, *up, *last = domain;

	for (s = domain; s != NULL; s = parent(s))
		if ((kinds_of(l, s) & PR_EXCEPT) && (up = parent(s)) != NULL)
			return up;
	for (s = domain; s != NULL; s = parent(s)) {
		up = parent(s);
		if ((kinds_of(l, s) & PR_PLAIN) ||
		    (up != NULL && (kinds_of(l, up) & PR_WILD)))
			return s;
		last = s;
	}
	return last;	/* the implicit "*" rule: the last label */
}

const char *
psl_org_domain(const struct psl *l, const char *domain)
{
	const char	*suf = psl_suffix(l, domain), *p;

	if (suf == domain)
		return domain;
	for (p = suf - 1; p > domain && p[-1] != '.'; p--)
		;
	return p;
}

int
psl_is_suffix(const struct psl *l, const char *domain)
{
	return psl_suffix(l, domain) == domain;
}
