/*
 * align -- will this outbound message pass DMARC at its receivers?  The
 * prediction of lib/dmarc (our own rules, RFC 9989) for the message as
 * we are about to sign it, and what require_alignment makes of it.
 *
 * A message passes when we sign it with a d= aligned to its From domain
 * (adkim of the domain's record), or when its envelope domain aligns
 * (aspf) and that domain's SPF gives every relay_addresses entry "pass"
 * (checked by the isolated SPF helper, only when DKIM alone does not
 * carry the message).  A null envelope sender is judged on DKIM alone.
 * Signing with d= equal to the From domain passes whatever the record
 * says, with no DNS at all: the common case costs nothing.
 *
 *   align_init(err, errlen)
 *       the DMARC environment on G.dns (main.c starts the resolver) and,
 *       for dmarc_org_domain = psl, the Public Suffix List.  0 or -1.
 *       Once, before the worker threads start.  The SPF helper is
 *       started earlier, before the privilege drop (main.c).
 *   align_judge(m, from, dkim_d, why, whylen)
 *       ALIGN_OK (go on; a predicted failure under "warn", or under
 *       "yes" at a domain whose policy is none, has been logged),
 *       ALIGN_REFUSE (why: the 550 5.7.1 text), ALIGN_TEMPFAIL (why: the
 *       451 4.4.3 text; a DNS or SPF helper failure decided the verdict
 *       and dns_error_action = tempfail).  dkim_d: the d= we will sign
 *       with, NULL when the message leaves unsigned.
 *   align_fini()
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "dmarc.h"
#include "dns.h"
#include "log.h"
#include "milter.h"
#include "spfhelper.h"

static struct dmarc_env	 env;

int
align_init(char *err, size_t errlen)
{
	if (G.conf.require_alignment == ALIGN_NO)
		return 0;
	if (G.dns == NULL) {
		snprintf(err, errlen, "no resolver started");
		return -1;
	}
	return dmarc_env_dns(&env, G.dns, G.conf.dmarc_org_domain, err,
	    errlen);
}

void
align_fini(void)
{
}

/*
 * Does the envelope domain's SPF authorise every relay address?  As a
 * receiver evaluates it: MAIL FROM postmaster@domain from that address.
 */
static int
relay_spf(const struct conf *c, const char *domain, int *res, char *err,
    size_t errlen)
{
	struct spf_verdict	 v;
	char			 from[300];
	size_t			 i;

	*res = DMARC_SPF_UNCHECKED;
	if (c->relay_addresses.n == 0 || *domain == '\0')
		return 0;
	if (G.spf == NULL) {
		snprintf(err, errlen, "the SPF helper is not running");
		return -1;
	}
	snprintf(from, sizeof(from), "postmaster@%s", domain);
	*res = DMARC_SPF_PASS;
	for (i = 0; i < c->relay_addresses.n; i++) {
		if (spfhelper_check(G.spf, c->relay_addresses.v[i], domain,
		    from, &v, err, errlen) < 0)
			return -1;
		if (v.result == SPFR_TEMPERROR) {
			snprintf(err, errlen, "SPF of %s: temperror: %.200s",
			    domain, v.explanation);
			return -1;
		}
		if (v.result != SPFR_PASS)
			*res = DMARC_SPF_NOT_PASS;
	}
	return 0;
}

static int
dns_failed(const struct mmsg *m, const char *from, const char *err,
    char *why, size_t whylen)
{
	int	 decide = m->set->conf.require_alignment == ALIGN_YES;

	if (decide && m->set->conf.dns_error_action == DNSERR_TEMPFAIL) {
		log_warn("%s: dmarc from_domain=%s: cannot predict: %s",
		    m->qid, from, err);
		snprintf(why, whylen, "cannot check the DMARC policy of %s: "
		    "%s", from, err);
		return ALIGN_TEMPFAIL;
	}
	log_warn("%s: dmarc from_domain=%s: cannot predict: %s (%s)",
	    m->qid, from, err, decide ? "dns_error_action = accept" :
	    "require_alignment = warn");
	return ALIGN_OK;
}

int
align_judge(const struct mmsg *m, const char *from, const char *dkim_d,
    char *why, size_t whylen)
{
	struct dmarc_lookup	 pol;
	struct dmarc_predict_in	 in;
	struct dmarc_prediction	 out;
	char			 err[512];
	int			 spf;

	if (m->set->conf.require_alignment == ALIGN_NO ||
	    (dkim_d != NULL && strcmp(dkim_d, from) == 0))
		return ALIGN_OK;
	if (dmarc_policy_lookup(&env, from, &pol, err, sizeof(err)) < 0)
		return dns_failed(m, from, err, why, whylen);
	if (!pol.found)
		return ALIGN_OK;
	memset(&in, 0, sizeof(in));
	in.from_domain = from;
	in.dkim_domain = dkim_d;
	in.envelope_domain = m->env_domain;
	in.spf = DMARC_SPF_UNCHECKED;
	in.policy = &pol;
	if (dmarc_predict(&env, &in, &out, err, sizeof(err)) < 0)
		return dns_failed(m, from, err, why, whylen);
	if (!out.pass && !out.dkim_aligned && *m->env_domain != '\0' &&
	    m->set->conf.relay_addresses.n > 0) {
		if (relay_spf(&m->set->conf, m->env_domain, &spf, err, sizeof(err)) < 0)
			return dns_failed(m, from, err, why, whylen);
		in.spf = spf;
		if (dmarc_predict(&env, &in, &out, err, sizeof(err)) < 0)
			return dns_failed(m, from, err, why, whylen);
	}
	if (out.pass) {
		if (!out.spf_aligned && *m->env_domain != '\0')
			log_info("%s: dmarc from_domain=%s env_domain=%s: "
			    "envelope not aligned (DKIM carries it)", m->qid,
			    from, m->env_domain);
		return ALIGN_OK;
	}
	if (m->set->conf.require_alignment == ALIGN_YES &&
	    out.policy != DMARC_NONE) {
		log_info("%s: dmarc from_domain=%s env_domain=%s: refused: %s",
		    m->qid, from, *m->env_domain ? m->env_domain : "<>",
		    out.reason);
		snprintf(why, whylen, "message %s", out.reason);
		return ALIGN_REFUSE;
	}
	log_warn("%s: dmarc from_domain=%s env_domain=%s: %s", m->qid, from,
	    *m->env_domain ? m->env_domain : "<>", out.reason);
	return ALIGN_OK;
}
