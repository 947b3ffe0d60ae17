/*
 * dmarc_predict -- the verdict a receiver will reach for a message we are
 * about to send (lib/dmarc.h, dmarc_predict): DKIM by the d= we sign with,
 * SPF by the envelope domain and what its SPF record says of our relay
 * addresses, both aligned with the From domain under the policy found.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dmarc.h"
#include "errf.h"

static int
empty(const char *s)
{
	return s == NULL || *s == '\0';
}

static void __attribute__((format(printf, 2, 3)))
reason(struct dmarc_prediction *out, const char *fmt, ...)
{
	size_t	 used = strlen(out->reason);
	va_list	 ap;

	if (used + 1 >= sizeof(out->reason))
		return;
	va_start(ap, fmt);
	vsnprintf(out->reason + used, sizeof(out->reason) - used, fmt, ap);
	va_end(ap);
}

/* The tag the applied value was read from (sp falls back to p). */
static const char *
tag_name(const struct dmarc_lookup *pol)
{
	if (pol->which == DMARC_USE_NP)
		return "np";
	if (pol->which == DMARC_USE_SP && pol->rec.sp >= 0)
		return "sp";
	return "p";
}

/* Alignment of the DKIM and SPF identifiers; 0 or -1 on a DNS error. */
static int
align_both(const struct dmarc_env *env, const struct dmarc_predict_in *in,
    struct dmarc_prediction *out, char *err, size_t errlen)
{
	const struct dmarc_lookup	*pol = in->policy;
	int				 rc;

	if (!empty(in->dkim_domain)) {
		rc = dmarc_aligned_org(env, in->from_domain, pol->org_domain,
		    in->dkim_domain, pol->rec.adkim_strict, err, errlen);
		if (rc < 0)
			return -1;
		out->dkim_aligned = rc;
	}
	if (!empty(in->envelope_domain)) {
		rc = dmarc_aligned_org(env, in->from_domain, pol->org_domain,
		    in->envelope_domain, pol->rec.aspf_strict, err, errlen);
		if (rc < 0)
			return -1;
		out->spf_aligned = rc;
	}
	return 0;
}

static void
why_dkim(const struct dmarc_predict_in *in, struct dmarc_prediction *out)
{
	if (empty(in->dkim_domain))
		reason(out, "no DKIM signature");
	else
		reason(out, "no aligned DKIM signature (signed d=%s%s)",
		    in->dkim_domain, in->policy->rec.adkim_strict ?
		    ", adkim=s" : "");
}

static void
why_spf(const struct dmarc_predict_in *in, struct dmarc_prediction *out)
{
	if (empty(in->envelope_domain))
		reason(out, "null envelope sender: judged on DKIM alone");
	else if (!out->spf_aligned)
		reason(out, "SPF not aligned (envelope domain %s%s)",
		    in->envelope_domain, in->policy->rec.aspf_strict ?
		    ", aspf=s" : "");
	else if (in->spf == DMARC_SPF_UNCHECKED)
		reason(out, "SPF not checked (envelope domain %s aligns; no "
		    "relay_addresses)", in->envelope_domain);
	else
		reason(out, "SPF of %s does not pass for the relay addresses",
		    in->envelope_domain);
}

static void
why_fail(const struct dmarc_predict_in *in, struct dmarc_prediction *out)
{
	const struct dmarc_lookup	*pol = in->policy;

	reason(out, "would fail DMARC at %s (%s=%s", in->from_domain,
	    tag_name(pol), dmarc_policy_name(pol->policy));
	if (pol->rec.testing)
		reason(out, ", t=y: %s", dmarc_policy_name(pol->effective));
	reason(out, "): ");
	why_dkim(in, out);
	reason(out, ", ");
	why_spf(in, out);
}

int
dmarc_predict(const struct dmarc_env *env, const struct dmarc_predict_in *in,
    struct dmarc_prediction *out, char *err, size_t errlen)
{
	const struct dmarc_lookup	*pol = in->policy;

	memset(out, 0, sizeof(*out));
	out->policy = DMARC_NONE;
	if (empty(in->from_domain) || pol == NULL)
		return errf(err, errlen, "dmarc_predict: no From domain or "
		    "no policy lookup");
	if (!pol->found) {
		out->pass = 1;
		reason(out, "no DMARC record governs %s: nothing to fail",
		    in->from_domain);
		return 0;
	}
	if (align_both(env, in, out, err, errlen) < 0)
		return -1;
	if (out->dkim_aligned) {
		out->pass = 1;
		reason(out, "passes DMARC at %s: aligned DKIM signature "
		    "(d=%s)", in->from_domain, in->dkim_domain);
	} else if (out->spf_aligned && in->spf == DMARC_SPF_PASS) {
		out->pass = 1;
		reason(out, "passes DMARC at %s: SPF of envelope domain %s "
		    "aligns and passes for the relay addresses",
		    in->from_domain, in->envelope_domain);
	} else {
		out->policy = pol->effective;
		why_fail(in, out);
	}
	return 0;
}
