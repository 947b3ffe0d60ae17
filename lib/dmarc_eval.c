/*
 * dmarc_eval -- the DMARC result of a received message (lib/dmarc.h,
 * "Evaluation of received mail"): the author domain from the From
 * fields, then the DKIM and SPF results aligned with it under the policy
 * found for it.
 *
 * Decision order in dmarc_evaluate:
 *   no record governs the From domain       none (nothing is aligned)
 *   an aligned DKIM pass or SPF pass         pass
 *   a DNS error while aligning               -1 (caller: temperror)
 *   an aligned DKIM or SPF temperror         temperror
 *   else                                     fail, with the policy
 * A DNS error while aligning one identifier does not hide a pass found
 * through another: pass needs only one aligned pass.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkimverify.h"
#include "dmarc.h"
#include "errf.h"
#include "mailaddr.h"
#include "rfc5322.h"
#include "spfhelper.h"

#define LIST_DOMAINS	3	/* domains named in a multi-domain error */

/* ---- the author domain ------------------------------------------------ */

/* The distinct normalised domains of a, at most LIST_DOMAINS + 1. */
static int
author_domains(const struct rfc5322_addrs *a, char d[][MAILDOMAIN_MAX + 1],
    size_t *nd, char *why, size_t whylen)
{
	char	 norm[MAILDOMAIN_MAX + 1], e[200];
	size_t	 i, k;

	*nd = 0;
	for (i = 0; i < a->n; i++) {
		if (a->v[i].domain[0] == '[')
			return errf(why, whylen, "From address has no domain "
			    "name (address literal %.64s)", a->v[i].domain);
		if (mailaddr_domain_norm(a->v[i].domain, norm, sizeof(norm),
		    e, sizeof(e)) < 0)
			return errf(why, whylen, "From domain '%.64s' is not "
			    "valid: %s", a->v[i].domain, e);
		for (k = 0; k < *nd && strcmp(d[k], norm) != 0; k++)
			;
		if (k == *nd && *nd <= LIST_DOMAINS)
			memcpy(d[(*nd)++], norm, sizeof(norm));
	}
	return 0;
}

static int
many_domains(char d[][MAILDOMAIN_MAX + 1], size_t nd, char *why,
    size_t whylen)
{
	char	 list[4 * (MAILDOMAIN_MAX + 2) + 8] = "";
	size_t	 i;

	for (i = 0; i < nd && i < LIST_DOMAINS; i++) {
		if (i > 0)
			strcat(list, ", ");
		strcat(list, d[i]);
	}
	if (nd > LIST_DOMAINS)
		strcat(list, ", ...");
	return errf(why, whylen, "From has addresses in %s%zu domains (%s)",
	    nd > LIST_DOMAINS ? "more than " : "", nd > LIST_DOMAINS ?
	    (size_t)LIST_DOMAINS : nd, list);
}

int
dmarc_author_domain(const char *const *values, size_t n, char *out,
    size_t outlen, char *why, size_t whylen)
{
	struct rfc5322_addrs	 a = { 0, NULL, NULL };
	char			 d[LIST_DOMAINS + 1][MAILDOMAIN_MAX + 1];
	char			 e[256];
	size_t			 nd;
	int			 rc;

	if (outlen > 0)
		out[0] = '\0';
	if (n == 0 || values == NULL)
		return errf(why, whylen, "no From field");
	if (n > 1)
		return errf(why, whylen, "%zu From fields", n);
	if (values[0] == NULL)
		return errf(why, whylen, "no From field");
	if (rfc5322_parse_addresses(values[0], strlen(values[0]), &a, e,
	    sizeof(e)) < 0) {
		if (strchr(values[0], '@') == NULL && strcmp(e, "no address "
		    "in value") != 0)
			return errf(why, whylen, "From address has no domain "
			    "(%s)", e);
		return errf(why, whylen, "From cannot be parsed: %s", e);
	}
	if (a.n == 0)
		rc = errf(why, whylen, "From has no address");
	else if ((rc = author_domains(&a, d, &nd, why, whylen)) == 0) {
		if (nd > 1)
			rc = many_domains(d, nd, why, whylen);
		else if ((size_t)snprintf(out, outlen, "%s", d[0]) >= outlen)
			rc = errf(why, whylen, "From domain longer than the "
			    "buffer");
	}
	rfc5322_addrs_free(&a);
	return rc;
}

/* ---- evaluation ------------------------------------------------------- */

/* Names of the statuses met here (no link to the DKIM verifier). */
static const char *
dkim_name(int s)
{
	static const char *const n[] = { "pass", "fail", "policy", "neutral",
	    "temperror", "permerror" };

	return s >= 0 && s < (int)(sizeof(n) / sizeof(n[0])) ? n[s] : "?";
}

static const char *
spf_name(int s)
{
	static const char *const n[] = { "none", "neutral", "pass", "fail",
	    "softfail", "temperror", "permerror" };

	return s >= 0 && s < (int)(sizeof(n) / sizeof(n[0])) ? n[s] : "?";
}

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

static void __attribute__((format(printf, 2, 3)))
reason(struct dmarc_eval *out, const char *fmt, ...)
{
	size_t	 used = strlen(out->reason);
	va_list	 ap;

	if (used + 1 >= sizeof(out->reason))
		return;
	va_start(ap, fmt);
	vsnprintf(out->reason + used, sizeof(out->reason) - used, fmt, ap);
	va_end(ap);
}

/* What one evaluation found out, beside struct dmarc_eval. */
struct judge {
	const struct dmarc_env		*env;
	const struct dmarc_eval_in	*in;
	int				 tempfail;	/* aligned temperror */
	int				 dnserr;	/* aligning failed */
	char				 err[256];	/* its text */
	int				 dkim_al[DKIMV_SIGS_MAX];
	int				 spf_al;	/* -1 not judged */
};

/* Alignment of one identifier with the From domain: 1, 0, -1 (noted). */
static int
align(struct judge *j, const char *id, int strict)
{
	const struct dmarc_lookup	*pol = j->in->policy;
	char				 e[256];
	int				 rc;

	rc = dmarc_aligned_org(j->env, j->in->from_domain, pol->org_domain,
	    id, strict, e, sizeof(e));
	if (rc < 0 && !j->dnserr) {
		j->dnserr = 1;
		snprintf(j->err, sizeof(j->err), "%s", e);
	}
	return rc;
}

/* Each signature that could matter (pass, temperror) is aligned. */
static void
judge_dkim(struct judge *j, struct dmarc_eval *out)
{
	const struct dmarc_eval_in	*in = j->in;
	size_t				 i;
	int				 st;

	for (i = 0; i < in->ndkim && i < DKIMV_SIGS_MAX; i++) {
		st = in->dkim[i].status;
		j->dkim_al[i] = -1;
		if (empty(in->dkim[i].domain) || (st != DKIMV_PASS &&
		    st != DKIMV_TEMPERROR))
			continue;
		j->dkim_al[i] = align(j, in->dkim[i].domain,
		    in->policy->rec.adkim_strict);
		if (j->dkim_al[i] != 1)
			continue;
		if (st == DKIMV_TEMPERROR)
			j->tempfail = 1;
		else if (!out->dkim_aligned) {
			out->dkim_aligned = 1;
			snprintf(out->dkim_domain, sizeof(out->dkim_domain),
			    "%s", in->dkim[i].domain);
		}
	}
}

static void
judge_spf(struct judge *j, struct dmarc_eval *out)
{
	const struct dmarc_eval_in	*in = j->in;

	j->spf_al = -1;
	if (empty(in->spf_domain) || (in->spf != SPFR_PASS &&
	    in->spf != SPFR_TEMPERROR))
		return;
	j->spf_al = align(j, in->spf_domain, in->policy->rec.aspf_strict);
	if (j->spf_al == 1 && in->spf == SPFR_PASS)
		out->spf_aligned = 1;
	else if (j->spf_al == 1)
		j->tempfail = 1;
}

/* "no aligned DKIM pass (d=a not aligned, d=b fail), SPF fail for c" */
static void
why_not(const struct judge *j, struct dmarc_eval *out)
{
	const struct dmarc_eval_in	*in = j->in;
	size_t				 i;

	if (in->ndkim == 0)
		reason(out, "no DKIM signature");
	else
		reason(out, "no aligned DKIM pass (");
	for (i = 0; i < in->ndkim && i < DKIMV_SIGS_MAX; i++) {
		reason(out, "%sd=%s ", i > 0 ? ", " : "",
		    empty(in->dkim[i].domain) ? "?" : in->dkim[i].domain);
		if (in->dkim[i].status == DKIMV_PASS && j->dkim_al[i] == 0)
			reason(out, "not aligned");
		else
			reason(out, "%s", dkim_name(in->dkim[i].status));
	}
	if (in->ndkim > DKIMV_SIGS_MAX)
		reason(out, ", ...");
	if (in->ndkim > 0)
		reason(out, ")");
	if (empty(in->spf_domain))
		reason(out, ", no SPF identity");
	else
		reason(out, ", SPF %s for %s%s", spf_name(in->spf),
		    in->spf_domain, j->spf_al == 0 ? " not aligned" : "");
}

/* The tag the applied value comes from: sp falls back to p. */
static int
policy_tag(const struct dmarc_lookup *pol)
{
	if (pol->which == DMARC_USE_SP && pol->rec.sp < 0)
		return DMARC_USE_P;
	return pol->which;
}

static void
verdict(const struct judge *j, struct dmarc_eval *out)
{
	const struct dmarc_eval_in	*in = j->in;
	const struct dmarc_lookup	*pol = in->policy;

	if (out->dkim_aligned) {
		out->result = DMARC_R_PASS;
		reason(out, "aligned DKIM pass (d=%s)", out->dkim_domain);
	} else if (out->spf_aligned) {
		out->result = DMARC_R_PASS;
		reason(out, "aligned SPF pass (%s)", in->spf_domain);
	} else if (j->tempfail) {
		out->result = DMARC_R_TEMPERROR;
		reason(out, "DNS failure on an aligned identifier: ");
		why_not(j, out);
	} else {
		out->result = DMARC_R_FAIL;
		out->policy = pol->policy;
		out->which = policy_tag(pol);
		out->enforce = pol->rec.testing ? DMARC_NONE : pol->effective;
		why_not(j, out);
		if (pol->rec.testing)
			reason(out, " (t=y: not enforced)");
	}
}

int
dmarc_evaluate(const struct dmarc_env *env, const struct dmarc_eval_in *in,
    struct dmarc_eval *out, char *err, size_t errlen)
{
	struct judge	 j;

	memset(out, 0, sizeof(*out));
	out->result = DMARC_R_NONE;
	out->policy = out->enforce = DMARC_NONE;
	out->which = DMARC_USE_P;
	if (in == NULL || empty(in->from_domain) || in->policy == NULL ||
	    (in->ndkim > 0 && in->dkim == NULL))
		return errf(err, errlen, "dmarc_evaluate: no From domain, "
		    "policy lookup or signatures");
	if (!in->policy->found) {
		reason(out, "no DMARC record governs %s", in->from_domain);
		return 0;
	}
	memset(&j, 0, sizeof(j));
	j.env = env;
	j.in = in;
	judge_dkim(&j, out);
	judge_spf(&j, out);
	if (!out->dkim_aligned && !out->spf_aligned && j.dnserr) {
		out->result = DMARC_R_TEMPERROR;
		reason(out, "DNS error while aligning: %s", j.err);
		return errf(err, errlen, "%s", j.err);
	}
	verdict(&j, out);
	return 0;
}

const char *
dmarc_result_name(int r)
{
	switch (r) {
	case DMARC_R_NONE:	return "none";
	case DMARC_R_PASS:	return "pass";
	case DMARC_R_FAIL:	return "fail";
	case DMARC_R_TEMPERROR:	return "temperror";
	case DMARC_R_PERMERROR:	return "permerror";
	default:		return "?";
	}
}
