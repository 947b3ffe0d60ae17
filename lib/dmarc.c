/*
 * dmarc -- policy discovery, the organisational domain and alignment of
 * lib/dmarc.h.  The record parser is in dmarc_record.c, the prediction in
 * dmarc_predict.c.
 *
 * One walk serves both questions of discovery, since RFC 9989 asks them
 * along the same names: the policy record is the first record met, the
 * organisational domain is decided by psd= further up.  The walk is a
 * list of at most DMARC_WALK_MAX names, all pointers into the domain
 * being looked up, queried in order until both answers are known.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "dmarc.h"
#include "errf.h"
#include "psl.h"

struct walk {
	const struct dmarc_env	*env;
	const char		*domain;
	const char		*names[DMARC_WALK_MAX];
	int			 n;
	int			 queries;
	int			 policy_at;	/* index of the record, or -1 */
	struct dmarc_record	*rec;		/* where it goes; NULL: unused */
	const char		*org;		/* into domain, NULL unknown */
	char			*note;		/* DMARC_NOTE_MAX, or NULL */
};

static int
count_labels(const char *s)
{
	int	 n = 1;

	for (; *s != '\0'; s++)
		n += *s == '.';
	return n;
}

/* The last k labels of d (k >= 1, at most the labels of d). */
static const char *
last_labels(const char *d, int k)
{
	int	 skip = count_labels(d) - k;

	for (; skip > 0; d++)
		if (*d == '.')
			skip--;
	return d;
}

/* A name fit for a query: labels of 1..63 bytes, 253 at most; 0 / -1. */
static int
check_domain(const char *d, char *err, size_t errlen)
{
	size_t	 n = strlen(d), lab = 0, i;

	if (n == 0 || n > DMARC_NAME_MAX - 1)
		return errf(err, errlen, "bad domain: %s", n ? "too long" :
		    "empty");
	for (i = 0; i <= n; i++) {
		if (d[i] == '.' || d[i] == '\0') {
			if (lab == 0 || lab > 63)
				return errf(err, errlen, "bad domain '%.*s': "
				    "empty or long label", (int)n, d);
			lab = 0;
		} else if ((unsigned char)d[i] <= 0x20 ||
		    (unsigned char)d[i] >= 0x7f)
			return errf(err, errlen, "bad domain: byte 0x%02x",
			    (unsigned char)d[i]);
		else
			lab++;
	}
	return 0;
}

static void
note_add(char *note, const char *fmt, const char *name)
{
	size_t	 used;

	if (note == NULL)
		return;
	used = strlen(note);
	if (used > 0 && used + 3 < DMARC_NOTE_MAX) {
		memcpy(note + used, "; ", 3);
		used += 2;
	}
	if (used + 1 < DMARC_NOTE_MAX)
		snprintf(note + used, DMARC_NOTE_MAX - used, fmt, name);
}

/* The single valid DMARC record among TXT strings; 1 found, 0 none. */
static int
pick_record(struct strlist *txt, const char *name, struct dmarc_record *rec,
    char *note)
{
	size_t	 i, ndmarc = 0, which = 0;

	for (i = 0; i < txt->n; i++)
		if (dmarc_record_is_dmarc(txt->v[i])) {
			ndmarc++;
			which = i;
		}
	if (ndmarc == 0)
		return 0;
	if (ndmarc > 1) {
		note_add(note, "several DMARC records at _dmarc.%s: none used",
		    name);
		return 0;
	}
	if (dmarc_record_parse(txt->v[which], rec, NULL, 0) < 0) {
		note_add(note, "invalid DMARC record at _dmarc.%s: not used",
		    name);
		return 0;
	}
	return 1;
}

/* Query _dmarc.<names[i]>: 1 with *rec, 0 no usable record, -1 error. */
static int
query(struct walk *w, int i, struct dmarc_record *rec, char *err,
    size_t errlen)
{
	struct strlist	 txt = { 0, NULL };
	char		 qname[DMARC_NAME_MAX + 8], e[200] = "";
	int		 st, rc;

	snprintf(qname, sizeof(qname), "_dmarc.%s", w->names[i]);
	w->queries++;
	st = w->env->txt(w->env->arg, qname, &txt, e, sizeof(e));
	switch (st) {
	case DNS_OK:
		rc = pick_record(&txt, w->names[i], rec, w->note);
		strlist_free(&txt);
		return rc;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		strlist_free(&txt);
		return 0;
	default:
		strlist_free(&txt);
		return errf(err, errlen, "DNS error looking up %s TXT: %s",
		    qname, e[0] != '\0' ? e : "lookup failed");
	}
}

/* The names of the RFC 9989 walk from w->domain. */
static void
walk_names(struct walk *w)
{
	int	 labels = count_labels(w->domain), k;

	w->n = 0;
	w->names[w->n++] = w->domain;
	k = labels >= DMARC_WALK_MAX ? DMARC_WALK_MAX - 1 : labels - 1;
	for (; k >= 1; k--)
		w->names[w->n++] = last_labels(w->domain, k);
}

/* Org domain when psd=y is published at names[i]. */
static const char *
below_psd(const struct walk *w, int i)
{
	if (i == 0)
		return w->domain;
	return last_labels(w->domain, count_labels(w->names[i]) + 1);
}

static int
treewalk(struct walk *w, char *err, size_t errlen)
{
	struct dmarc_record	 rec, *r;
	const char		*shortest = NULL;
	int			 i, rc;

	walk_names(w);
	for (i = 0; i < w->n && w->org == NULL; i++) {
		r = w->rec != NULL && w->policy_at < 0 ? w->rec : &rec;
		if ((rc = query(w, i, r, err, errlen)) < 0)
			return -1;
		if (rc == 0)
			continue;
		if (w->policy_at < 0)
			w->policy_at = i;
		if (r->psd == DMARC_PSD_N)
			w->org = w->names[i];
		else if (r->psd == DMARC_PSD_Y)
			w->org = below_psd(w, i);
		else
			shortest = w->names[i];
	}
	if (w->org == NULL)
		w->org = shortest != NULL ? shortest : w->domain;
	return 0;
}

/* RFC 7489: the list decides the org domain; records at domain, then org. */
static int
pslwalk(struct walk *w, int want_policy, char *err, size_t errlen)
{
	struct dmarc_record	 rec;
	int			 rc;

	if (w->env->psl == NULL)
		return errf(err, errlen, "no public suffix list loaded");
	w->org = psl_org_domain(w->env->psl, w->domain);
	if (!want_policy)
		return 0;
	w->n = 0;
	w->names[w->n++] = w->domain;
	if (w->org != w->domain)
		w->names[w->n++] = w->org;
	for (int i = 0; i < w->n; i++) {
		rc = query(w, i, w->rec != NULL ? w->rec : &rec, err, errlen);
		if (rc < 0)
			return -1;
		if (rc > 0) {
			w->policy_at = i;
			break;
		}
	}
	return 0;
}

static int
walk(struct walk *w, int want_policy, char *err, size_t errlen)
{
	if (check_domain(w->domain, err, errlen) < 0)
		return -1;
	if (w->env == NULL || (w->env->org_mode != ORG_TREEWALK &&
	    w->env->org_mode != ORG_PSL))
		return errf(err, errlen, "dmarc: no organisational domain mode");
	if (w->env->txt == NULL && (w->env->org_mode == ORG_TREEWALK ||
	    want_policy))
		return errf(err, errlen, "dmarc: no TXT lookup");
	if (w->env->org_mode == ORG_PSL)
		return pslwalk(w, want_policy, err, errlen);
	return treewalk(w, err, errlen);
}

int
dmarc_org_domain(const struct dmarc_env *env, const char *domain, char *out,
    size_t outlen, char *err, size_t errlen)
{
	struct walk	 w;

	memset(&w, 0, sizeof(w));
	w.env = env;
	w.domain = domain;
	w.policy_at = -1;
	if (walk(&w, 0, err, errlen) < 0)
		return -1;
	if ((size_t)snprintf(out, outlen, "%s", w.org) >= outlen)
		return errf(err, errlen, "organisational domain too long");
	return 0;
}

/* p, sp or np for the From domain, once the record is known. */
static int
choose_policy(const struct dmarc_env *env, const char *domain,
    struct dmarc_lookup *res, int at_domain, char *err, size_t errlen)
{
	const struct dmarc_record	*r = &res->rec;
	char				 e[200] = "";
	int				 st;

	res->exists = -1;
	res->which = DMARC_USE_P;
	res->policy = r->p;
	if (!at_domain) {
		res->which = DMARC_USE_SP;
		res->policy = r->sp >= 0 ? r->sp : r->p;
		if (r->np >= 0 && r->np != res->policy && env->exists != NULL) {
			st = env->exists(env->arg, domain, e, sizeof(e));
			if (st == DNS_ERROR || st < DNS_OK || st > DNS_ERROR)
				return errf(err, errlen, "DNS error checking "
				    "whether %s exists: %s", domain,
				    e[0] != '\0' ? e : "lookup failed");
			res->exists = st != DNS_NXDOMAIN;
			if (!res->exists) {
				res->which = DMARC_USE_NP;
				res->policy = r->np;
			}
		}
	}
	res->effective = res->policy;
	if (r->testing && res->effective > DMARC_NONE)
		res->effective--;
	return 0;
}

int
dmarc_policy_lookup(const struct dmarc_env *env, const char *domain,
    struct dmarc_lookup *res, char *err, size_t errlen)
{
	struct walk	 w;

	memset(res, 0, sizeof(*res));
	res->exists = -1;
	memset(&w, 0, sizeof(w));
	w.env = env;
	w.domain = domain;
	w.policy_at = -1;
	w.rec = &res->rec;
	w.note = res->note;
	if (walk(&w, 1, err, errlen) < 0) {
		res->queries = w.queries;
		return -1;
	}
	res->queries = w.queries;
	snprintf(res->org_domain, sizeof(res->org_domain), "%s", w.org);
	if (w.policy_at < 0) {
		memset(&res->rec, 0, sizeof(res->rec));
		return 0;
	}
	res->found = 1;
	snprintf(res->record_domain, sizeof(res->record_domain), "%s",
	    w.names[w.policy_at]);
	return choose_policy(env, domain, res, w.policy_at == 0, err, errlen);
}

/* Whether sub is dom or a name under it. */
static int
is_under(const char *sub, const char *dom)
{
	size_t	 ls = strlen(sub), ld = strlen(dom);

	if (ls == ld)
		return strcasecmp(sub, dom) == 0;
	return ls > ld && sub[ls - ld - 1] == '.' &&
	    strcasecmp(sub + ls - ld, dom) == 0;
}

/* Whether a and b end in the same label (a common ancestor exists). */
static int
same_tld(const char *a, const char *b)
{
	const char	*ta = strrchr(a, '.'), *tb = strrchr(b, '.');

	return strcasecmp(ta != NULL ? ta + 1 : a, tb != NULL ? tb + 1 : b) == 0;
}

/*
 * Alignment of other with a domain whose organisational domain is known
 * (a_org): 1, 0, -1.  The org domain of a name is the name or one of its
 * ancestors, so other can share a_org only when it lies under it.
 */
int
dmarc_aligned_org(const struct dmarc_env *env, const char *a,
    const char *a_org, const char *other, int strict, char *err,
    size_t errlen)
{
	char	 o_org[DMARC_NAME_MAX];

	if (strcasecmp(a, other) == 0)
		return 1;
	if (strict || !is_under(other, a_org))
		return 0;
	if (dmarc_org_domain(env, other, o_org, sizeof(o_org), err,
	    errlen) < 0)
		return -1;
	return strcasecmp(o_org, a_org) == 0;
}

int
dmarc_aligned(const struct dmarc_env *env, const char *a, const char *b,
    int strict, char *err, size_t errlen)
{
	char	 a_org[DMARC_NAME_MAX];

	if (strcasecmp(a, b) == 0)
		return 1;
	if (strict || !same_tld(a, b))
		return 0;
	if (dmarc_org_domain(env, a, a_org, sizeof(a_org), err, errlen) < 0)
		return -1;
	return dmarc_aligned_org(env, a, a_org, b, 0, err, errlen);
}
