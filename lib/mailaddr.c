/*
 * mailaddr -- normalise an email address or a domain (see mailaddr.h).
 * The only allocation is libidn2's result, freed before returning.
 */
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "mailaddr.h"
#include "utf8.h"

#define INPUT_MAX	1024	/* longer input can't normalise to 254 */

/* Trim white space; *s and *n describe what is left. */
static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && strchr(" \t\r\n", (*s)[0]) != NULL)
		(*s)++, (*n)--;
	while (*n > 0 && strchr(" \t\r\n", (*s)[*n - 1]) != NULL)
		(*n)--;
}

static int
has_ctl(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}

static int
check_text(const char *s, size_t n, char *err, size_t errlen)
{
	if (n > INPUT_MAX)
		return errf(err, errlen, "longer than 254 characters");
	if (has_ctl(s, n))
		return errf(err, errlen, "control character");
	if (!utf8_valid((const unsigned char *)s, n))
		return errf(err, errlen, "not valid UTF-8");
	return 0;
}

/*
 * The label rule: 1..63 of [a-z0-9-] (and '_' when underscore), not
 * starting or ending with '-'; at most 253 octets in all.
 */
static int
check_labels(const char *d, int underscore, char *err, size_t errlen)
{
	const char	*p, *l;

	if (strlen(d) > MAILDOMAIN_MAX)
		return errf(err, errlen, "domain longer than 253 characters");
	for (p = l = d;; p++) {
		if (*p != '.' && *p != '\0') {
			if (!((*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' ||
			    (*p == '_' && underscore)))
				return errf(err, errlen, "bad character '%c' "
				    "in domain", *p);
			continue;
		}
		if (p == l)
			return errf(err, errlen, "empty label in domain");
		if (p - l > 63)
			return errf(err, errlen, "domain label longer than 63 "
			    "characters");
		if (*l == '-' || p[-1] == '-')
			return errf(err, errlen, "domain label starts or ends "
			    "with '-'");
		if (*p == '\0')
			return 0;
		l = p + 1;
	}
}

int
mailaddr_domain_is_hostname(const char *d)
{
	return check_labels(d, 0, NULL, 0) == 0;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

static int
is_ascii(const char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return 0;
	return 1;
}

/* "[...]" of printable ASCII other than [ ] \ (RFC 5321 dcontent). */
static int
check_literal(const char *d, size_t n)
{
	size_t	 i;

	if (n < 3 || d[n - 1] != ']')
		return -1;
	for (i = 1; i < n - 1; i++)
		if (d[i] < 0x21 || d[i] > 0x7e || strchr("[]\\", d[i]) != NULL)
			return -1;
	return 0;
}

/*
 * Append label l (n bytes) to a[*o], a U-label as its A-label: only labels
 * with non-ASCII bytes go through libidn2, so that an ASCII label obeys the
 * same rule whether or not its neighbours are international.
 */
static int
put_label(const char *l, size_t n, char *a, size_t *o, char *err,
    size_t errlen)
{
	char	 u[INPUT_MAX + 1], *ace = NULL;
	int	 rc;

	if (!is_ascii(l, n)) {
		memcpy(u, l, n);
		u[n] = '\0';
		rc = idn2_to_ascii_8z(u, &ace, IDN2_NFC_INPUT |
		    IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK)
			return errf(err, errlen, "bad international domain: %s",
			    idn2_strerror(rc));
		l = ace;
		n = strlen(ace);
	}
	if (*o + n + 1 > MAILDOMAIN_MAX + 1) {
		idn2_free(ace);
		return errf(err, errlen, "domain longer than 253 characters");
	}
	memcpy(a + *o, l, n);
	*o += n;
	idn2_free(ace);
	return 0;
}

/* d: trimmed, checked, NUL-terminated; its A-label form into a. */
static int
to_alabels(const char *d, char a[MAILDOMAIN_MAX + 2], char *err,
    size_t errlen)
{
	const char	*l, *dot;
	size_t		 o = 0;

	for (l = d;; l = dot + 1) {
		dot = strchr(l, '.');
		if (put_label(l, dot ? (size_t)(dot - l) : strlen(l), a, &o,
		    err, errlen) < 0)
			return -1;
		if (dot == NULL)
			break;
		a[o++] = '.';
	}
	a[o] = '\0';
	lower(a);
	return check_labels(a, 1, err, errlen);
}

/* d is NUL-terminated, trimmed, checked text; result in out. */
static int
domain_norm(char *d, char *out, size_t outlen, char *err, size_t errlen)
{
	char	 a[MAILDOMAIN_MAX + 2];
	size_t	 n;

	n = strlen(d);
	if (n > 0 && d[n - 1] == '.')
		d[--n] = '\0';
	if (n == 0)
		return errf(err, errlen, "empty domain");
	lower(d);
	if (d[0] == '[') {
		if (check_literal(d, n) < 0)
			return errf(err, errlen, "bad address literal");
		if (n >= sizeof(a))
			return errf(err, errlen, "domain longer than 253 "
			    "characters");
		memcpy(a, d, n + 1);
	} else if (to_alabels(d, a, err, errlen) < 0)
		return -1;
	if (strlen(a) >= outlen)
		return errf(err, errlen, "output buffer too small");
	memcpy(out, a, strlen(a) + 1);
	return 0;
}

int
mailaddr_domain_norm(const char *in, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char		 d[INPUT_MAX + 1];
	size_t		 n = strlen(in);

	trim(&in, &n);
	if (check_text(in, n, err, errlen) < 0)
		return -1;
	memcpy(d, in, n);
	d[n] = '\0';
	return domain_norm(d, out, outlen, err, errlen);
}

/*
 * Position of the one '@' outside quotes, or -1 with err set.  Also
 * refuses unquoted white space and an unterminated quote.
 */
static long
find_at(const char *s, size_t n, char *err, size_t errlen)
{
	size_t	 i;
	long	 at = -1;
	int	 q = 0;

	for (i = 0; i < n; i++) {
		if (q && s[i] == '\\' && i + 1 < n)
			i++;
		else if (s[i] == '"')
			q = !q;
		else if (!q && (s[i] == ' ' || s[i] == '\t'))
			return errf(err, errlen, "unquoted space");
		else if (!q && s[i] == '@') {
			if (at >= 0)
				return errf(err, errlen, "more than one '@'");
			at = (long)i;
		}
	}
	if (q)
		return errf(err, errlen, "unterminated quote");
	if (at < 0)
		return errf(err, errlen, "missing '@'");
	return at;
}

int
mailaddr_norm(const char *in, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char		 d[INPUT_MAX + 1], dom[MAILDOMAIN_MAX + 2];
	size_t		 n = strlen(in);
	long		 at;

	trim(&in, &n);
	if (n >= 2 && in[0] == '<' && in[n - 1] == '>')
		in++, n -= 2;
	if (n == 0)
		return errf(err, errlen, "empty address");
	if (check_text(in, n, err, errlen) < 0)
		return -1;
	if ((at = find_at(in, n, err, errlen)) < 0)
		return -1;
	if (at == 0)
		return errf(err, errlen, "empty local part");
	memcpy(d, in + at + 1, n - (size_t)at - 1);
	d[n - (size_t)at - 1] = '\0';
	if (domain_norm(d, dom, sizeof(dom), err, errlen) < 0)
		return -1;
	if ((size_t)at + 1 + strlen(dom) > MAILADDR_MAX)
		return errf(err, errlen, "longer than 254 characters");
	if (outlen < (size_t)at + 2 + strlen(dom))
		return errf(err, errlen, "output buffer too small");
	memcpy(out, in, (size_t)at);
	out[at] = '@';
	strcpy(out + at + 1, dom);
	return 0;
}

const char *
mailaddr_domain(const char *addr)
{
	const char	*at = strrchr(addr, '@');

	return at != NULL ? at + 1 : NULL;
}
