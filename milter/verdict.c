/*
 * verdict -- the checks of one inbound message and the text of our
 * Authentication-Results field (RFC 8601).
 *
 *   verdict_init(err, errlen)
 *       the DMARC environment on G.dns (dmarc_org_domain of the start-up
 *       configuration).  0 or -1.  Once, before the worker threads.
 *   verdict_spf_start(c, in)
 *       at MAIL FROM: the SPF request of the message goes to the helper
 *       (spfhelper_submit into in->spf), so that its DNS lookups run
 *       while the message arrives; nothing when there is no client
 *       address or helper, or the request cannot go (verdict_run asks
 *       again).
 *   verdict_run(c, m, v, err, errlen)
 *       SPF of the client (the isolated helper, G.spf: the answer to
 *       the request sent at MAIL FROM, else a request now), every DKIM
 *       signature (lib/dkimverify, keys through G.dns), DMARC of the From
 *       domain (lib/dmarc).  A DNS failure is temperror for the method it
 *       hit; a missing helper or resolver is temperror too.  0, or -1
 *       when out of memory (err).
 *   verdict_authres(c, m, v, dis, err, errlen)
 *       the field value (lib/authres; no leading space, LF folds), with
 *       m's authserv-id and dis the disposition we applied:
 *         ID;
 *           spf=R smtp.mailfrom=ADDR       (smtp.helo=NAME for <>)
 *           dkim=R (why) header.d= header.s= header.a= header.b=
 *                                          one per signature, (why)
 *                                          when R is not pass
 *           dkim=none                      unsigned
 *           dmarc=R (p=P [sp=S|np=N] [t=y] dis=D) header.from=DOMAIN
 *                                          sp=/np= when the record has
 *                                          the tag that applied; for
 *                                          permerror/temperror: (why)
 *       Signatures not checked (past max_signatures, or malformed): the
 *       first INBOUND_POLICY_LISTED with their result ("dkim=policy (not
 *       checked: ...)", "dkim=permerror (malformed signature: ...)") and
 *       tags, the rest as one "dkim=policy (N more signatures not
 *       checked)": at most max_signatures + 5 entries, whatever arrives.  malloc'ed,
 *       NULL when out of memory.
 *   verdict_dkim_summary(m, buf, len)
 *       "pass,fail" -- the results for the log line ("none" unsigned,
 *       "+N" for the entries past the eighth).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authres.h"
#include "conf.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "dns.h"
#include "mailaddr.h"
#include "milter.h"
#include "ometrics.h"
#include "spfhelper.h"

#define INBOUND_POLICY_LISTED	4	/* unchecked signatures listed */
#define SUMMARY_LISTED		8	/* DKIM results in the log line */

static struct dmarc_env	 env;
static int		 env_ok;

int
verdict_init(char *err, size_t errlen)
{
	if (G.dns == NULL)
		return 0;
	if (dmarc_env_dns(&env, G.dns, G.conf.dmarc_org_domain, err,
	    errlen) < 0)
		return -1;
	env_ok = 1;
	return 0;
}

/* The client's SPF identity is known at MAIL FROM: ask the helper now. */
void
verdict_spf_start(const struct mconn *c, struct inbound *in)
{
	char	 err[128];

	in->spf.slot = -1;
	if (c->sa.ss_family == AF_UNSPEC || G.spf == NULL)
		return;
	/* On failure run_spf asks again at the end and reports why. */
	(void)spfhelper_submit(G.spf, c->addr, c->helo != NULL ? c->helo :
	    "", in->mailfrom, &in->spf, err, sizeof(err));
}

static void
run_spf(const struct mconn *c, struct mmsg *m, struct verdict *v)
{
	struct spf_verdict	 sv;
	const char		*helo = c->helo != NULL ? c->helo : "";
	int			 rc;

	v->spf_helo = m->in->mailfrom[0] == '\0';
	if (c->sa.ss_family == AF_UNSPEC) {
		v->spf = SPFR_NONE;
		snprintf(v->spf_why, sizeof(v->spf_why), "no client address");
		return;
	}
	if (G.spf == NULL) {
		v->spf = SPFR_TEMPERROR;
		snprintf(v->spf_why, sizeof(v->spf_why), "SPF helper not "
		    "running");
		return;
	}
	if (m->in->spf.slot >= 0)
		rc = spfhelper_collect(G.spf, &m->in->spf, &sv, v->spf_why,
		    sizeof(v->spf_why));
	else
		rc = spfhelper_check(G.spf, c->addr, helo, m->in->mailfrom,
		    &sv, v->spf_why, sizeof(v->spf_why));
	if (rc < 0) {
		v->spf = SPFR_TEMPERROR;
		return;
	}
	v->spf = sv.result;
	if (sv.result == SPFR_TEMPERROR || sv.result == SPFR_PERMERROR)
		snprintf(v->spf_why, sizeof(v->spf_why), "%.200s",
		    sv.explanation);
}

static int
key_txt(void *arg, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	(void)arg;
	if (G.dns == NULL) {
		snprintf(err, errlen, "no resolver");
		return DNS_ERROR;
	}
	return dns_txt(G.dns, name, out, err, errlen);
}

/* The domain SPF checked, normalised, or "" when it does not normalise. */
static void
spf_domain(const struct mconn *c, const struct mmsg *m, char *out,
    size_t outlen)
{
	char		 err[128];
	const char	*d;

	d = m->in->mailfrom[0] != '\0' ? m->env_domain : c->helo;
	if (d == NULL || mailaddr_domain_norm(d, out, outlen, err,
	    sizeof(err)) < 0)
		out[0] = '\0';
}

static void
keep_policy(struct verdict *v, const struct dmarc_lookup *pol)
{
	v->policy_known = 1;
	v->found = pol->found;
	v->p = pol->rec.p;
	/* sp= or np= only when the record has it (else p= is what applied) */
	v->sp_which = pol->which;
	if (v->sp_which == DMARC_USE_NP && pol->rec.np < 0)
		v->sp_which = DMARC_USE_SP;
	if (v->sp_which == DMARC_USE_SP && pol->rec.sp < 0)
		v->sp_which = DMARC_USE_P;
	v->sp_value = pol->policy;
	v->testing = pol->rec.testing;
	v->effective = pol->effective;
}

static int
eval_dmarc(const struct mconn *c, const struct mmsg *m, struct verdict *v,
    const struct dmarc_lookup *pol)
{
	struct dmarc_eval_in	 in;
	struct dmarc_eval	 out;
	struct dmarc_dkim_in	*dk;
	const struct dkimv_result *r;
	char			 sdom[MAILDOMAIN_MAX + 1];
	size_t			 i, n = dkimv_count(m->in->dkv);

	if ((dk = calloc(n + 1, sizeof(*dk))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		r = dkimv_result(m->in->dkv, i);
		dk[i].domain = r->domain;
		dk[i].status = r->status;
	}
	spf_domain(c, m, sdom, sizeof(sdom));
	memset(&in, 0, sizeof(in));
	in.from_domain = v->from_domain;
	in.dkim = dk;
	in.ndkim = n;
	in.spf_domain = sdom[0] != '\0' ? sdom : NULL;
	in.spf = v->spf;
	in.policy = pol;
	if (dmarc_evaluate(&env, &in, &out, v->dmarc_why,
	    sizeof(v->dmarc_why)) < 0)
		v->dmarc = DMARC_R_TEMPERROR;
	else {
		v->dmarc = out.result;
		v->enforce = out.enforce;
		snprintf(v->reason, sizeof(v->reason), "%s", out.reason);
	}
	free(dk);
	return 0;
}

static int
run_dmarc(const struct mconn *c, const struct mmsg *m, struct verdict *v)
{
	struct dmarc_lookup	 pol;
	const char *const	*from = (const char *const *)m->in->from;

	v->dmarc = DMARC_R_PERMERROR;
	if (m->in->nfrom > FROM_KEEP) {
		snprintf(v->dmarc_why, sizeof(v->dmarc_why), "%u From fields",
		    m->in->nfrom);
		return 0;
	}
	if (dmarc_author_domain(from, m->in->nfrom, v->from_domain,
	    sizeof(v->from_domain), v->dmarc_why, sizeof(v->dmarc_why)) < 0) {
		v->from_domain[0] = '\0';
		return 0;
	}
	v->dmarc = DMARC_R_TEMPERROR;
	if (!env_ok) {
		snprintf(v->dmarc_why, sizeof(v->dmarc_why), "no resolver");
		return 0;
	}
	if (dmarc_policy_lookup(&env, v->from_domain, &pol, v->dmarc_why,
	    sizeof(v->dmarc_why)) < 0)
		return 0;
	keep_policy(v, &pol);
	if (!pol.found) {
		v->dmarc = DMARC_R_NONE;
		return 0;
	}
	return eval_dmarc(c, m, v, &pol);
}

int
verdict_run(const struct mconn *c, struct mmsg *m, struct verdict *v,
    char *err, size_t errlen)
{
	memset(v, 0, sizeof(*v));
	run_spf(c, m, v);
	if (dkimv_finish_body(m->in->dkv) < 0 ||
	    dkimv_verify(m->in->dkv, key_txt, NULL, time(NULL)) < 0) {
		snprintf(err, errlen, "out of memory verifying DKIM");
		return -1;
	}
	v->dkim_ok = 1;
	if (run_dmarc(c, m, v) < 0) {
		snprintf(err, errlen, "out of memory evaluating DMARC");
		return -1;
	}
	return 0;
}

static void
ar_spf(struct authres *a, const struct mconn *c, const struct mmsg *m,
    const struct verdict *v)
{
	authres_method(a, "spf", spf_result_name(v->spf));
	prom_inc(om.auth, "spf", spf_result_name(v->spf));
	if (v->spf_why[0] != '\0' && v->spf != SPFR_PASS)
		authres_comment(a, v->spf_why);
	if (!v->spf_helo)
		authres_prop(a, "smtp", "mailfrom", m->in->mailfrom);
	else if (c->helo != NULL)
		authres_prop(a, "smtp", "helo", c->helo);
}

static void
ar_sig(struct authres *a, const struct dkimv_result *r)
{
	authres_method(a, "dkim", dkimv_status_name(r->status));
	prom_inc(om.auth, "dkim", dkimv_status_name(r->status));
	if (r->status != DKIMV_PASS && r->why[0] != '\0')
		authres_comment(a, r->why);
	else if (r->status == DKIMV_PASS && r->testing)
		authres_comment(a, "key in testing mode (t=y)");
	if (r->domain[0] != '\0')
		authres_prop(a, "header", "d", r->domain);
	if (r->selector[0] != '\0')
		authres_prop(a, "header", "s", r->selector);
	if (r->alg[0] != '\0')
		authres_prop(a, "header", "a", r->alg);
	if (r->b8[0] != '\0')
		authres_prop(a, "header", "b", r->b8);
}

static void
ar_dkim(struct authres *a, const struct mmsg *m)
{
	const struct dkimv_result *r;
	size_t		 i, n = dkimv_count(m->in->dkv), listed = 0, rest = 0;
	char		 c[64];

	if (n == 0) {
		authres_method(a, "dkim", "none");
		prom_inc(om.auth, "dkim", "none");
	}
	for (i = 0; i < n; i++) {
		r = dkimv_result(m->in->dkv, i);
		if (r->verified || listed++ < INBOUND_POLICY_LISTED)
			ar_sig(a, r);
		else
			rest++;
	}
	if (rest > 0) {
		authres_method(a, "dkim", "policy");
		prom_inc(om.auth, "dkim", "policy");
		snprintf(c, sizeof(c), "%zu more signature%s not checked",
		    rest, rest == 1 ? "" : "s");
		authres_comment(a, c);
	}
}

static void
ar_dmarc(struct authres *a, const struct verdict *v, const char *dis)
{
	char	 c[128];
	size_t	 n;

	authres_method(a, "dmarc", dmarc_result_name(v->dmarc));
	prom_inc(om.auth, "dmarc", dmarc_result_name(v->dmarc));
	if (v->dmarc == DMARC_R_PERMERROR || v->dmarc == DMARC_R_TEMPERROR)
		authres_comment(a, v->dmarc_why);
	else if (v->found) {
		n = (size_t)snprintf(c, sizeof(c), "p=%s",
		    dmarc_policy_name(v->p));
		if (v->sp_which != DMARC_USE_P)
			n += (size_t)snprintf(c + n, sizeof(c) - n, " %s=%s",
			    v->sp_which == DMARC_USE_SP ? "sp" : "np",
			    dmarc_policy_name(v->sp_value));
		if (v->testing)
			n += (size_t)snprintf(c + n, sizeof(c) - n, " t=y");
		snprintf(c + n, sizeof(c) - n, " dis=%s", dis);
		authres_comment(a, c);
	}
	if (v->from_domain[0] != '\0')
		authres_prop(a, "header", "from", v->from_domain);
}

char *
verdict_authres(const struct mconn *c, const struct mmsg *m,
    const struct verdict *v, const char *dis, char *err, size_t errlen)
{
	struct authres	*a;
	char		*s;

	if ((a = authres_new(m->in->authserv_id)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ar_spf(a, c, m, v);
	ar_dkim(a, m);
	ar_dmarc(a, v, dis);
	s = authres_text(a, err, errlen);
	authres_free(a);
	return s;
}

void
verdict_dkim_summary(const struct mmsg *m, char *buf, size_t len)
{
	size_t	 i, n = dkimv_count(m->in->dkv), o = 0;

	snprintf(buf, len, "none");
	for (i = 0; i < n && i < SUMMARY_LISTED && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
		    dkimv_status_name(dkimv_result(m->in->dkv, i)->status));
	if (n > SUMMARY_LISTED && o < len)
		snprintf(buf + o, len - o, ",+%zu", n - SUMMARY_LISTED);
}
