/*
 * outbound -- end of an outbound message: check the From header, find the
 * domain's keys, add one DKIM-Signature per configured algorithm, log the
 * audit line.
 *
 * The replies, in the order they are decided:
 *   no From, several From fields, a From listing several addresses or none,
 *   a From that cannot be parsed          550 5.7.1 naming the problem
 *   a SASL user not authorised for the From domain, or (authorize_senders)
 *   the domain not verified               550 5.7.1 naming user and domain
 *   authorisation data unavailable        451 4.3.0 (on_error = accept:
 *                                          passed unsigned)
 *   predicted to fail DMARC at a domain of p=quarantine or reject, with
 *   require_alignment = yes               550 5.7.1 saying why (align.c)
 *   DNS failure deciding that             451 4.4.3 (dns_error_action)
 *   no keys for the From domain           accepted unsigned (not ours), logged
 *   keys present but unusable             451 4.3.0 naming the problem
 *   internal failure (memory, crypto)     451 4.3.0
 * With on_error = accept the last two pass the message unsigned, logged as
 * such.  Bad input is refused whatever on_error says: it is not an error of
 * ours, and a retry cannot cure it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dkimkey.h"
#include "dkimsign.h"
#include "keystore.h"
#include "log.h"
#include "mailaddr.h"
#include "milter.h"
#include "ometrics.h"
#include "rfc5322.h"
#include "xmalloc.h"

#define AUDIT_MAX	2048

/*
 * smfi_setreply() with printf formatting.  libmilter treats '%' in the
 * text as a format character, so any that a header or domain brought in
 * are doubled.
 */
void
milter_set_reply(SMFICTX *ctx, const char *rcode, const char *xcode,
    const char *fmt, ...)
{
	char		 text[512], safe[1024];
	const char	*p;
	size_t		 n = 0;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (p = text; *p != '\0' && n + 2 < sizeof(safe); p++) {
		if (*p == '\r' || *p == '\n')
			continue;
		if (*p == '%')
			safe[n++] = '%';
		safe[n++] = *p;
	}
	safe[n] = '\0';
	if (smfi_setreply(ctx, (char *)rcode, (char *)xcode, safe) !=
	    MI_SUCCESS)
		log_warn("cannot set SMTP reply \"%s %s %s\"", rcode, xcode,
		    safe);
}

static const char *
who(const struct mconn *c, const struct mmsg *m, char *buf, size_t len)
{
	if (m->auth != NULL)
		snprintf(buf, len, "user=%s client=[%s]", m->auth, c->addr);
	else
		snprintf(buf, len, "client=[%s]", c->addr);
	return buf;
}

static sfsistat
refuse(SMFICTX *ctx, const struct mconn *c, const struct mmsg *m,
    const char *why)
{
	char	 w[320];

	log_info("%s: rejected %s: %s", m->qid, who(c, m, w, sizeof(w)), why);
	milter_set_reply(ctx, "550", "5.7.1", "%s", why);
	refund_message(m->auth, m->qid);
	return SMFIS_REJECT;
}

/*
 * A failure of ours: tempfail, or pass unsigned when on_error = accept.
 * The log gets why; the client gets reply when it is not NULL: a text
 * without server paths (keys, sockets), since every client reads it.
 */
static sfsistat
fail_reply(SMFICTX *ctx, const struct mconn *c, const struct mmsg *m,
    const char *why, const char *reply)
{
	char	 w[320];

	if (m->set->conf.on_error == ON_ERROR_ACCEPT) {
		log_warn("%s: passed UNSIGNED (on_error = accept) %s: %s",
		    m->qid, who(c, m, w, sizeof(w)), why);
		return SMFIS_ACCEPT;
	}
	log_warn("%s: deferred %s: %s", m->qid, who(c, m, w, sizeof(w)), why);
	milter_set_reply(ctx, "451", "4.3.0", "%s; try again later",
	    reply != NULL ? reply : why);
	refund_message(m->auth, m->qid);
	return SMFIS_TEMPFAIL;
}

static sfsistat
fail(SMFICTX *ctx, const struct mconn *c, const struct mmsg *m,
    const char *why)
{
	return fail_reply(ctx, c, m, why, NULL);
}

/* A DNS failure that decided the verdict (dns_error_action = tempfail). */
static sfsistat
dns_tempfail(SMFICTX *ctx, const struct mconn *c, const struct mmsg *m,
    const char *why)
{
	char	 w[320];

	log_warn("%s: deferred %s: %s", m->qid, who(c, m, w, sizeof(w)), why);
	milter_set_reply(ctx, "451", "4.4.3", "%s; try again later", why);
	refund_message(m->auth, m->qid);
	return SMFIS_TEMPFAIL;
}

/*
 * The single From address's domain into dom; 0, or -1 with the reason
 * the client will read in why.
 */
static int
from_domain(const struct mmsg *m, char *dom, size_t domlen, char *why,
    size_t whylen)
{
	struct rfc5322_addrs	 addrs;
	char			 err[256];
	int			 rc = -1;

	if (m->nfrom == 0) {
		snprintf(why, whylen, "message has no From header");
		return -1;
	}
	if (m->nfrom > 1) {
		snprintf(why, whylen, "message has %u From headers; "
		    "exactly one is allowed", m->nfrom);
		return -1;
	}
	if (rfc5322_parse_addresses(m->from, strlen(m->from), &addrs, err,
	    sizeof(err)) < 0) {
		snprintf(why, whylen, "From header cannot be parsed: %s", err);
		return -1;
	}
	if (addrs.n != 1)
		snprintf(why, whylen, "From header lists %zu addresses; "
		    "exactly one is allowed", addrs.n);
	else if (addrs.v[0].domain == NULL || addrs.v[0].domain[0] == '\0')
		snprintf(why, whylen, "From address has no domain");
	else if (strlen(addrs.v[0].domain) >= domlen)
		snprintf(why, whylen, "From domain is too long");
	else {
		strcpy(dom, addrs.v[0].domain);
		rc = 0;
	}
	rfc5322_addrs_free(&addrs);
	return rc;
}

/*
 * The value with CRLF folds turned into the LF that MTAs expect, after
 * the space that follows the colon: ours under SMFIP_HDR_LEADSPC, else
 * the MTA adds it.
 */
static char *
header_value(const struct mconn *c, const char *v)
{
	char	*out, *o;

	out = o = xmalloc(strlen(v) + 2);
	if (c->pflags & SMFIP_HDR_LEADSPC)
		*o++ = ' ';
	for (; *v != '\0'; v++)
		if (!(v[0] == '\r' && v[1] == '\n'))
			*o++ = *v;
	*o = '\0';
	return out;
}

static int
alg_wanted(const struct msettings *s, int alg)
{
	return alg == 0 ? s->sign_rsa : s->sign_ed25519;
}

/*
 * Sign with every wanted key of ks and insert the headers; the audit
 * text gathers "d= s= a=" of each.  0, or -1 with why set.
 */
static int
sign_all(SMFICTX *ctx, const struct mconn *c, struct mmsg *m,
    const struct ks_result *ks,
    char *audit, size_t alen, char *why, size_t whylen)
{
	const struct strlist	*sh = &m->set->conf.sign_headers;
	const struct strlist	*oh = &m->set->conf.oversign_headers;
	char			*value, *hv, err[256];
	size_t			 i, nsig = 0;
	long long		 now = (long long)time(NULL);

	if (dsig_finish_body(m->sig) < 0) {
		snprintf(why, whylen, "internal error hashing the body");
		return -1;
	}
	for (i = 0; i < ks->nkeys; i++) {
		if (!alg_wanted(m->set, ks->keys[i].alg))
			continue;
		if (dsig_sign(m->sig, ks->keys[i].pkey, ks->domain,
		    ks->keys[i].selector, (const char *const *)sh->v, sh->n,
		    (const char *const *)oh->v, oh->n, now, &value, err,
		    sizeof(err)) < 0) {
			snprintf(why, whylen, "cannot sign for %s: %s",
			    ks->domain, err);
			return -1;
		}
		hv = header_value(c, value);
		free(value);
		if (smfi_insheader(ctx, 0, "DKIM-Signature", hv) !=
		    MI_SUCCESS) {
			free(hv);
			snprintf(why, whylen, "MTA refused the DKIM-Signature "
			    "header");
			return -1;
		}
		free(hv);
		snprintf(audit + strlen(audit), alen - strlen(audit),
		    " sig=d=%s,s=%s,a=%s", ks->domain, ks->keys[i].selector,
		    ks->keys[i].alg == 0 ? "rsa-sha256" : "ed25519-sha256");
		nsig++;
		prom_inc(om.signatures, ks->keys[i].alg == 0 ? "rsa-sha256" :
		    "ed25519-sha256", NULL);
	}
	if (nsig == 0) {
		snprintf(why, whylen, "no key of %s matches sign_algorithms",
		    ks->domain);
		return -1;
	}
	return 0;
}

/*
 * A SASL user's From domain: allowed for the user (and verified, with
 * authorize_senders), or refused before anything is signed.  Every
 * decision is logged; SMFIS_CONTINUE means go on.
 */
static sfsistat
authorise(SMFICTX *ctx, const struct mconn *c, const struct mmsg *m,
    const char *dom)
{
	struct authz	 a;
	char		 why[600];
	int		 v;

	v = authz_check(&m->set->conf, m->auth, dom, &a);
	log_info("%s: sender user=%s env_domain=%s from_domain=%s "
	    "verdict=%s%s%s", m->qid, m->auth,
	    *m->env_domain ? m->env_domain : "<>", dom,
	    v == AUTHZ_OK ? "allowed" : v == AUTHZ_REFUSE ? "refused" : "error",
	    v == AUTHZ_OK ? "" : " reason=", v == AUTHZ_OK ? "" : a.why);
	if (v == AUTHZ_OK)
		return SMFIS_CONTINUE;
	if (v == AUTHZ_REFUSE)
		return refuse(ctx, c, m, a.why);
	snprintf(why, sizeof(why), "cannot check sender authorisation: %s",
	    a.why);
	/* on_error = accept passes it, but never with a signature. */
	return fail(ctx, c, m, why);
}

sfsistat
outbound_eom(SMFICTX *ctx, struct mconn *c, struct mmsg *m)
{
	struct ks_result	 ks;
	char			 dom[256], ace[256], why[1024], w[320];
	char			 reply[512];
	char			 audit[AUDIT_MAX];
	sfsistat		 rc;

	if (m->failed)
		return fail(ctx, c, m, "out of memory while reading the "
		    "message");
	if (from_domain(m, dom, sizeof(dom), why, sizeof(why)) < 0)
		return refuse(ctx, c, m, why);

	/* bücher.example is signed with the keys of xn--bcher-kva.example */
	if (mailaddr_domain_norm(dom, ace, sizeof(ace), why, sizeof(why)) == 0)
		strcpy(dom, ace);
	if (m->auth != NULL && (rc = authorise(ctx, c, m, dom)) != SMFIS_CONTINUE)
		return rc;
	if (!mailaddr_domain_is_hostname(dom)) {
		log_info("%s: not signed %s: From domain \"%s\" is not a "
		    "host name", m->qid, who(c, m, w, sizeof(w)), dom);
		return SMFIS_ACCEPT;
	}
	keystore_lookup(G.keys, dom, m->set->conf.sign_subdomains, &ks);
	if (ks.status == KS_ERROR) {
		snprintf(why, sizeof(why), "cannot sign for %s: %s", dom,
		    ks.err);
		snprintf(reply, sizeof(reply), "cannot sign for %s: %s", dom,
		    ks.reason);
		keystore_release(&ks);
		return fail_reply(ctx, c, m, why, reply);
	}
	switch (align_judge(m, dom, ks.status == KS_OK ? ks.domain : NULL,
	    why, sizeof(why))) {
	case ALIGN_REFUSE:
		keystore_release(&ks);
		return refuse(ctx, c, m, why);
	case ALIGN_TEMPFAIL:
		keystore_release(&ks);
		return dns_tempfail(ctx, c, m, why);
	}
	if (ks.status == KS_NONE) {
		log_info("%s: not signed %s from_domain=%s: no keys for "
		    "this domain", m->qid, who(c, m, w, sizeof(w)), dom);
		keystore_release(&ks);
		return SMFIS_ACCEPT;
	}

	audit[0] = '\0';
	if (sign_all(ctx, c, m, &ks, audit, sizeof(audit), why,
	    sizeof(why)) < 0)
		rc = fail(ctx, c, m, why);
	else {
		log_info("%s: signed %s from_domain=%s%s bh=%s "
		    "message-id=%s", m->qid, who(c, m, w, sizeof(w)), dom,
		    audit, dsig_bh(m->sig),
		    m->msgid[0] ? m->msgid : "(none)");
		rc = SMFIS_ACCEPT;
	}
	keystore_release(&ks);
	return rc;
}
