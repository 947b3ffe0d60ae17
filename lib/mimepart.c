/*
 * mimepart -- header fields, Content-Type, multipart bodies, transfer
 * decodings.  See mimepart.h for the contract.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mimepart.h"

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

char *
mime_normalize(const char *p, size_t n, size_t *outn)
{
	char	*out;
	size_t	 i, k = 0;

	if ((out = malloc(n + 1)) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			out[k++] = '\n';
			if (i + 1 < n && p[i + 1] == '\n')
				i++;
		} else
			out[k++] = p[i];
	}
	out[k] = '\0';
	*outn = k;
	return out;
}

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static size_t
b64_decode(const char *p, size_t n, char *out, int *bad)
{
	size_t		 i, k = 0;
	unsigned long	 acc = 0;
	int		 bits = 0, v;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '=')
			break;
		if ((v = b64_value(c)) < 0) {
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
				*bad = 1;
			continue;
		}
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[k++] = (char)(acc >> bits & 0xff);
		}
	}
	return k;
}

static int
hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static size_t
qp_decode(const char *p, size_t n, char *out, int *bad)
{
	size_t	 i, j, k = 0;
	int	 hi, lo;

	for (i = 0; i < n; i++) {
		if (p[i] != '=') {
			out[k++] = p[i];
			continue;
		}
		/* soft line break: '=' then optional white space, then EOL */
		for (j = i + 1; j < n && IS_WSP(p[j]); j++)
			;
		if (j == n || p[j] == '\n' || p[j] == '\r') {
			if (j < n && p[j] == '\r' && j + 1 < n && p[j + 1] == '\n')
				j++;
			i = j;
			continue;
		}
		if (i + 2 < n && (hi = hex_value((unsigned char)p[i + 1])) >= 0 &&
		    (lo = hex_value((unsigned char)p[i + 2])) >= 0) {
			out[k++] = (char)(hi << 4 | lo);
			i += 2;
			continue;
		}
		*bad = 1;
		out[k++] = '=';
	}
	return k;
}

char *
mime_decode(const char *p, size_t n, enum mime_cte cte, size_t *outn,
    int *bad)
{
	char	*tmp, *out;
	size_t	 k;

	if (cte == MIME_IDENTITY)
		return mime_normalize(p, n, outn);
	if ((tmp = malloc(n + 1)) == NULL)
		return NULL;
	if (cte == MIME_B64)
		k = b64_decode(p, n, tmp, bad);
	else
		k = qp_decode(p, n, tmp, bad);
	out = mime_normalize(tmp, k, outn);
	free(tmp);
	return out;
}

enum mime_cte
mime_cte(const char *v, size_t n)
{
	while (n > 0 && IS_WSP(*v)) {
		v++;
		n--;
	}
	if (n >= 6 && strncasecmp(v, "base64", 6) == 0)
		return MIME_B64;
	if (n >= 16 && strncasecmp(v, "quoted-printable", 16) == 0)
		return MIME_QP;
	return MIME_IDENTITY;
}

static int
valid_name(const char *p, size_t n)
{
	size_t	 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126)
			return 0;
	return 1;
}

static size_t
line_end(const char *buf, size_t len, size_t pos)
{
	const char	*nl;

	nl = memchr(buf + pos, '\n', len - pos);
	return nl == NULL ? len : (size_t)(nl - buf);
}

int
mime_header_next(const char *buf, size_t len, size_t *pos, struct mime_hdr *h)
{
	size_t		 p = *pos, eol, nlen;
	const char	*colon;

	while (p < len) {
		if (buf[p] == '\n') {
			*pos = p + 1;
			return 0;
		}
		eol = line_end(buf, len, p);
		colon = memchr(buf + p, ':', eol - p);
		if (IS_WSP(buf[p]) || colon == NULL) {
			p = eol < len ? eol + 1 : len;
			continue;
		}
		nlen = (size_t)(colon - (buf + p));
		while (nlen > 0 && IS_WSP(buf[p + nlen - 1]))
			nlen--;
		h->name = buf + p;
		h->nlen = nlen;
		h->val = colon + 1;
		/* continuation lines */
		while (eol + 1 < len && IS_WSP(buf[eol + 1]))
			eol = line_end(buf, len, eol + 1);
		h->vlen = (size_t)(buf + eol - h->val);
		p = eol < len ? eol + 1 : len;
		if (!valid_name(h->name, h->nlen))
			continue;
		*pos = p;
		return 1;
	}
	*pos = len;
	return 0;
}

int
mime_name_is(const struct mime_hdr *h, const char *name)
{
	return strlen(name) == h->nlen &&
	    strncasecmp(h->name, name, h->nlen) == 0;
}

char *
mime_value(const char *v, size_t n, size_t cap)
{
	char	*out;
	size_t	 i, k = 0;
	int	 space = 0;

	if (n > cap * 4 + 64)
		n = cap * 4 + 64;	/* enough input for cap output bytes */
	if ((out = malloc((n < cap ? n : cap) + 1)) == NULL)
		return NULL;
	for (i = 0; i < n && k < cap; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f || c == ' ') {
			space = k > 0;
			continue;
		}
		if (space) {
			out[k++] = ' ';
			space = 0;
			if (k == cap)
				break;
		}
		out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

void
mime_type(const char *v, size_t n, char *out, size_t outlen)
{
	size_t	 i = 0, k = 0;
	int	 slash = 0;

	if (outlen == 0)
		return;
	while (i < n && (IS_WSP(v[i]) || v[i] == '\n'))
		i++;
	for (; i < n && k + 1 < outlen; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c == ';' || c <= ' ' || c == '(' || c > 126)
			break;
		if (c == '/')
			slash++;
		out[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[k] = '\0';
	if (slash != 1 || k == 0 || out[0] == '/' || out[k - 1] == '/')
		out[0] = '\0';
}

/* Copies the parameter value at v[*i] (quoted or token) into out. */
static void
param_value(const char *v, size_t n, size_t *i, char *out, size_t outlen,
    int keep)
{
	size_t	 k = 0;

	if (*i < n && v[*i] == '"') {
		for ((*i)++; *i < n && v[*i] != '"'; (*i)++) {
			if (v[*i] == '\\' && *i + 1 < n)
				(*i)++;
			if (keep && k + 1 < outlen && v[*i] != '\n')
				out[k++] = v[*i];
		}
		if (*i < n)
			(*i)++;
	} else {
		for (; *i < n && v[*i] != ';' && (unsigned char)v[*i] > ' ';
		    (*i)++)
			if (keep && k + 1 < outlen)
				out[k++] = v[*i];
	}
	if (keep)
		out[k] = '\0';
}

int
mime_param(const char *v, size_t n, const char *name, char *out,
    size_t outlen)
{
	size_t	 i = 0, s, nl = strlen(name);
	int	 found;

	if (outlen == 0)
		return 0;
	for (;;) {
		while (i < n && v[i] != ';') {
			if (v[i] == '"')	/* skip a quoted string */
				param_value(v, n, &i, out, outlen, 0);
			else
				i++;
		}
		if (i >= n)
			return 0;
		for (i++; i < n && (IS_WSP(v[i]) || v[i] == '\n'); i++)
			;
		s = i;
		while (i < n && v[i] != '=' && v[i] != ';')
			i++;
		if (i >= n || v[i] == ';')
			continue;
		found = i - s >= nl && strncasecmp(v + s, name, nl) == 0;
		for (s += nl; found && s < i; s++)
			if (!IS_WSP(v[s]))
				found = 0;
		for (i++; i < n && IS_WSP(v[i]); i++)
			;
		param_value(v, n, &i, out, outlen, found);
		if (found)
			return 1;
	}
}

void
mime_iter_init(struct mime_iter *it, const char *body, size_t n,
    const char *boundary)
{
	memset(it, 0, sizeof(*it));
	it->b = body;
	it->n = n;
	it->blen = strlen(boundary);
	if (it->blen > MIME_BOUNDARY_MAX)
		it->blen = MIME_BOUNDARY_MAX;
	memcpy(it->bnd, boundary, it->blen);
	if (it->blen == 0)
		it->state = 2;
}

/*
 * The next delimiter line at or after pos (pos at a line start): 1 with
 * *start at its "--", *next after its line end, *close when it is the
 * close delimiter; 0 when there is none.
 */
static int
find_delim(const struct mime_iter *it, size_t pos, size_t *start,
    size_t *next, int *close)
{
	size_t	 eol, p;

	for (; pos < it->n; pos = eol + 1) {
		eol = line_end(it->b, it->n, pos);
		if (eol - pos < it->blen + 2 || it->b[pos] != '-' ||
		    it->b[pos + 1] != '-' ||
		    memcmp(it->b + pos + 2, it->bnd, it->blen) != 0)
			continue;
		p = pos + 2 + it->blen;
		*close = eol - p >= 2 && it->b[p] == '-' && it->b[p + 1] == '-';
		if (*close)
			p += 2;
		while (p < eol && (IS_WSP(it->b[p])))
			p++;
		if (p != eol)
			continue;
		*start = pos;
		*next = eol < it->n ? eol + 1 : it->n;
		return 1;
	}
	return 0;
}

int
mime_iter_next(struct mime_iter *it, struct mime_span *part)
{
	size_t	 start = 0, next = 0;
	int	 close = 0, found;

	if (it->state == 2)
		return 0;
	if (it->state == 0) {
		found = find_delim(it, 0, &start, &next, &close);
		if (!found || close) {
			it->state = 2;
			it->closed = found && close;
			return 0;
		}
		it->pos = next;
		it->state = 1;
	}
	part->p = it->b + it->pos;
	if (!find_delim(it, it->pos, &start, &next, &close)) {
		part->n = it->n - it->pos;
		it->state = 2;
		return 1;
	}
	/* the line end before the delimiter belongs to it */
	part->n = start > it->pos ? start - it->pos - 1 : 0;
	it->pos = next;
	if (close) {
		it->state = 2;
		it->closed = 1;
	}
	return 1;
}
