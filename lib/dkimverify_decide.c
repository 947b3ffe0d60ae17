/*
 * dkimverify_decide -- dkimv_verify: the result of each signature to be
 * verified, in the order of RFC 6376 6.1 with the crypto rules of RFC
 * 8301: x=, algorithm, key (one lookup per distinct key name), key
 * constraints, key size, body hash, header hash and signature.  Contract
 * in dkimverify.h; struct dkimv in dkimverify_int.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dkimcanon.h"
#include "dkimverify.h"
#include "dkimverify_int.h"
#include "dns.h"

#define KEYNAME_MAX	(253 + 12 + 253 + 1)

static int
set(struct dkimv_entry *e, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set(struct dkimv_entry *e, int status, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(e->r.why, sizeof(e->r.why), fmt, ap);
	va_end(ap);
	e->r.status = status;
	return 0;
}

/* ---- the key -------------------------------------------------------- */

static int
kset(struct dkimv_kslot *k, int status, const char *name, const char *what,
    const char *err)
{
	k->status = status;
	/* Names are long, the line is cut to fit (why[] is one line). */
	if (snprintf(k->why, sizeof(k->why), "%s %s%s%s", what, name,
	    err[0] ? ": " : "", err) < 0)
		k->why[0] = '\0';
	return 0;
}

/* The one key record among the TXT strings of name, into k. */
static void
key_pick(struct dkimv_kslot *k, const char *name, const struct strlist *l)
{
	struct dkimv_key	 tmp;
	char			 err[200] = "";
	size_t			 i, n = 0;
	int			 rc, bad = 0;

	for (i = 0; i < l->n; i++) {
		if ((rc = dkimv_key_parse(&tmp, l->v[i], err, sizeof(err))) == 0)
			continue;
		if (n++ == 0) {
			k->key = tmp;
			bad = rc < 0;
		}
	}
	if (n == 0)
		kset(k, DKIMV_PERMERROR, name, "no key record at", "");
	else if (n > 1)
		kset(k, DKIMV_PERMERROR, name, "several key records at", "");
	else if (bad)
		kset(k, DKIMV_PERMERROR, name, "malformed key record at", err);
	else if (k->key.derlen == 0)
		kset(k, DKIMV_PERMERROR, name, "key revoked (empty p=) at",
		    "");
	else if (dkimv_pkey(&k->key, err, sizeof(err)) < 0)
		kset(k, DKIMV_PERMERROR, name, "malformed key at", err);
	else
		k->status = -1;
}

static void
key_fetch(struct dkimv_kslot *k, const struct dkimv_sig *s,
    dkimv_txt_fn txt, void *arg)
{
	struct strlist	 l = { 0, NULL };
	char		 name[KEYNAME_MAX], err[200] = "";
	int		 st;

	snprintf(name, sizeof(name), "%s._domainkey.%s", s->selector,
	    s->domain);
	st = txt(arg, name, &l, err, sizeof(err));
	if (st == DNS_OK)
		key_pick(k, name, &l);
	else if (st == DNS_NXDOMAIN || st == DNS_NODATA)
		kset(k, DKIMV_PERMERROR, name, "no key record at", "");
	else
		kset(k, DKIMV_TEMPERROR, name, "key lookup failed for",
		    err[0] ? err : "DNS error");
	strlist_free(&l);
}

/* e's key slot: shared with an earlier entry naming the same key. */
static int
key_of(struct dkimv *v, size_t i, dkimv_txt_fn txt, void *arg)
{
	struct dkimv_entry	*e = &v->e[i], *o;
	size_t			 j;

	for (j = 0; j < i; j++) {
		o = &v->e[j];
		if (o->ks != NULL && o->sig != NULL &&
		    strcasecmp(o->sig->domain, e->sig->domain) == 0 &&
		    strcasecmp(o->sig->selector, e->sig->selector) == 0) {
			e->ks = o->ks;
			return 0;
		}
	}
	if ((e->ks = calloc(1, sizeof(*e->ks))) == NULL)
		return -1;
	e->ks_own = 1;
	key_fetch(e->ks, e->sig, txt, arg);
	return 0;
}

static int
auid_is_d(const struct dkimv_sig *s)
{
	const char	*at = strrchr(s->auid, '@');

	return s->auid[0] == '\0' ||
	    (at != NULL && strcasecmp(at + 1, s->domain) == 0);
}

/* Key constraints; 1 when the entry is decided by them. */
static int
key_rules(struct dkimv_entry *e, const struct dkimv_key *k)
{
	const struct dkimv_sig	*s = e->sig;
	int			 ed = s->alg == ALG_ED25519_SHA256;

	e->r.testing = k->testing;
	e->r.key_bits = k->bits;
	if (ed != (k->ktype == KT_ED25519))
		return set(e, DKIMV_PERMERROR, "key type k=%s does not "
		    "match a=%s", k->ktype == KT_ED25519 ? "ed25519" : "rsa",
		    s->alg_name) + 1;
	if (!k->sha256)
		return set(e, DKIMV_PERMERROR, "key h= excludes sha256") + 1;
	if (k->strict && !auid_is_d(s))
		return set(e, DKIMV_PERMERROR, "key t=s and i= is a "
		    "subdomain of d=") + 1;
	if (!ed && k->bits < 1024)
		return set(e, DKIMV_POLICY, "RSA key of %u bits (RFC 8301: "
		    "at least 1024)", k->bits) + 1;
	return 0;
}

/* ---- header hash ---------------------------------------------------- */

struct pick {
	const char	*name;
	size_t		 len, pos;
	long		 idx;
};

static int
ncmp(const char *a, size_t al, const char *b, size_t bl)
{
	int	 c = strncasecmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

static int
pick_cmp(const void *x, const void *y)
{
	const struct pick	*a = x, *b = y;
	int			 c = ncmp(a->name, a->len, b->name, b->len);

	if (c != 0)
		return c;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* First pick of the group named n (sorted p), or np when none. */
static size_t
group(const struct pick *p, size_t np, const char *n, size_t nl)
{
	size_t	 lo = 0, hi = np, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ncmp(p[mid].name, p[mid].len, n, nl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < np && ncmp(p[lo].name, p[lo].len, n, nl) == 0)
		return lo;
	return np;
}

/* sel[k]: the field of the k-th h= name, bottom-up, -1 when absent. */
static int
select_fields(const struct dkimv *v, const struct dkimv_sig *s, long *sel)
{
	struct pick	*p;
	size_t		*used, i, g, k, nl;
	const char	*n = s->h, *fn;

	p = calloc(s->nh, sizeof(*p));
	used = calloc(s->nh, sizeof(*used));
	if (p == NULL || used == NULL) {
		free(p);
		free(used);
		return -1;
	}
	for (k = 0; k < s->nh; n += strlen(n) + 1, k++)
		p[k] = (struct pick){ n, strlen(n), k, -1 };
	qsort(p, s->nh, sizeof(*p), pick_cmp);
	for (i = v->nf; i-- > 0;) {
		fn = v->arena + v->f[i].noff;
		nl = v->f[i].nlen;
		while (nl > 0 && (fn[nl - 1] == ' ' || fn[nl - 1] == '\t'))
			nl--;
		if ((g = group(p, s->nh, fn, nl)) == s->nh)
			continue;
		k = g + used[g];
		if (k < s->nh && ncmp(p[k].name, p[k].len, fn, nl) == 0) {
			p[k].idx = (long)i;
			used[g]++;
		}
	}
	for (k = 0; k < s->nh; k++)
		sel[p[k].pos] = p[k].idx;
	free(p);
	free(used);
	return 0;
}

static int
hash_field(struct dkimv *v, EVP_MD_CTX *md, int rh, const char *name,
    size_t nlen, const char *val, size_t vlen, int crlf)
{
	size_t	 n;

	if (dkimv_grow((void **)&v->scratch, &v->scap,
	    DKIMC_HEADER_MAX(nlen, vlen) + 2, 1) < 0)
		return -1;
	n = dkimc_header(v->scratch, rh, name, nlen, val, vlen);
	if (crlf) {
		memcpy(v->scratch + n, "\r\n", 2);
		n += 2;
	}
	return EVP_DigestUpdate(md, v->scratch, n) == 1 ? 0 : -1;
}

/* The DKIM-Signature field itself, its b= value emptied, no CRLF. */
static int
hash_self(struct dkimv *v, EVP_MD_CTX *md, const struct dkimv_entry *e)
{
	const struct dkimv_field	*f = &v->f[e->field];
	const struct dkimv_sig		*s = e->sig;
	const char			*val = v->arena + f->voff;
	char				*c;
	int				 rc;

	if ((c = malloc(f->vlen + 1)) == NULL)
		return -1;
	memcpy(c, val, s->b_off);
	memcpy(c + s->b_off, val + s->b_off + s->b_len,
	    f->vlen - s->b_off - s->b_len);
	rc = hash_field(v, md, s->rh, v->arena + f->noff, f->nlen, c,
	    f->vlen - s->b_len, 0);
	free(c);
	return rc;
}

static int
header_hash(struct dkimv *v, const struct dkimv_entry *e, unsigned char *d)
{
	const struct dkimv_sig	*s = e->sig;
	const struct dkimv_field *f;
	EVP_MD_CTX		*md;
	long			*sel;
	size_t			 k;
	unsigned int		 dl;
	int			 rc = -1;

	if ((sel = calloc(s->nh, sizeof(*sel))) == NULL)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, dkimc_sha256(), NULL) != 1 ||
	    select_fields(v, s, sel) < 0)
		goto out;
	for (k = 0; k < s->nh; k++) {
		if (sel[k] < 0)
			continue;
		f = &v->f[sel[k]];
		if (hash_field(v, md, s->rh, v->arena + f->noff, f->nlen,
		    v->arena + f->voff, f->vlen, 1) < 0)
			goto out;
	}
	if (hash_self(v, md, e) == 0 && EVP_DigestFinal_ex(md, d, &dl) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(md);
	free(sel);
	return rc;
}

/* ---- the decision --------------------------------------------------- */

static int
body_check(struct dkimv *v, struct dkimv_entry *e)
{
	const struct dkimv_bhash	*b = &v->bh[e->bhi];
	const struct dkimv_sig		*s = e->sig;

	if (s->l >= 0 && (unsigned long long)s->l > b->len)
		return set(e, DKIMV_FAIL, "l=%lld exceeds the body (%llu "
		    "bytes)", s->l, b->len) + 1;
	if (memcmp(b->d, s->bh, 32) != 0)
		return set(e, DKIMV_FAIL, "body hash mismatch (bh=)") + 1;
	return 0;
}

static int
decide(struct dkimv *v, size_t i, dkimv_txt_fn txt, void *arg, time_t now)
{
	struct dkimv_entry	*e = &v->e[i];
	const struct dkimv_sig	*s = e->sig;
	unsigned char		 d[32];
	int			 rc;

	if (v->overflow)
		return set(e, DKIMV_PERMERROR, "header block larger than %u "
		    "bytes", DKIMV_HEADER_BYTES);
	if (s->x >= 0 && (long long)now > s->x)
		return set(e, DKIMV_FAIL, "signature expired (x=%lld)", s->x);
	if (s->alg == ALG_RSA_SHA1)
		return set(e, DKIMV_POLICY, "rsa-sha1 not accepted (RFC 8301)");
	if (key_of(v, i, txt, arg) < 0)
		return -1;
	if (e->ks->status >= 0)
		return set(e, e->ks->status, "%s", e->ks->why);
	if (key_rules(e, &e->ks->key) || body_check(v, e))
		return 0;
	if (header_hash(v, e, d) < 0)
		return -1;
	rc = dkimv_check(&e->ks->key, s->alg, d, s->b, s->blen);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return set(e, DKIMV_FAIL, "signature does not verify (b=)");
	return set(e, DKIMV_PASS, "signature verified%s",
	    e->r.testing ? " (key in testing mode, t=y)" : "");
}

int
dkimv_verify(struct dkimv *v, dkimv_txt_fn txt, void *arg, time_t now)
{
	size_t	 i;

	if (!v->body_done && dkimv_finish_body(v) < 0)
		return -1;
	if (v->failed)
		return -1;
	for (i = 0; i < v->ne; i++) {
		if (v->e[i].sig == NULL || v->e[i].r.status >= 0)
			continue;
		if (decide(v, i, txt, arg, now) < 0) {
			set(&v->e[i], DKIMV_TEMPERROR, "out of memory or "
			    "libcrypto failure");
			return -1;
		}
	}
	return 0;
}
