/*
 * dkimverify_tags -- the tag lists of DKIM (RFC 6376 3.2): the
 * DKIM-Signature field (3.5) and the key record (3.6.1).  Pure parsing:
 * no I/O, no crypto beyond base64; contracts in dkimverify_int.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkimcanon.h"
#include "dkimverify_int.h"
#include "errf.h"

#define SIG_TAGS	64
#define KEY_TAGS	32

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_alnum_(int c)
{
	return is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* VALCHAR of 3.2, and 8-bit bytes (UTF-8 values, RFC 8616). */
static int
is_valchar(int c)
{
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

static size_t
skip_fws(const char *s, size_t i, size_t len)
{
	while (i < len && is_fws((unsigned char)s[i]))
		i++;
	return i;
}

/* The value from i up to ';' or len into t; the position of the ';'. */
static long
tag_value(const char *s, size_t i, size_t len, struct dkimv_tag *t)
{
	size_t	 e;

	t->roff = i;
	for (e = i; e < len && s[e] != ';'; e++)
		if (!is_fws((unsigned char)s[e]) &&
		    !is_valchar((unsigned char)s[e]))
			return -1;
	t->rlen = e - i;
	i = skip_fws(s, i, e);
	t->val = s + i;
	while (e > i && is_fws((unsigned char)s[e - 1]))
		e--;
	t->vlen = e - i;
	return (long)(t->roff + t->rlen);
}

static int
dup_tag(const struct dkimv_tag *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (t[i].nlen == t[n].nlen &&
		    memcmp(t[i].name, t[n].name, t[n].nlen) == 0)
			return 1;
	return 0;
}

int
dkimv_tags(const char *s, size_t len, struct dkimv_tag *t, size_t max,
    char *err, size_t errlen)
{
	size_t	 i = 0, n = 0;
	long	 e;

	for (;;) {
		if ((i = skip_fws(s, i, len)) == len)
			return (int)n;
		if (n == max)
			return errf(err, errlen, "more than %zu tags", max);
		if (!is_alpha((unsigned char)s[i]))
			return errf(err, errlen, "bad tag name at \"%.10s\"",
			    s + i);
		t[n].name = s + i;
		while (i < len && is_alnum_((unsigned char)s[i]))
			i++;
		t[n].nlen = (size_t)(s + i - t[n].name);
		i = skip_fws(s, i, len);
		if (i == len || s[i] != '=')
			return errf(err, errlen, "tag %.*s without '='",
			    (int)t[n].nlen, t[n].name);
		if ((e = tag_value(s, i + 1, len, &t[n])) < 0)
			return errf(err, errlen, "bad character in tag %.*s",
			    (int)t[n].nlen, t[n].name);
		if (dup_tag(t, n))
			return errf(err, errlen, "tag %.*s given twice",
			    (int)t[n].nlen, t[n].name);
		n++;
		i = (size_t)e;
		if (i == len)
			return (int)n;
		i++;		/* the ';' */
	}
}

static const struct dkimv_tag *
tag(const struct dkimv_tag *t, int n, const char *name)
{
	size_t	 nl = strlen(name);
	int	 i;

	for (i = 0; i < n; i++)
		if (t[i].nlen == nl && memcmp(t[i].name, name, nl) == 0)
			return &t[i];
	return NULL;
}

static int
val_is(const struct dkimv_tag *t, const char *v)
{
	return t->vlen == strlen(v) && memcmp(t->val, v, t->vlen) == 0;
}

/* The value without FWS into dst (NUL-terminated); -1 when too long. */
static int
val_copy(const struct dkimv_tag *t, char *dst, size_t cap)
{
	size_t	 i, n = 0;

	for (i = 0; i < t->vlen; i++) {
		if (is_fws((unsigned char)t->val[i]))
			continue;
		if (n + 1 >= cap)
			return -1;
		dst[n++] = t->val[i];
	}
	dst[n] = '\0';
	return 0;
}

/* A decimal number of at most 18 digits; -1 otherwise. */
static long long
val_num(const struct dkimv_tag *t)
{
	long long	 v = 0;
	size_t		 i;

	if (t->vlen == 0 || t->vlen > 18)
		return -1;
	for (i = 0; i < t->vlen; i++) {
		if (t->val[i] < '0' || t->val[i] > '9')
			return -1;
		v = v * 10 + (t->val[i] - '0');
	}
	return v;
}

/* Is item (len n) one of the ':'-separated entries of t (FWS cut)? */
static int
in_list(const struct dkimv_tag *t, const char *item)
{
	const char	*p = t->val, *e = t->val + t->vlen, *q, *a, *b;
	size_t		 n = strlen(item);

	for (; p <= e; p = q + 1) {
		for (q = p; q < e && *q != ':'; q++)
			;
		for (a = p; a < q && is_fws((unsigned char)*a); a++)
			;
		for (b = q; b > a && is_fws((unsigned char)b[-1]); b--)
			;
		if ((size_t)(b - a) == n && strncasecmp(a, item, n) == 0)
			return 1;
	}
	return 0;
}

/* ---- DKIM-Signature ------------------------------------------------- */

static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

static int
sig_ids(struct dkimv_sig *sig, const struct dkimv_tag *t, int n, char *err,
    size_t errlen)
{
	const struct dkimv_tag	*d = tag(t, n, "d"), *s = tag(t, n, "s");
	const struct dkimv_tag	*a = tag(t, n, "a"), *b = tag(t, n, "b");
	size_t			 i, k;

	if (d != NULL && val_copy(d, sig->domain, sizeof(sig->domain)) == 0)
		lower(sig->domain);
	if (s != NULL)
		val_copy(s, sig->selector, sizeof(sig->selector));
	if (a != NULL)
		val_copy(a, sig->alg_name, sizeof(sig->alg_name));
	for (i = k = 0; b != NULL && i < b->vlen && k < 8; i++)
		if (!is_fws((unsigned char)b->val[i]))
			sig->b8[k++] = b->val[i];
	if (tag(t, n, "v") == NULL || !val_is(tag(t, n, "v"), "1"))
		return errf(err, errlen, "v= missing or not 1");
	if (d == NULL || sig->domain[0] == '\0' ||
	    strpbrk(sig->domain, "()<>[]:;@\\,\"") != NULL)
		return errf(err, errlen, "d= missing or invalid");
	if (s == NULL || sig->selector[0] == '\0')
		return errf(err, errlen, "s= missing or invalid");
	return 0;
}

static int
sig_alg(struct dkimv_sig *sig, const struct dkimv_tag *t, int n, char *err,
    size_t errlen)
{
	const struct dkimv_tag	*a = tag(t, n, "a"), *c = tag(t, n, "c");

	if (a == NULL)
		return errf(err, errlen, "a= missing");
	if (val_is(a, "rsa-sha256"))
		sig->alg = ALG_RSA_SHA256;
	else if (val_is(a, "rsa-sha1"))
		sig->alg = ALG_RSA_SHA1;
	else if (val_is(a, "ed25519-sha256"))
		sig->alg = ALG_ED25519_SHA256;
	else
		return errf(err, errlen, "unknown algorithm a=%s",
		    sig->alg_name);
	if (c == NULL || val_is(c, "simple") || val_is(c, "simple/simple"))
		return 0;
	if (val_is(c, "relaxed") || val_is(c, "relaxed/simple"))
		sig->rh = 1;
	else if (val_is(c, "simple/relaxed"))
		sig->rb = 1;
	else if (val_is(c, "relaxed/relaxed"))
		sig->rh = sig->rb = 1;
	else
		return errf(err, errlen, "unknown canonicalization c=%.*s",
		    (int)(c->vlen > 40 ? 40 : c->vlen), c->val);
	return 0;
}

static int
sig_hashes(struct dkimv_sig *sig, const struct dkimv_tag *t, int n,
    char *err, size_t errlen)
{
	const struct dkimv_tag	*b = tag(t, n, "b"), *bh = tag(t, n, "bh");
	size_t			 want = sig->alg == ALG_RSA_SHA1 ? 20 : 32;

	if (b == NULL || dkimc_b64decode(b->val, b->vlen, sig->b,
	    sizeof(sig->b), &sig->blen) < 0 || sig->blen == 0)
		return errf(err, errlen, "b= missing or not base64");
	sig->b_off = b->roff;
	sig->b_len = b->rlen;
	if (bh == NULL || dkimc_b64decode(bh->val, bh->vlen, sig->bh,
	    sizeof(sig->bh), &sig->bhlen) < 0)
		return errf(err, errlen, "bh= missing or not base64");
	if (sig->bhlen != want)
		return errf(err, errlen, "bh= of %zu bytes, not %zu",
		    sig->bhlen, want);
	return 0;
}

/* h=: names NUL-separated into sig->h; must list From. */
static int
sig_h(struct dkimv_sig *sig, const struct dkimv_tag *t, int n, char *err,
    size_t errlen)
{
	const struct dkimv_tag	*h = tag(t, n, "h");
	size_t			 i, k = 0, len = 0;
	int			 from = 0;

	if (h == NULL || h->vlen == 0)
		return errf(err, errlen, "h= missing");
	if ((sig->h = malloc(h->vlen + 1)) == NULL)
		return errf(err, errlen, "out of memory");
	for (i = 0; i <= h->vlen; i++) {
		if (i < h->vlen && is_fws((unsigned char)h->val[i]))
			continue;
		if (i < h->vlen && h->val[i] != ':') {
			sig->h[k++] = h->val[i];
			len++;
			continue;
		}
		if (len == 0)
			return errf(err, errlen, "empty name in h=");
		from |= len == 4 && strncasecmp(sig->h + k - 4, "from", 4) == 0;
		sig->h[k++] = '\0';
		sig->nh++;
		len = 0;
	}
	if (!from)
		return errf(err, errlen, "h= does not list From");
	return 0;
}

/* i= at d= or below it. */
static int
sig_auid(struct dkimv_sig *sig, const struct dkimv_tag *t, int n,
    char *err, size_t errlen)
{
	const struct dkimv_tag	*i = tag(t, n, "i");
	const char		*at, *dom;
	size_t			 dl, dd = strlen(sig->domain);

	if (i == NULL)
		return 0;
	if (val_copy(i, sig->auid, sizeof(sig->auid)) < 0)
		return errf(err, errlen, "i= too long");
	if ((at = strrchr(sig->auid, '@')) == NULL)
		return errf(err, errlen, "i= without '@'");
	dom = at + 1;
	dl = strlen(dom);
	if (dl < dd || strcasecmp(dom + dl - dd, sig->domain) != 0 ||
	    (dl > dd && dom[dl - dd - 1] != '.'))
		return errf(err, errlen, "i= domain %s outside d=%s", dom,
		    sig->domain);
	return 0;
}

static int
sig_times(struct dkimv_sig *sig, const struct dkimv_tag *t, int n,
    char *err, size_t errlen)
{
	const struct dkimv_tag	*l = tag(t, n, "l"), *q = tag(t, n, "q");
	const struct dkimv_tag	*ts = tag(t, n, "t"), *x = tag(t, n, "x");

	sig->l = sig->t = sig->x = -1;
	if (l != NULL && (sig->l = val_num(l)) < 0)
		return errf(err, errlen, "l= not a number");
	if (ts != NULL && (sig->t = val_num(ts)) < 0)
		return errf(err, errlen, "t= not a number");
	if (x != NULL && (sig->x = val_num(x)) < 0)
		return errf(err, errlen, "x= not a number");
	if (sig->x >= 0 && sig->t >= 0 && sig->x < sig->t)
		return errf(err, errlen, "x= before t=");
	if (q != NULL && !in_list(q, "dns/txt"))
		return errf(err, errlen, "q= without dns/txt");
	return 0;
}

int
dkimv_sig_parse(struct dkimv_sig *sig, const char *v, size_t len, char *err,
    size_t errlen)
{
	struct dkimv_tag	 t[SIG_TAGS];
	int			 n;

	sig->l = sig->t = sig->x = -1;
	if ((n = dkimv_tags(v, len, t, SIG_TAGS, err, errlen)) < 0)
		return -1;
	if (sig_ids(sig, t, n, err, errlen) < 0 ||
	    sig_alg(sig, t, n, err, errlen) < 0 ||
	    sig_hashes(sig, t, n, err, errlen) < 0 ||
	    sig_h(sig, t, n, err, errlen) < 0 ||
	    sig_auid(sig, t, n, err, errlen) < 0 ||
	    sig_times(sig, t, n, err, errlen) < 0)
		return -1;
	return 0;
}

/* ---- key record ----------------------------------------------------- */

static int
key_flags(struct dkimv_key *key, const struct dkimv_tag *t, int n,
    char *err, size_t errlen)
{
	const struct dkimv_tag	*k = tag(t, n, "k"), *h = tag(t, n, "h");
	const struct dkimv_tag	*s = tag(t, n, "s"), *f = tag(t, n, "t");

	key->ktype = KT_RSA;
	if (k != NULL && val_is(k, "ed25519"))
		key->ktype = KT_ED25519;
	else if (k != NULL && !val_is(k, "rsa"))
		return errf(err, errlen, "unknown key type k=%.*s",
		    (int)(k->vlen > 20 ? 20 : k->vlen), k->val);
	key->sha1 = key->sha256 = 1;
	if (h != NULL) {
		key->sha1 = in_list(h, "sha1");
		key->sha256 = in_list(h, "sha256");
	}
	if (s != NULL && !in_list(s, "email") && !in_list(s, "*"))
		return errf(err, errlen, "key service type s= excludes email");
	if (f != NULL) {
		key->testing = in_list(f, "y");
		key->strict = in_list(f, "s");
	}
	return 0;
}

int
dkimv_key_parse(struct dkimv_key *key, const char *txt, char *err,
    size_t errlen)
{
	struct dkimv_tag	 t[KEY_TAGS];
	const struct dkimv_tag	*v, *p;
	size_t			 len = strlen(txt);
	int			 n, dkim1;

	memset(key, 0, sizeof(*key));
	dkim1 = strncmp(txt + skip_fws(txt, 0, len), "v=DKIM1", 7) == 0;
	if ((n = dkimv_tags(txt, len, t, KEY_TAGS, err, errlen)) < 0)
		return dkim1 ? -1 : 0;
	v = tag(t, n, "v");
	p = tag(t, n, "p");
	if (p == NULL && !(v != NULL && val_is(v, "DKIM1")))
		return 0;
	if (v != NULL && v != &t[0])
		return errf(err, errlen, "v= is not the first tag");
	if (v != NULL && !val_is(v, "DKIM1"))
		return errf(err, errlen, "v= is not DKIM1");
	if (p == NULL)
		return errf(err, errlen, "no p= tag");
	if (key_flags(key, t, n, err, errlen) < 0)
		return -1;
	if (dkimc_b64decode(p->val, p->vlen, key->der, sizeof(key->der),
	    &key->derlen) < 0)
		return errf(err, errlen, "p= is not base64 (or too long)");
	return 1;
}
