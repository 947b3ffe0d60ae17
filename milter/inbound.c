/*
 * inbound -- mail the milter does not sign is verified: SPF, every DKIM
 * signature, DMARC (verdict.c), and ONE Authentication-Results field of
 * ours at the top of the header.  Every field already there that claims
 * our authserv-id is deleted first: all of them, from the last to the
 * first, so that no deletion shifts the index of the next (OpenDKIM's
 * CVE-2022-48521 left the second of two).
 *
 *   inbound_init(err, errlen)      verdict_init; the host name fallback
 *   inbound_new(ctx, c, s, mailfrom)
 *                                  the state of a message (MAIL FROM
 *                                  argument as given); sends the SPF
 *                                  request now (verdict_spf_start), its
 *                                  answer is read at the end of the
 *                                  message; NULL out of memory
 *   inbound_header(c, m, name, value)
 *       keeps From values, notes each Authentication-Results field that
 *       claims our id (its index among the fields of that name, counted
 *       from 1 as smfi_chgheader counts them), feeds the DKIM verifier.
 *       0, or -1 when out of memory.
 *   inbound_body(m, buf, len)      feeds the verifier; 0 / -1
 *   inbound_eom(ctx, c, m)         checks, acts, replies, logs
 *   inbound_free(in)               NULL-safe, returns NULL
 *
 * authserv_id: the key when set, else the MTA's host name (macro "j",
 * Postfix's myhostname), else gethostname().
 *
 * What happens at the end of a message, with dmarc_enforce = yes:
 *   DMARC fail, policy reject             550 5.7.1 rejected by the DMARC
 *                                         policy of DOMAIN (p=reject)
 *   DMARC fail, policy quarantine         smfi_quarantine (Postfix: the
 *                                         hold queue), A-R added
 *   DMARC temperror, policy unknown or
 *   enforcing, dns_error_action=tempfail  451 4.4.3 cannot check the DMARC
 *                                         policy of DOMAIN: WHY
 * Otherwise (and always with dmarc_enforce = no, and under t=y) the
 * message is accepted with the field added.  Out of memory: 451 4.3.0
 * (on_error = accept: passed unchecked).  One log line per message:
 *   QID: inbound client=IP helo=NAME spf=R dkim=R,R dmarc=R
 *   from_domain=D action=accept|quarantine|reject|tempfail
 *   [forged_ar=N] [reason=...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "authres.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "log.h"
#include "milter.h"
#include "spfhelper.h"
#include "xmalloc.h"

enum { ACT_ACCEPT, ACT_QUARANTINE, ACT_REJECT, ACT_TEMPFAIL };
static const char *const act_name[] = {
	"accept", "quarantine", "reject", "tempfail"
};

static char	 hostname[256];

int
inbound_init(char *err, size_t errlen)
{
	if (gethostname(hostname, sizeof(hostname)) < 0 ||
	    hostname[0] == '\0')
		strcpy(hostname, "localhost");
	hostname[sizeof(hostname) - 1] = '\0';
	return verdict_init(err, errlen);
}

/* "<a@b.example>" -> "a@b.example", "<>" -> "". */
static char *
mailfrom_text(const char *arg)
{
	size_t	 n;

	if (arg == NULL)
		return xstrdup("");
	while (*arg == ' ')
		arg++;
	if (*arg == '<')
		arg++;
	n = strcspn(arg, ">");
	return xstrndup(arg, n);
}

struct inbound *
inbound_new(SMFICTX *ctx, const struct mconn *c, const struct msettings *s,
    const char *mailfrom)
{
	struct inbound	*in = xcalloc(1, sizeof(*in));
	const char	*id = s->conf.authserv_id;

	in->spf.slot = -1;
	if ((in->dkv = dkimv_new((size_t)s->conf.max_signatures)) == NULL) {
		free(in);
		return NULL;
	}
	in->mailfrom = mailfrom_text(mailfrom);
	if (id[0] == '\0' && ((id = smfi_getsymval(ctx, "j")) == NULL ||
	    id[0] == '\0'))
		id = hostname;
	snprintf(in->authserv_id, sizeof(in->authserv_id), "%s", id);
	verdict_spf_start(c, in);
	return in;
}

struct inbound *
inbound_free(struct inbound *in)
{
	size_t	 i;

	if (in == NULL)
		return NULL;
	spfhelper_cancel(G.spf, &in->spf);
	dkimv_free(in->dkv);
	free(in->mailfrom);
	for (i = 0; i < FROM_KEEP; i++)
		free(in->from[i]);
	free(in->forged);
	free(in);
	return NULL;
}

static void
note_forged(struct inbound *in)
{
	if (in->nforged == in->capforged) {
		in->capforged = in->capforged ? in->capforged * 2 : 4;
		in->forged = xrealloc(in->forged, in->capforged *
		    sizeof(*in->forged));
	}
	in->forged[in->nforged++] = in->nar;
}

int
inbound_header(const struct mconn *c, struct mmsg *m, const char *name,
    const char *value)
{
	struct inbound	*in = m->in;
	char		*v = NULL;
	int		 rc;

	if (strcasecmp(name, "From") == 0 && in->nfrom++ < FROM_KEEP)
		in->from[in->nfrom - 1] = xstrdup(value);
	if (strcasecmp(name, "Authentication-Results") == 0) {
		in->nar++;
		if (authres_is_ours(value, in->authserv_id))
			note_forged(in);
	}
	/* The verifier wants the field as on the wire: " value". */
	if ((c->pflags & SMFIP_HDR_LEADSPC) == 0 &&
	    asprintf(&v, " %s", value) < 0)
		return -1;
	rc = dkimv_header(in->dkv, name, v != NULL ? v : value);
	free(v);
	return rc;
}

int
inbound_body(struct mmsg *m, const unsigned char *buf, size_t len)
{
	return dkimv_body(m->in->dkv, buf, len);
}

/* What dmarc_enforce makes of the verdict. */
static int
decide(const struct mconn *c, const struct mmsg *m, const struct verdict *v)
{
	const struct conf	*conf = &m->set->conf;

	if (!conf->dmarc_enforce)
		return ACT_ACCEPT;
	if (v->dmarc == DMARC_R_FAIL && v->enforce == DMARC_REJECT)
		return ACT_REJECT;
	if (v->dmarc == DMARC_R_FAIL && v->enforce == DMARC_QUARANTINE)
		return c->aflags & SMFIF_QUARANTINE ? ACT_QUARANTINE :
		    ACT_ACCEPT;
	if (v->dmarc == DMARC_R_TEMPERROR &&
	    conf->dns_error_action == DNSERR_TEMPFAIL &&
	    (!v->policy_known || (v->effective != DMARC_NONE && !v->testing)))
		return ACT_TEMPFAIL;
	return ACT_ACCEPT;
}

static const char *
tag_of(const struct verdict *v)
{
	return v->sp_which == DMARC_USE_SP ? "sp" :
	    v->sp_which == DMARC_USE_NP ? "np" : "p";
}

/* Delete the forged fields, last first; insert ours at the top. */
static void
rewrite_header(SMFICTX *ctx, const struct mconn *c, const struct mmsg *m,
    const char *ar)
{
	char	*hv;
	size_t	 i;

	if (m->in->nforged > 0 && (c->aflags & SMFIF_CHGHDRS) == 0)
		log_warn("%s: %zu Authentication-Results field%s claiming %s "
		    "left in place: the MTA does not let us change headers",
		    m->qid, m->in->nforged, m->in->nforged == 1 ? "" : "s",
		    m->in->authserv_id);
	else
		for (i = m->in->nforged; i-- > 0;)
			if (smfi_chgheader(ctx, "Authentication-Results",
			    (int)m->in->forged[i], NULL) != MI_SUCCESS)
				log_warn("%s: cannot delete Authentication-"
				    "Results field %u", m->qid,
				    m->in->forged[i]);
	if (ar == NULL)
		return;
	if (c->pflags & SMFIP_HDR_LEADSPC) {
		if (asprintf(&hv, " %s", ar) < 0)
			fatal("out of memory");
	} else
		hv = xstrdup(ar);
	if (smfi_insheader(ctx, 0, "Authentication-Results", hv) !=
	    MI_SUCCESS)
		log_warn("%s: the MTA refused our Authentication-Results "
		    "field", m->qid);
	free(hv);
}

static void
log_line(const struct mconn *c, const struct mmsg *m,
    const struct verdict *v, int act)
{
	char		 dk[256], forged[32] = "";
	const char	*why = v->dmarc == DMARC_R_FAIL ? v->reason :
	    v->dmarc == DMARC_R_PERMERROR || v->dmarc == DMARC_R_TEMPERROR ?
	    v->dmarc_why : "";

	verdict_dkim_summary(m, dk, sizeof(dk));
	if (m->in->nforged > 0)
		snprintf(forged, sizeof(forged), " forged_ar=%zu",
		    m->in->nforged);
	log_info("%s: inbound client=%s helo=%s spf=%s dkim=%s dmarc=%s "
	    "from_domain=%s action=%s%s%s%s", m->qid, c->addr,
	    c->helo != NULL ? c->helo : "-", spf_result_name(v->spf), dk,
	    dmarc_result_name(v->dmarc),
	    v->from_domain[0] ? v->from_domain : "-", act_name[act], forged,
	    why[0] ? " reason=" : "", why);
}

static sfsistat
internal_failure(SMFICTX *ctx, const struct mconn *c,
    const struct mmsg *m, const char *why)
{
	if (m->set->conf.on_error == ON_ERROR_ACCEPT) {
		log_warn("%s: inbound client=%s passed UNCHECKED "
		    "(on_error = accept): %s", m->qid, c->addr, why);
		return SMFIS_ACCEPT;
	}
	log_warn("%s: inbound client=%s deferred: %s", m->qid, c->addr, why);
	milter_set_reply(ctx, "451", "4.3.0", "internal error; try again "
	    "later");
	return SMFIS_TEMPFAIL;
}

sfsistat
inbound_eom(SMFICTX *ctx, struct mconn *c, struct mmsg *m)
{
	struct verdict	 v;
	char		 err[256], reason[300];
	char		*ar;
	int		 act;

	if (m->failed)
		return internal_failure(ctx, c, m, "out of memory while "
		    "reading the message");
	if (verdict_run(c, m, &v, err, sizeof(err)) < 0)
		return internal_failure(ctx, c, m, err);
	act = decide(c, m, &v);
	log_line(c, m, &v, act);
	if (act == ACT_REJECT) {
		milter_set_reply(ctx, "550", "5.7.1", "rejected by the DMARC "
		    "policy of %s (%s=reject)", v.from_domain, tag_of(&v));
		return SMFIS_REJECT;
	}
	if (act == ACT_TEMPFAIL) {
		milter_set_reply(ctx, "451", "4.4.3", "cannot check the DMARC "
		    "policy of %s: %s; try again later", v.from_domain,
		    v.dmarc_why);
		return SMFIS_TEMPFAIL;
	}
	if ((ar = verdict_authres(c, m, &v, act == ACT_QUARANTINE ?
	    "quarantine" : "none", err, sizeof(err))) == NULL)
		log_warn("%s: no Authentication-Results: %s", m->qid, err);
	rewrite_header(ctx, c, m, ar);
	free(ar);
	if (act == ACT_QUARANTINE) {
		snprintf(reason, sizeof(reason), "DMARC policy of %s "
		    "(%s=quarantine)", v.from_domain, tag_of(&v));
		if (smfi_quarantine(ctx, reason) != MI_SUCCESS)
			log_warn("%s: the MTA refused to quarantine", m->qid);
	} else if (m->set->conf.dmarc_enforce && v.dmarc == DMARC_R_FAIL &&
	    v.enforce == DMARC_QUARANTINE)
		log_warn("%s: not quarantined: the MTA does not allow it",
		    m->qid);
	return SMFIS_ACCEPT;
}
