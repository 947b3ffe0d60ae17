/*
 * dkimverify -- DKIM verification of every signature of a message; the
 * interface and its contracts are in dkimverify.h.  Layout: the header
 * block (raw fields kept in one arena, canonicalised on demand), the
 * entries (one per DKIM-Signature field), body hashers per distinct
 * (canonicalisation, l=), the result accessors.  The decision of each
 * signature (key lookup, body hash, header hash) is dkimverify_decide.c,
 * the crypto dkimverify_crypto.c, tag parsing dkimverify_tags.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dkimcanon.h"
#include "dkimverify.h"
#include "dkimverify_int.h"

int
dkimv_grow(void **p, size_t *cap, size_t need, size_t size)
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

static size_t
name_len(const char *n, size_t len)
{
	while (len > 0 && (n[len - 1] == ' ' || n[len - 1] == '\t'))
		len--;
	return len;
}

struct dkimv *
dkimv_new(size_t max)
{
	struct dkimv	*v;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	if (max < 1)
		max = 1;
	v->max = max > DKIMV_SIGS_MAX ? DKIMV_SIGS_MAX : max;
	return v;
}

void
dkimv_entry_clear(struct dkimv_entry *e)
{
	if (e->sig != NULL)
		free(e->sig->h);
	free(e->sig);
	e->sig = NULL;
	if (e->ks_own && e->ks != NULL) {
		EVP_PKEY_free(e->ks->key.pkey);
		free(e->ks);
	}
	e->ks = NULL;
}

struct dkimv *
dkimv_free(struct dkimv *v)
{
	size_t	 i;

	if (v == NULL)
		return NULL;
	for (i = 0; i < v->ne; i++)
		dkimv_entry_clear(&v->e[i]);
	for (i = 0; i < v->nbh; i++)
		dkimc_body_free(v->bh[i].b);
	free(v->e);
	free(v->f);
	free(v->arena);
	free(v->scratch);
	free(v);
	return NULL;
}

/* ---- entries -------------------------------------------------------- */

/* The hasher for (rb, l), made when new; -1 when out of memory. */
static long
hasher(struct dkimv *v, int rb, long long l)
{
	size_t	 i;

	for (i = 0; i < v->nbh; i++)
		if (v->bh[i].rb == rb && v->bh[i].l == l)
			return (long)i;
	if ((v->bh[i].b = dkimc_body_new(rb, l)) == NULL)
		return -1;
	v->bh[i].rb = rb;
	v->bh[i].l = l;
	v->nbh++;
	return (long)i;
}

static void
result_ids(struct dkimv_result *r, const struct dkimv_sig *s)
{
	snprintf(r->domain, sizeof(r->domain), "%s", s->domain);
	snprintf(r->selector, sizeof(r->selector), "%s", s->selector);
	snprintf(r->alg, sizeof(r->alg), "%s", s->alg_name);
	snprintf(r->b8, sizeof(r->b8), "%s", s->b8);
	snprintf(r->auid, sizeof(r->auid), "%s", s->auid);
}

/* Parse the field into e; keep its sig when it is to be verified. */
static int
entry_parse(struct dkimv *v, struct dkimv_entry *e, const char *value,
    size_t vlen)
{
	struct dkimv_sig	*s;
	char			 err[200];
	long			 bhi;

	if (vlen > DKIMV_SIG_BYTES) {
		e->r.verified = 0;
		e->r.status = DKIMV_PERMERROR;
		snprintf(e->r.why, sizeof(e->r.why), "DKIM-Signature field "
		    "longer than %u bytes", DKIMV_SIG_BYTES);
		return 0;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return -1;
	e->sig = s;
	if (dkimv_sig_parse(s, value, vlen, err, sizeof(err)) < 0) {
		result_ids(&e->r, s);
		e->r.verified = 0;
		e->r.status = DKIMV_PERMERROR;
		snprintf(e->r.why, sizeof(e->r.why), "malformed signature: %s",
		    err);
		dkimv_entry_clear(e);
		return strcmp(err, "out of memory") == 0 ? -1 : 0;
	}
	result_ids(&e->r, s);
	if (v->nverify == v->max) {
		e->r.verified = 0;
		e->r.status = DKIMV_POLICY;
		snprintf(e->r.why, sizeof(e->r.why), "not checked: more than "
		    "%zu signatures", v->max);
		dkimv_entry_clear(e);
		return 0;
	}
	if ((bhi = hasher(v, s->rb, s->l)) < 0)
		return -1;
	e->bhi = (size_t)bhi;
	e->r.verified = 1;
	e->r.status = -1;	/* pending */
	v->nverify++;
	return 0;
}

static int
add_entry(struct dkimv *v, size_t field, const char *value, size_t vlen)
{
	struct dkimv_entry	*e;

	if (dkimv_grow((void **)&v->e, &v->ecap, v->ne + 1, sizeof(*e)) < 0)
		return -1;
	e = &v->e[v->ne++];
	memset(e, 0, sizeof(*e));
	e->field = field;
	e->r.verified = 1;
	if (entry_parse(v, e, value, vlen) < 0) {
		dkimv_entry_clear(e);
		v->ne--;
		return -1;
	}
	return 0;
}

int
dkimv_header(struct dkimv *v, const char *name, const char *value)
{
	size_t		 nlen = strlen(name), vlen = strlen(value), cost;
	struct dkimv_field	*h;

	if (v->body_started)
		return -1;
	cost = nlen + vlen + 2 + sizeof(*h);
	if (!v->overflow && cost > DKIMV_HEADER_BYTES - v->bytes)
		v->overflow = 1;
	if (!v->overflow) {
		if (dkimv_grow((void **)&v->arena, &v->acap, v->alen + nlen + vlen +
		    2, 1) < 0 ||
		    dkimv_grow((void **)&v->f, &v->fcap, v->nf + 1, sizeof(*h)) < 0)
			return -1;
		h = &v->f[v->nf++];
		h->noff = v->alen;
		h->nlen = nlen;
		memcpy(v->arena + v->alen, name, nlen + 1);
		h->voff = v->alen + nlen + 1;
		h->vlen = vlen;
		memcpy(v->arena + h->voff, value, vlen + 1);
		v->alen += nlen + vlen + 2;
		v->bytes += cost;
	}
	if (name_len(name, nlen) != 14 ||
	    strncasecmp(name, "DKIM-Signature", 14) != 0)
		return 0;
	return add_entry(v, v->nf - 1, value, vlen);
}

/* ---- body ----------------------------------------------------------- */

int
dkimv_body(struct dkimv *v, const unsigned char *buf, size_t len)
{
	size_t	 i;

	if (v->body_done || v->failed)
		return -1;
	v->body_started = 1;
	for (i = 0; i < v->nbh; i++)
		if (dkimc_body_update(v->bh[i].b, buf, len) < 0)
			v->failed = 1;
	return v->failed ? -1 : 0;
}

int
dkimv_finish_body(struct dkimv *v)
{
	size_t	 i;

	if (v->body_done || v->failed)
		return -1;
	v->body_started = v->body_done = 1;
	for (i = 0; i < v->nbh; i++) {
		if (dkimc_body_finish(v->bh[i].b, v->bh[i].d) < 0)
			v->failed = 1;
		v->bh[i].len = dkimc_body_length(v->bh[i].b);
	}
	return v->failed ? -1 : 0;
}

/* ---- results -------------------------------------------------------- */

size_t
dkimv_count(const struct dkimv *v)
{
	return v->ne;
}

const struct dkimv_result *
dkimv_result(const struct dkimv *v, size_t i)
{
	return i < v->ne ? &v->e[i].r : NULL;
}

const char *
dkimv_status_name(int status)
{
	static const char *const names[] = { "pass", "fail", "policy",
	    "neutral", "temperror", "permerror" };

	if (status < 0 || status > DKIMV_PERMERROR)
		return "none";
	return names[status];
}
