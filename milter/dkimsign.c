/*
 * dkimsign -- DKIM signing engine; the interface and its contracts are in
 * dkimsign.h.  Layout of this file: headers stored canonical, once, in one
 * growing buffer, the body streamed into SHA-256 (both canonicalisations
 * are lib/dkimcanon's, shared with the verifier), header selection, the
 * folded tag list, and the RSA / Ed25519 operation.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "dkimcanon.h"
#include "dkimsign.h"

#define DSIG_WIDTH	78	/* folded line length */
#define DSIG_PREFIX	"DKIM-Signature"

struct dsig_hdr {
	size_t		 off;		/* canonical line in arena */
	size_t		 len;		/* including the CRLF */
	size_t		 namelen;	/* name, trailing WSP excluded */
};

struct dsig {
	int		 rh, rb;	/* relaxed header, relaxed body */
	char		*arena;		/* canonical header lines */
	size_t		 alen, acap;
	struct dsig_hdr	*hdr;
	size_t		 nhdr, hcap;
	struct dkimc_body *body;	/* lib/dkimcanon's hasher */
	EVP_MD_CTX	*md;		/* each header hash */
	unsigned char	 state;		/* 0 body, 1 finished, -1 failed */
	unsigned long long blen;	/* canonical body length, at finish */
	char		 bh[48];
};

/* A growing output buffer with a column, for the folded tag list. */
struct fold {
	char		*buf;
	size_t		 len, cap, col;
	int		 oom;
};

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* ---- headers -------------------------------------------------------- */

static size_t
canon_header(const struct dsig *s, char *dst, const char *name, size_t nlen,
    const char *v, size_t vlen)
{
	return dkimc_header(dst, s->rh, name, nlen, v, vlen);
}

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t	 n = *cap ? *cap : 16;
	void	*q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((q = realloc(*p, n * size)) == NULL)
		return -1;
	*p = q;
	*cap = n;
	return 0;
}

int
dsig_header(struct dsig *s, const char *name, const char *value)
{
	size_t		 nlen = strlen(name), vlen = strlen(value), n;
	struct dsig_hdr	*h;

	if (grow((void **)&s->arena, &s->acap,
	    s->alen + DKIMC_HEADER_MAX(nlen, vlen) + 2, 1) < 0 ||
	    grow((void **)&s->hdr, &s->hcap, s->nhdr + 1, sizeof(*h)) < 0)
		return -1;
	h = &s->hdr[s->nhdr++];
	n = canon_header(s, s->arena + s->alen, name, nlen, value, vlen);
	memcpy(s->arena + s->alen + n, "\r\n", 2);
	h->off = s->alen;
	h->len = n + 2;
	while (nlen > 0 && is_wsp(name[nlen - 1]))
		nlen--;
	h->namelen = nlen;
	s->alen += n + 2;
	return 0;
}

const char *
dsig_canon_header(const struct dsig *s, size_t i, size_t *len)
{
	if (i >= s->nhdr)
		return NULL;
	*len = s->hdr[i].len;
	return s->arena + s->hdr[i].off;
}

/* ---- body ----------------------------------------------------------- */

int
dsig_body(struct dsig *s, const unsigned char *p, size_t len)
{
	if (s->state != 0)
		return -1;
	if (dkimc_body_update(s->body, p, len) < 0) {
		s->state = (unsigned char)-1;
		return -1;
	}
	return 0;
}

int
dsig_finish_body(struct dsig *s)
{
	unsigned char	 d[32];

	if (s->state != 0)
		return -1;
	if (dkimc_body_finish(s->body, d) < 0) {
		s->state = (unsigned char)-1;
		return -1;
	}
	s->blen = dkimc_body_length(s->body);
	EVP_EncodeBlock((unsigned char *)s->bh, d, 32);
	s->state = 1;
	return 0;
}

const char *
dsig_bh(const struct dsig *s)
{
	return s->state == 1 ? s->bh : NULL;
}

unsigned long long
dsig_body_length(const struct dsig *s)
{
	return s->state == 1 ? s->blen : dkimc_body_length(s->body);
}

struct dsig *
dsig_new(int relaxed_header, int relaxed_body)
{
	struct dsig	*s;

	if (dkimc_sha256() == NULL)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->rh = relaxed_header != 0;
	s->rb = relaxed_body != 0;
	if ((s->body = dkimc_body_new(s->rb, -1)) == NULL ||
	    (s->md = EVP_MD_CTX_new()) == NULL ||
	    grow((void **)&s->arena, &s->acap, 2048, 1) < 0 ||
	    grow((void **)&s->hdr, &s->hcap, 32, sizeof(*s->hdr)) < 0)
		return dsig_free(s);
	return s;
}

struct dsig *
dsig_free(struct dsig *s)
{
	if (s == NULL)
		return NULL;
	dkimc_body_free(s->body);
	EVP_MD_CTX_free(s->md);
	free(s->arena);
	free(s->hdr);
	free(s);
	return NULL;
}

/* ---- header selection ----------------------------------------------- */

/* One entry of h=: a header (index) or an absent instance (-1). */
struct hsel {
	const char	*name;
	size_t		 len;
	long		 idx;
};

static int
name_is(const struct dsig *s, size_t i, const char *n, size_t nl)
{
	return s->hdr[i].namelen == nl &&
	    strncasecmp(s->arena + s->hdr[i].off, n, nl) == 0;
}

static int
listed(const char *const *v, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], name) == 0)
			return 1;
	return 0;
}

/* Appends every instance of name, bottom-up; returns the new count. */
static size_t
select_all(const struct dsig *s, const char *name, struct hsel *out,
    size_t n)
{
	size_t	 i, nl = strlen(name);

	for (i = s->nhdr; i-- > 0;) {
		if (!name_is(s, i, name, nl))
			continue;
		out[n].name = s->arena + s->hdr[i].off;
		out[n].len = nl;
		out[n++].idx = (long)i;
	}
	return n;
}

static size_t
select_headers(const struct dsig *s, const char *const *sign, size_t ns,
    const char *const *over, size_t no, struct hsel *out)
{
	size_t	 i, n = 0;

	for (i = 0; i < ns; i++)
		if (!listed(sign, i, sign[i]))
			n = select_all(s, sign[i], out, n);
	for (i = 0; i < no; i++) {
		if (listed(over, i, over[i]))
			continue;
		if (!listed(sign, ns, over[i]))
			n = select_all(s, over[i], out, n);
		out[n].name = over[i];
		out[n].len = strlen(over[i]);
		out[n++].idx = -1;
	}
	return n;
}

/* ---- the folded tag list -------------------------------------------- */

static void
fold_put(struct fold *f, const char *p, size_t n)
{
	if (f->oom || grow((void **)&f->buf, &f->cap, f->len + n + 1, 1) < 0) {
		f->oom = 1;
		return;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	f->col += n;
	f->buf[f->len] = '\0';
}

static void
fold_break(struct fold *f)
{
	fold_put(f, "\r\n\t", 3);
	f->col = 1;
}

/* Separator before a tag whose first unbreakable piece is n long. */
static void
fold_sep(struct fold *f, size_t n)
{
	if (f->col + 1 + n > DSIG_WIDTH)
		fold_break(f);
	else
		fold_put(f, " ", 1);
}

static void
fold_tag(struct fold *f, const char *tag)
{
	fold_sep(f, strlen(tag));
	fold_put(f, tag, strlen(tag));
}

/* A base64 value that may break anywhere. */
static void
fold_b64(struct fold *f, const char *v, size_t n)
{
	size_t	 room;

	while (n > 0) {
		if (f->col >= DSIG_WIDTH)
			fold_break(f);
		room = DSIG_WIDTH - f->col;
		if (room > n)
			room = n;
		fold_put(f, v, room);
		v += room;
		n -= room;
	}
}

static void
fold_h(struct fold *f, const struct hsel *h, size_t n)
{
	size_t	 i;

	fold_sep(f, 2 + (n ? h[0].len + 1 : 0));
	fold_put(f, "h=", 2);
	for (i = 0; i < n; i++) {
		if (i > 0 && f->col + h[i].len + 1 > DSIG_WIDTH)
			fold_break(f);
		fold_put(f, h[i].name, h[i].len);
		fold_put(f, i + 1 < n ? ":" : ";", 1);
	}
}

/* The value up to "b=" (empty), with a leading space at buf[0]. */
static void
fold_value(struct fold *f, const struct dsig *s, const char *alg,
    const char *domain, const char *selector, long long ts,
    const struct hsel *h, size_t nh)
{
	char	 tag[320];

	f->col = strlen(DSIG_PREFIX ":");
	fold_put(f, " v=1;", 5);
	snprintf(tag, sizeof(tag), "a=%s;", alg);
	fold_tag(f, tag);
	snprintf(tag, sizeof(tag), "c=%s/%s;", s->rh ? "relaxed" : "simple",
	    s->rb ? "relaxed" : "simple");
	fold_tag(f, tag);
	snprintf(tag, sizeof(tag), "d=%s;", domain);
	fold_tag(f, tag);
	snprintf(tag, sizeof(tag), "s=%s;", selector);
	fold_tag(f, tag);
	if (ts >= 0) {
		snprintf(tag, sizeof(tag), "t=%lld;", ts);
		fold_tag(f, tag);
	}
	fold_h(f, h, nh);
	fold_sep(f, 3 + 8);
	fold_put(f, "bh=", 3);
	fold_b64(f, s->bh, strlen(s->bh));
	fold_put(f, ";", 1);
	fold_sep(f, 2 + 8);
	fold_put(f, "b=", 2);
}

/* ---- checks and the signature operation ----------------------------- */

/* A tag value or header name: printable ASCII, no ';', no ':' in names. */
static int
token_ok(const char *p, int name)
{
	if (*p == '\0' || strlen(p) > 255)
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ';' || (name && *p == ':'))
			return 0;
	return 1;
}

static int
args_ok(const char *domain, const char *selector, const char *const *sign,
    size_t ns, const char *const *over, size_t no, char *err, size_t errlen)
{
	size_t	 i;

	if (!token_ok(domain, 0) || strchr(domain, '=') != NULL) {
		snprintf(err, errlen, "invalid domain \"%s\"", domain);
		return 0;
	}
	if (!token_ok(selector, 0) || strchr(selector, '=') != NULL) {
		snprintf(err, errlen, "invalid selector \"%s\"", selector);
		return 0;
	}
	for (i = 0; i < ns + no; i++) {
		const char *n = i < ns ? sign[i] : over[i - ns];

		if (!token_ok(n, 1)) {
			snprintf(err, errlen, "invalid header name \"%s\"", n);
			return 0;
		}
	}
	return 1;
}

static void
ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long	 e = ERR_get_error();
	char		 buf[256];

	ERR_error_string_n(e, buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, e ? buf : "failed");
	ERR_clear_error();
}

/* The algorithm name of a key, or NULL when it cannot sign DKIM. */
static const char *
key_alg(EVP_PKEY *key, char *err, size_t errlen)
{
	if (EVP_PKEY_is_a(key, "ED25519"))
		return "ed25519-sha256";
	if (!EVP_PKEY_is_a(key, "RSA")) {
		snprintf(err, errlen, "unsupported key type %s (RSA or "
		    "Ed25519 only)", EVP_PKEY_get0_type_name(key));
		return NULL;
	}
	if (EVP_PKEY_get_bits(key) < 1024 || EVP_PKEY_get_size(key) > 1024) {
		snprintf(err, errlen, "unsupported RSA key size %d bits",
		    EVP_PKEY_get_bits(key));
		return NULL;
	}
	return "rsa-sha256";
}

/* SHA-256 of the selected headers and of the signature header itself. */
static int
header_hash(struct dsig *s, const struct hsel *h, size_t nh,
    const char *val, size_t vlen, unsigned char *d)
{
	const struct dsig_hdr	*x;
	char			*c;
	size_t			 i, n;
	unsigned int		 dl;
	int			 rc = 0;

	if ((c = malloc(DKIMC_HEADER_MAX(sizeof(DSIG_PREFIX), vlen))) == NULL)
		return -1;
	n = canon_header(s, c, DSIG_PREFIX, strlen(DSIG_PREFIX), val, vlen);
	if (EVP_DigestInit_ex(s->md, dkimc_sha256(), NULL) != 1)
		rc = -1;
	for (i = 0; rc == 0 && i < nh; i++) {
		if (h[i].idx < 0)
			continue;
		x = &s->hdr[h[i].idx];
		if (EVP_DigestUpdate(s->md, s->arena + x->off, x->len) != 1)
			rc = -1;
	}
	if (rc == 0 && (EVP_DigestUpdate(s->md, c, n) != 1 ||
	    EVP_DigestFinal_ex(s->md, d, &dl) != 1))
		rc = -1;
	free(c);
	return rc;
}

/*
 * Signing contexts kept ready, per key: creating and initialising one
 * costs OpenSSL 3 a fetch of the signature algorithm and a walk of its
 * name map under a lock, on every message.  A context taken from the pool
 * is used by one thread at a time and goes back after the signature.  A
 * context holds a reference to its key, so a pooled key's address cannot
 * be reused by another key while the entry lives.  At most DSIG_POOL
 * contexts are kept (enough for the worker threads of a busy milter);
 * beyond that they are freed.  Should a library refuse to sign twice with
 * one context, the signature is made with a fresh one and contexts of that
 * kind are no longer kept.
 */
#define DSIG_POOL	64

struct kctx {
	EVP_PKEY	*key;
	EVP_PKEY_CTX	*pc;		/* RSA: EVP_PKEY_sign */
	EVP_MD_CTX	*mc;		/* Ed25519: EVP_DigestSign */
};

static pthread_mutex_t	 pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kctx	 pool[DSIG_POOL];
static size_t		 npool;
static int		 no_reuse[2];	/* [0] RSA, [1] Ed25519 */

static void
kctx_clear(struct kctx *k)
{
	EVP_PKEY_CTX_free(k->pc);
	EVP_MD_CTX_free(k->mc);
	k->pc = NULL;
	k->mc = NULL;
}

static int
kctx_init(struct kctx *k, EVP_PKEY *key, int ed)
{
	k->key = key;
	k->pc = NULL;
	k->mc = NULL;
	if (ed) {
		if ((k->mc = EVP_MD_CTX_new()) != NULL &&
		    EVP_DigestSignInit_ex(k->mc, NULL, NULL, NULL, NULL, key,
		    NULL) == 1)
			return 0;
	} else if ((k->pc = EVP_PKEY_CTX_new_from_pkey(NULL, key, NULL)) !=
	    NULL && EVP_PKEY_sign_init(k->pc) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(k->pc, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(k->pc, dkimc_sha256()) == 1)
		return 0;
	kctx_clear(k);
	return -1;
}

/* A ready context for key; 1 when it came from the pool, 0 new, -1. */
static int
kctx_take(struct kctx *k, EVP_PKEY *key, int ed)
{
	size_t	 i;

	pthread_mutex_lock(&pool_lock);
	for (i = npool; i-- > 0;) {
		if (pool[i].key != key)
			continue;
		*k = pool[i];
		pool[i] = pool[--npool];
		pthread_mutex_unlock(&pool_lock);
		return 1;
	}
	pthread_mutex_unlock(&pool_lock);
	return kctx_init(k, key, ed) == 0 ? 0 : -1;
}

static void
kctx_give(struct kctx *k, int ed)
{
	pthread_mutex_lock(&pool_lock);
	if (!no_reuse[ed] && npool < DSIG_POOL) {
		pool[npool++] = *k;
		k->pc = NULL;
		k->mc = NULL;
	}
	pthread_mutex_unlock(&pool_lock);
	kctx_clear(k);
}

static int
kctx_sign(struct kctx *k, const unsigned char *d, unsigned char *sig,
    size_t *siglen)
{
	size_t	 cap = *siglen;
	int	 ok;

	if (k->mc != NULL)
		ok = EVP_DigestSign(k->mc, sig, siglen, d, 32) == 1;
	else
		ok = EVP_PKEY_sign(k->pc, sig, siglen, d, 32) == 1;
	if (!ok)
		*siglen = cap;
	return ok ? 0 : -1;
}

static int
sign_digest(EVP_PKEY *key, const unsigned char *d, unsigned char *sig,
    size_t *siglen)
{
	struct kctx	 k;
	int		 ed = EVP_PKEY_is_a(key, "ED25519"), from, rc;

	if ((from = kctx_take(&k, key, ed)) < 0)
		return -1;
	if ((rc = kctx_sign(&k, d, sig, siglen)) < 0 && from == 1) {
		/* A reused context refused: sign afresh, keep none. */
		ERR_clear_error();
		kctx_clear(&k);
		pthread_mutex_lock(&pool_lock);
		no_reuse[ed] = 1;
		pthread_mutex_unlock(&pool_lock);
		if (kctx_init(&k, key, ed) < 0)
			return -1;
		rc = kctx_sign(&k, d, sig, siglen);
	}
	if (rc == 0)
		kctx_give(&k, ed);
	else
		kctx_clear(&k);
	return rc;
}

static int
sign_value(struct dsig *s, EVP_PKEY *key, struct fold *f,
    const struct hsel *h, size_t nh, char *err, size_t errlen)
{
	unsigned char	 d[EVP_MAX_MD_SIZE], sig[1024];
	char		 b64[1400];
	size_t		 siglen = sizeof(sig);

	if (header_hash(s, h, nh, f->buf, f->len, d) < 0) {
		ssl_err(err, errlen, "header hash");
		return -1;
	}
	if (sign_digest(key, d, sig, &siglen) < 0) {
		ssl_err(err, errlen, "signature");
		return -1;
	}
	EVP_EncodeBlock((unsigned char *)b64, sig, (int)siglen);
	fold_b64(f, b64, strlen(b64));
	return 0;
}

int
dsig_sign(struct dsig *s, EVP_PKEY *key, const char *domain,
    const char *selector, const char *const *sign, size_t ns,
    const char *const *over, size_t no, long long ts, char **value_out,
    char *err, size_t errlen)
{
	struct fold	 f = { NULL, 0, 0, 0, 0 };
	struct hsel	*h;
	const char	*alg;
	size_t		 nh;
	int		 rc = -1;

	*value_out = NULL;
	if (s->state != 1) {
		snprintf(err, errlen, "body not finished");
		return -1;
	}
	if (!args_ok(domain, selector, sign, ns, over, no, err, errlen) ||
	    (alg = key_alg(key, err, errlen)) == NULL)
		return -1;
	if ((h = calloc(s->nhdr + no + 1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((nh = select_headers(s, sign, ns, over, no, h)) == 0) {
		snprintf(err, errlen, "no header to sign (empty h=)");
		free(h);
		return -1;
	}
	if (grow((void **)&f.buf, &f.cap, 1024, 1) < 0)
		f.oom = 1;
	fold_value(&f, s, alg, domain, selector, ts, h, nh);
	if (f.oom)
		snprintf(err, errlen, "out of memory");
	else if (sign_value(s, key, &f, h, nh, err, errlen) == 0 && !f.oom) {
		memmove(f.buf, f.buf + 1, f.len);	/* the leading space */
		*value_out = f.buf;
		f.buf = NULL;
		rc = 0;
	} else if (f.oom)
		snprintf(err, errlen, "out of memory");
	free(f.buf);
	free(h);
	return rc;
}
