/*
 * dkimcanon -- DKIM canonicalisation shared by signer and verifier; the
 * interface and its contracts are in dkimcanon.h.  Layout: header forms,
 * the SHA-256 method, the streaming body hasher (a fixed staging buffer,
 * line ends and relaxed WSP held back until content follows), base64.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "dkimcanon.h"

#define DKIMC_STAGE	8192	/* canonical body bytes staged per update */

struct dkimc_body {
	EVP_MD_CTX	*md;
	int		 rb;		/* relaxed */
	long long	 limit;		/* l=, < 0 none */
	size_t		 nl;		/* line ends held back */
	unsigned char	 cr;		/* a CR waits for its LF */
	unsigned char	 wsp;		/* relaxed: WSP held back */
	unsigned char	 any;		/* canonical body not empty */
	unsigned char	 state;		/* 0 body, 1 finished, -1 failed */
	unsigned long long blen;	/* canonical bytes, uncut */
	size_t		 slen;
	unsigned char	 stage[DKIMC_STAGE];
};

static pthread_once_t	 md_once = PTHREAD_ONCE_INIT;
static EVP_MD		*md_sha256;

static void
md_init(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
dkimc_sha256(void)
{
	if (pthread_once(&md_once, md_init) != 0)
		return NULL;
	return md_sha256;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ---- headers -------------------------------------------------------- */

static size_t
canon_simple(char *dst, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	size_t	 i, n = nlen;

	memcpy(dst, name, nlen);
	dst[n++] = ':';
	for (i = 0; i < vlen; i++) {
		if (v[i] == '\n' && (i == 0 || v[i - 1] != '\r'))
			dst[n++] = '\r';
		dst[n++] = v[i];
	}
	return n;
}

static size_t
canon_relaxed(char *dst, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	size_t	 i, n;
	int	 sp = 0, started = 0;

	while (nlen > 0 && is_wsp(name[nlen - 1]))
		nlen--;
	for (n = 0; n < nlen; n++)
		dst[n] = (char)lower((unsigned char)name[n]);
	dst[n++] = ':';
	for (i = 0; i < vlen; i++) {
		if (v[i] == '\r' || v[i] == '\n')
			continue;
		if (is_wsp(v[i])) {
			sp = started;
			continue;
		}
		if (sp)
			dst[n++] = ' ';
		sp = 0;
		started = 1;
		dst[n++] = v[i];
	}
	return n;
}

size_t
dkimc_header(char *dst, int relaxed, const char *name, size_t nlen,
    const char *v, size_t vlen)
{
	if (relaxed)
		return canon_relaxed(dst, name, nlen, v, vlen);
	return canon_simple(dst, name, nlen, v, vlen);
}

/* ---- body ----------------------------------------------------------- */

static void
stage_flush(struct dkimc_body *b)
{
	if (b->slen > 0 && EVP_DigestUpdate(b->md, b->stage, b->slen) != 1)
		b->state = (unsigned char)-1;
	b->slen = 0;
}

/* n canonical bytes; past the limit they are counted, not hashed. */
static void
put(struct dkimc_body *b, const void *p, size_t n)
{
	unsigned long long	 room;

	if (b->limit >= 0) {
		room = b->blen >= (unsigned long long)b->limit ? 0 :
		    (unsigned long long)b->limit - b->blen;
		b->blen += n;
		if (room < n)
			n = (size_t)room;
	} else
		b->blen += n;
	if (b->slen + n > sizeof(b->stage)) {
		stage_flush(b);
		if (n > sizeof(b->stage)) {
			if (EVP_DigestUpdate(b->md, p, n) != 1)
				b->state = (unsigned char)-1;
			return;
		}
	}
	memcpy(b->stage + b->slen, p, n);
	b->slen += n;
}

/* Content of a line: release the held line ends and WSP first. */
static void
content(struct dkimc_body *b, const unsigned char *p, size_t n)
{
	for (; b->nl > 0; b->nl--)
		put(b, "\r\n", 2);
	if (b->wsp)
		put(b, " ", 1);
	b->wsp = 0;
	b->any = 1;
	put(b, p, n);
}

static void
line_end(struct dkimc_body *b)
{
	b->wsp = 0;
	b->nl++;
}

/* End of a run of bytes that are canonical as they stand: up to CR or LF,
 * and for relaxed up to a TAB or to a SP not followed by a plain byte (a
 * single SP between words is already canonical). */
static const unsigned char *
run_end(const struct dkimc_body *b, const unsigned char *p,
    const unsigned char *e)
{
	if (!b->rb) {
		while (p < e && *p != '\r' && *p != '\n')
			p++;
		return p;
	}
	while (p < e) {
		if (*p > ' ') {
			p++;
			continue;
		}
		if (*p != ' ' || p + 1 == e || p[1] <= ' ')
			break;
		p += 2;
	}
	return p;
}

int
dkimc_body_update(struct dkimc_body *b, const unsigned char *p, size_t len)
{
	const unsigned char	*e = p + len, *q;

	if (b->state != 0)
		return -1;
	while (p < e) {
		if (b->cr) {
			b->cr = 0;
			if (*p == '\n') {
				line_end(b);
				p++;
				continue;
			}
			content(b, (const unsigned char *)"\r", 1);
		}
		if (*p == '\r') {
			b->cr = 1;
			p++;
		} else if (*p == '\n') {
			line_end(b);
			p++;
		} else if (b->rb && is_wsp(*p)) {
			b->wsp = 1;
			p++;
		} else {
			q = run_end(b, p + 1, e);
			content(b, p, (size_t)(q - p));
			p = q;
		}
	}
	return b->state == 0 ? 0 : -1;
}

int
dkimc_body_finish(struct dkimc_body *b, unsigned char *digest)
{
	unsigned int	 dl;

	if (b->state != 0)
		return -1;
	if (b->cr)
		content(b, (const unsigned char *)"\r", 1);
	b->cr = 0;
	if (!b->rb || b->any)
		put(b, "\r\n", 2);
	stage_flush(b);
	if (b->state != 0 || EVP_DigestFinal_ex(b->md, digest, &dl) != 1 ||
	    dl != 32) {
		b->state = (unsigned char)-1;
		return -1;
	}
	b->state = 1;
	return 0;
}

unsigned long long
dkimc_body_length(const struct dkimc_body *b)
{
	return b->blen;
}

struct dkimc_body *
dkimc_body_new(int relaxed, long long limit)
{
	struct dkimc_body	*b;
	const EVP_MD		*md;

	if ((md = dkimc_sha256()) == NULL)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->rb = relaxed != 0;
	b->limit = limit < 0 ? -1 : limit;
	if ((b->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(b->md, md, NULL) != 1)
		return dkimc_body_free(b);
	return b;
}

struct dkimc_body *
dkimc_body_free(struct dkimc_body *b)
{
	if (b == NULL)
		return NULL;
	EVP_MD_CTX_free(b->md);
	free(b);
	return NULL;
}

/* ---- base64 --------------------------------------------------------- */

static int
b64val(int c)
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

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
dkimc_b64decode(const char *s, size_t len, unsigned char *out, size_t cap,
    size_t *outlen)
{
	unsigned long	 acc = 0;
	size_t		 i, n = 0, q = 0, pad = 0;
	int		 v;

	for (i = 0; i < len; i++) {
		if (is_fws((unsigned char)s[i]))
			continue;
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad > 0 || (v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		if (++q == 4) {
			if (n + 3 > cap)
				return -1;
			out[n++] = (unsigned char)(acc >> 16);
			out[n++] = (unsigned char)(acc >> 8);
			out[n++] = (unsigned char)acc;
			q = 0;
			acc = 0;
		}
	}
	if (q == 1 || (pad > 0 && q + pad != 4) || n + (q ? q - 1 : 0) > cap)
		return -1;
	if (q == 2)
		out[n++] = (unsigned char)(acc >> 4);
	else if (q == 3) {
		out[n++] = (unsigned char)(acc >> 10);
		out[n++] = (unsigned char)(acc >> 2);
	}
	*outlen = n;
	return 0;
}
