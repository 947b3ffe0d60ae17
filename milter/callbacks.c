/*
 * callbacks -- the libmilter callbacks of outpost-milter.
 *
 * connect    remember the client address and whether it is internal
 * helo       remember the HELO/EHLO name (SPF of <>, the log)
 * envfrom    decide whether the message is outbound (signed) or inbound
 *            (verified, inbound.c); milter_mode = sign never verifies,
 *            verify never signs
 * header     outbound: feed the signer, count From fields, keep the
 *            Message-ID; inbound: inbound_header
 * eoh, body  feed the signer or the verifier
 * eom        outbound.c or inbound.c decides and replies
 * abort      forget the message;  close: forget the connection
 *
 * Negotiation asks the MTA not to wait for replies to connect, header,
 * end-of-header and body (SMFIP_NR_*): every round trip saved is latency
 * Postfix does not wait for.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dkimsign.h"
#include "log.h"
#include "mailaddr.h"
#include "milter.h"
#include "xmalloc.h"

#define NOREPLY_STEPS	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | \
			 SMFIP_NR_EOH | SMFIP_NR_BODY)
/* Inbound: delete forged Authentication-Results, quarantine. */
#define WANT_ACTIONS	(SMFIF_CHGHDRS | SMFIF_QUARANTINE)
/*
 * Steps we have no callback for are skipped only where every MTA and test
 * client copes: miltertest, for one, fails a script that sends RCPT or HELO
 * to a milter that asked to skip them.
 */
#define SKIP_STEPS	SMFIP_NOUNKNOWN

/* Connections alive, so that shutdown can wait for them (main.c). */
static unsigned	 live;

int
connections_wait(int seconds)
{
	int	 i;

	for (i = 0; i < seconds * 10; i++) {
		if (__atomic_load_n(&live, __ATOMIC_SEQ_CST) == 0)
			return 1;
		usleep(100 * 1000);
	}
	return 0;
}

static struct mconn *
mconn_new(SMFICTX *ctx)
{
	struct mconn	*c;

	c = xcalloc(1, sizeof(*c));
	__atomic_add_fetch(&live, 1, __ATOMIC_SEQ_CST);
	smfi_setpriv(ctx, c);
	return c;
}

static struct mmsg *
mmsg_free(struct mmsg *m)
{
	if (m == NULL)
		return NULL;
	dsig_free(m->sig);
	inbound_free(m->in);
	settings_put(m->set);
	free(m->auth);
	free(m->env_domain);
	free(m->from);
	free(m);
	return NULL;
}

static struct mconn *
conn_of(SMFICTX *ctx)
{
	return smfi_getpriv(ctx);
}

static sfsistat
mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	static int	 warned;
	struct mconn	*c;

	(void)f2;
	(void)f3;
	if ((f0 & SMFIF_ADDHDRS) == 0) {
		log_err("the MTA does not allow adding headers; cannot sign");
		return SMFIS_REJECT;
	}
	*pf0 = SMFIF_ADDHDRS | (f0 & WANT_ACTIONS);
	if ((f0 & WANT_ACTIONS) != WANT_ACTIONS &&
	    !__atomic_exchange_n(&warned, 1, __ATOMIC_SEQ_CST))
		log_warn("the MTA does not allow%s%s: inbound mail keeps "
		    "forged Authentication-Results fields / is not "
		    "quarantined", f0 & SMFIF_CHGHDRS ? "" :
		    " changing headers", f0 & SMFIF_QUARANTINE ? "" :
		    " quarantine");
	*pf1 = f1 & (SMFIP_HDR_LEADSPC | NOREPLY_STEPS | SKIP_STEPS);
	*pf2 = 0;
	*pf3 = 0;
	if ((c = smfi_getpriv(ctx)) == NULL)
		c = mconn_new(ctx);
	c->pflags = *pf1;
	c->aflags = *pf0;
	if ((*pf1 & SMFIP_HDR_LEADSPC) == 0)
		log_debug("MTA without SMFIP_HDR_LEADSPC; header values "
		    "are taken as given");
	return SMFIS_CONTINUE;
}

/*
 * The reply for a step the MTA may have agreed not to wait for: sending
 * one there would desynchronise the protocol.
 */
static sfsistat
step_reply(const struct mconn *c, unsigned long step)
{
	return c->pflags & step ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mlfi_connect(SMFICTX *ctx, char *host, struct sockaddr *sa)
{
	struct mconn	*c;
	const void	*ip;

	(void)host;
	if ((c = conn_of(ctx)) == NULL)
		c = mconn_new(ctx);
	if (sa != NULL && (sa->sa_family == AF_INET ||
	    sa->sa_family == AF_INET6)) {
		ip = sa->sa_family == AF_INET ?
		    (const void *)&((struct sockaddr_in *)(void *)sa)->sin_addr :
		    (const void *)&((struct sockaddr_in6 *)(void *)sa)->sin6_addr;
		inet_ntop(sa->sa_family, ip, c->addr, sizeof(c->addr));
		memcpy(&c->sa, sa, sa->sa_family == AF_INET ?
		    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	} else {
		/* Mail submitted on the MTA itself (sendmail command). */
		strcpy(c->addr, "local");
		c->sa.ss_family = AF_UNSPEC;
	}
	return step_reply(c, SMFIP_NR_CONN);
}

/* Is the client in internal_hosts (as the message's settings say)? */
static int
is_internal(const struct mconn *c, const struct msettings *s)
{
	size_t	 i;

	if (c->sa.ss_family == AF_UNSPEC)
		return 1;
	for (i = 0; i < s->ninternal; i++)
		if (cidr_match(&s->internal[i],
		    (const struct sockaddr *)&c->sa))
			return 1;
	return 0;
}

static sfsistat
mlfi_helo(SMFICTX *ctx, char *name)
{
	struct mconn	*c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	free(c->helo);
	c->helo = name != NULL ? xstrndup(name, 255) : NULL;
	return step_reply(c, SMFIP_NR_HELO);
}

static int
is_outbound(SMFICTX *ctx, const struct mconn *c, const struct msettings *s,
    const char *auth)
{
	const char	*dn;

	switch (s->conf.milter_mode) {
	case MODE_SIGN:
		return 1;
	case MODE_VERIFY:
		return 0;
	}
	if (auth != NULL && *auth != '\0')
		return 1;
	if (is_internal(c, s))
		return 1;
	dn = smfi_getsymval(ctx, "{daemon_name}");
	return s->conf.sign_daemon_name[0] != '\0' && dn != NULL &&
	    strcmp(dn, s->conf.sign_daemon_name) == 0;
}

/*
 * The domain of the MAIL FROM address ("<bob@Example.com>" ->
 * "example.com"), "" for the null sender, the text as given when it does
 * not normalise: for logging and DMARC alignment, never for a decision
 * that a bad address could win.
 */
static char *
envelope_domain(const char *arg)
{
	char		 buf[MAILADDR_MAX + 1], dom[MAILDOMAIN_MAX + 1];
	char		 err[128];
	const char	*at;
	size_t		 n;

	if (arg == NULL)
		return xstrdup("");
	if (*arg == '<')
		arg++;
	n = strcspn(arg, ">");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, arg, n);
	buf[n] = '\0';
	if ((at = strrchr(buf, '@')) == NULL)
		return xstrdup("");
	if (mailaddr_domain_norm(at + 1, dom, sizeof(dom), err,
	    sizeof(err)) < 0)
		return xstrdup(at + 1);
	return xstrdup(dom);
}

static sfsistat
mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct mconn	*c = conn_of(ctx);
	struct mmsg	*m;
	struct msettings *s;
	const char	*auth;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	c->msg = mmsg_free(c->msg);
	auth = smfi_getsymval(ctx, "{auth_authen}");
	s = settings_get();
	m = xcalloc(1, sizeof(*m));
	m->set = s;
	strcpy(m->qid, "-");
	m->env_domain = envelope_domain(argv[0]);
	if (!is_outbound(ctx, c, s, auth)) {
		if ((m->in = inbound_new(ctx, c, s, argv[0])) == NULL) {
			mmsg_free(m);
			return SMFIS_TEMPFAIL;
		}
		c->msg = m;
		return SMFIS_CONTINUE;
	}
	if (auth != NULL && *auth != '\0')
		m->auth = xstrdup(auth);
	if ((m->sig = dsig_new(s->relaxed_header, s->relaxed_body)) == NULL) {
		mmsg_free(m);
		return SMFIS_TEMPFAIL;
	}
	c->msg = m;
	return SMFIS_CONTINUE;
}

static void
note_qid(SMFICTX *ctx, struct mmsg *m)
{
	const char	*qid;

	if (m->qid[0] == '-' && (qid = smfi_getsymval(ctx, "i")) != NULL &&
	    strlen(qid) < sizeof(m->qid))
		strcpy(m->qid, qid);
}

static void
keep_msgid(struct mmsg *m, const char *value)
{
	size_t	 n;

	while (*value == ' ' || *value == '\t')
		value++;
	n = strcspn(value, "\r\n");
	if (n >= sizeof(m->msgid))
		n = sizeof(m->msgid) - 1;
	memcpy(m->msgid, value, n);
	m->msgid[n] = '\0';
}

/*
 * Without SMFIP_HDR_LEADSPC the MTA has taken the space after the colon
 * off the value (and puts one back in front of the fields we insert): the
 * signer must see the field as it is on the wire, or simple header
 * canonicalisation hashes "From:x" for "From: x".
 */
static int
signer_header(const struct mconn *c, struct mmsg *m, const char *name,
    const char *value)
{
	char	*v;
	int	 rc;

	if (c->pflags & SMFIP_HDR_LEADSPC)
		return dsig_header(m->sig, name, value);
	if (asprintf(&v, " %s", value) < 0)
		return -1;
	rc = dsig_header(m->sig, name, v);
	free(v);
	return rc;
}

static sfsistat
mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct mconn	*c = conn_of(ctx);
	struct mmsg	*m = c ? c->msg : NULL;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (m == NULL || m->failed)
		return step_reply(c, SMFIP_NR_HDR);
	if (m->in != NULL) {
		if (inbound_header(c, m, name, value) < 0)
			m->failed = 1;
		return step_reply(c, SMFIP_NR_HDR);
	}
	if (strcasecmp(name, "From") == 0 && m->nfrom++ == 0)
		m->from = xstrdup(value);
	else if (strcasecmp(name, "Message-ID") == 0 && m->msgid[0] == '\0')
		keep_msgid(m, value);
	if (signer_header(c, m, name, value) < 0)
		m->failed = 1;
	return step_reply(c, SMFIP_NR_HDR);
}

static sfsistat
mlfi_eoh(SMFICTX *ctx)
{
	struct mconn	*c = conn_of(ctx);

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (c->msg != NULL)
		note_qid(ctx, c->msg);
	return step_reply(c, SMFIP_NR_EOH);
}

static sfsistat
mlfi_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
	struct mconn	*c = conn_of(ctx);
	struct mmsg	*m = c ? c->msg : NULL;

	if (c == NULL)
		return SMFIS_TEMPFAIL;
	if (m == NULL || m->failed)
		return step_reply(c, SMFIP_NR_BODY);
	if (m->in != NULL ? inbound_body(m, buf, len) < 0 :
	    dsig_body(m->sig, buf, len) < 0)
		m->failed = 1;
	return step_reply(c, SMFIP_NR_BODY);
}

static sfsistat
mlfi_eom(SMFICTX *ctx)
{
	struct mconn	*c = conn_of(ctx);
	sfsistat	 rc;
	int		 in;

	if (c == NULL || c->msg == NULL)
		return SMFIS_CONTINUE;
	note_qid(ctx, c->msg);
	in = c->msg->in != NULL;
	rc = in ? inbound_eom(ctx, c, c->msg) : outbound_eom(ctx, c, c->msg);
	mm_message(in, rc);
	c->msg = mmsg_free(c->msg);
	return rc;
}

static sfsistat
mlfi_abort(SMFICTX *ctx)
{
	struct mconn	*c = conn_of(ctx);

	if (c != NULL)
		c->msg = mmsg_free(c->msg);
	return SMFIS_CONTINUE;
}

static sfsistat
mlfi_close(SMFICTX *ctx)
{
	struct mconn	*c = conn_of(ctx);

	if (c != NULL) {
		mmsg_free(c->msg);
		free(c->helo);
		free(c);
		smfi_setpriv(ctx, NULL);
		__atomic_sub_fetch(&live, 1, __ATOMIC_SEQ_CST);
	}
	return SMFIS_CONTINUE;
}

struct smfiDesc milter_desc = {
	.xxfi_name = "outpost-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | WANT_ACTIONS,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_negotiate = mlfi_negotiate,
};
