/*
 * decide -- what a request asks of Redis and what the client is told.
 *
 *   dec_prepare(conf, req, offset, call)   offset: seconds added to Redis's
 *       clock by the scripts; the daemon passes 0
 *       DEC_DUNNO for requests the daemon does not judge (another request
 *       type, no SASL user, a stage other than RCPT / END-OF-MESSAGE);
 *       otherwise fills call with the script arguments of lib/pscript.h.
 *       A RCPT whose recipient does not normalise (lib/mailaddr.h) gets
 *       argc 0 and call->badrcpt set: refused without Redis.
 *   dec_reply(conf, call, reply, buf, len)
 *       the action line (without "action=") for a script reply; a NULL or
 *       unexpected reply means Redis failed: on_error decides.
 *   dec_unmarked(conf, buf, len)
 *       the action line when Redis lacks the schema marker (mark.c): an
 *       empty Redis is an outage, not a verdict, so on_error decides
 *       (defer: 451 4.3.0; accept: DUNNO).
 *   dec_noplan(call, reply, plan, len)
 *       1 when a RCPT was admitted for a user whose effective plan does
 *       not exist (its name, cleaned, into plan), else 0.
 *   dec_dry(conf, call, reply)
 *       1 when the reply is a limit refusal that policyd_dry_run turns
 *       into DUNNO (RCPT: "limit"; END-OF-MESSAGE: "dry", counted);
 *       dec_reply gives the refusal it would have made, for the log.
 *   dec_counted(call, reply, buf, len)
 *       1 when END-OF-MESSAGE counted the message: buf gets the
 *       accounting line "QUEUEID: counted user=U recipients=N size=S".
 *   dec_refund_dup(call, reply)
 *       1 when END-OF-MESSAGE counted a message whose queue ID already had
 *       a refund record (kept as it was; see lib/schema.h).
 *
 *   dec_refusal(call, reply)
 *       the reason of a refusal for the delivery log (policyd.h), NULL
 *       when the request was admitted or Redis failed.
 *
 * Pure functions: no I/O, no logging.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "limit.h"
#include "mailaddr.h"
#include "policyd.h"
#include "schema.h"
#include "supcsv.h"

#define REPLY_TEMPFAIL	"451 4.3.0 policy service temporarily unavailable, " \
			"try again later"
#define REPLY_UNMARKED	"451 4.3.0 sending policy data unavailable, try " \
			"again later"
#define REPLY_UNKNOWN	"554 5.7.1 unknown sending account"
#define REPLY_SUSPENDED	"554 5.7.1 sending account suspended"
#define REPLY_BADRCPT	"550 5.1.3 <%s>: recipient address not accepted " \
			"(%s): write it as local-part@domain"

static void
setarg(struct dec_call *c, const char *s, size_t n)
{
	if (n >= DEC_ARGLEN)
		n = DEC_ARGLEN - 1;
	memcpy(c->argv[c->argc], s, n);
	c->argv[c->argc][n] = '\0';
	c->argvlen[c->argc++] = n;
}

static void
setstr(struct dec_call *c, const char *s)
{
	setarg(c, s, strlen(s));
}

/* Copy text for a reply or a log line: printable ASCII only, bounded.
 * Never for Redis keys or script arguments: those take the raw bytes. */
static void
clean(char *dst, size_t len, const char *src)
{
	size_t	 i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (src[i] >= ' ' && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static void
common(const struct conf *cf, const struct pol_request *r, long off,
    struct dec_call *c)
{
	char	 buf[SCHEMA_KEY_MAX];

	schema_key_user(cf, r->sasl_username, SCHEMA_ACCT, buf, sizeof(buf));
	c->nkeys = 1;
	setstr(c, buf);
	setstr(c, cf->redis_prefix);
	setstr(c, r->sasl_username);
	snprintf(buf, sizeof(buf), "%ld", off);
	setstr(c, buf);
	setstr(c, cf->policyd_unknown_user == UNKNOWN_DEFAULT ? "default" :
	    "reject");
	setstr(c, cf->default_plan);
}

/* The suppression bucket keys (user's, global) and field of addr. */
static void
sup_args(const struct conf *cf, const struct pol_request *r,
    const char *addr, struct dec_call *c)
{
	char	 key[SCHEMA_KEY_MAX], field[SCHEMA_SUP_FIELD_MAX];
	int	 n;

	if (addr == NULL ||
	    (n = schema_sup_field(addr, field, sizeof(field))) <= 0) {
		setstr(c, "");
		setstr(c, "");
		setstr(c, "");
		return;
	}
	schema_key_sup(cf, r->sasl_username, schema_sup_bucket(addr,
	    r->sasl_username), key, sizeof(key));
	setstr(c, key);
	schema_key_sup(cf, NULL, schema_sup_bucket(addr, NULL), key,
	    sizeof(key));
	setstr(c, key);
	setarg(c, field, (size_t)n);
}

/*
 * Sender domain, then the recipient's suppression lookups: its
 * suppression form (schema_sup_addr), and when folding changed it the
 * exact form too, so that entries stored before the fold (not yet
 * re-filed by "outpostctl suppress migrate") still match their own case.
 */
static void
rcpt_args(const struct conf *cf, const struct pol_request *r,
    struct dec_call *c)
{
	char		 dom[MAILDOMAIN_MAX + 1], addr[MAILADDR_MAX + 1];
	char		 exact[MAILADDR_MAX + 1], err[256];
	const char	*at;
	int		 folded = 0, okaddr;

	dom[0] = '\0';				/* <> */
	at = strrchr(r->sender, '@');
	if (*r->sender != '\0' && (at == NULL || at[1] == '\0'))
		strcpy(dom, "@");		/* no domain: see pscript.h */
	else if (at != NULL && mailaddr_domain_norm(at + 1, dom, sizeof(dom),
	    err, sizeof(err)) < 0)
		clean(dom, sizeof(dom), at + 1);	/* will not match */
	setstr(c, dom);
	okaddr = mailaddr_norm(r->recipient, addr, sizeof(addr), err,
	    sizeof(err)) == 0;
	if (okaddr) {
		memcpy(exact, addr, sizeof(exact));
		folded = schema_sup_addr(cf, addr);
	}
	sup_args(cf, r, okaddr ? addr : NULL, c);
	sup_args(cf, r, folded ? exact : NULL, c);
}

/*
 * A recipient that does not normalise cannot be looked up in the
 * suppression lists, and Postfix may still deliver it somewhere else:
 * with allow_percent_hack "bounce%example.org" and with swap_bangpath
 * "example.org!bounce" both reach bounce@example.org.  Such a recipient
 * is refused (c->badrcpt, argc 0): -1.  0 when it normalises or is
 * empty (Postfix always sends one at RCPT; without one there is no
 * mailbox to reach).
 */
static int
rcpt_bad(const struct pol_request *r, struct dec_call *c)
{
	char	 addr[MAILADDR_MAX + 1], err[sizeof(c->badrcpt)];

	if (*r->recipient == '\0' || mailaddr_norm(r->recipient, addr,
	    sizeof(addr), err, sizeof(err)) == 0)
		return 0;		/* "": nothing to deliver to */
	clean(c->badrcpt, sizeof(c->badrcpt), err);
	c->argc = 0;
	return -1;
}

int
dec_prepare(const struct conf *cf, const struct pol_request *r, long off,
    struct dec_call *c)
{
	memset(c, 0, sizeof(*c));
	c->stage = DEC_DUNNO;
	if (strcmp(r->request, "smtpd_access_policy") != 0 ||
	    *r->sasl_username == '\0')
		return DEC_DUNNO;
	if (strcmp(r->protocol_state, "RCPT") == 0)
		c->stage = DEC_RCPT;
	else if (strcmp(r->protocol_state, "END-OF-MESSAGE") == 0)
		c->stage = DEC_EOM;
	else
		return DEC_DUNNO;
	clean(c->user, sizeof(c->user), r->sasl_username);
	clean(c->sender, sizeof(c->sender), r->sender);
	clean(c->recipient, sizeof(c->recipient), r->recipient);
	clean(c->queue_id, sizeof(c->queue_id), r->queue_id);
	clean(c->client, sizeof(c->client), r->client_address);
	if (!schema_user_valid(r->sasl_username) ||
	    strlen(r->sasl_username) >= sizeof(c->user)) {
		c->argc = 0;		/* no such account can exist */
		return c->stage;
	}
	if (c->stage == DEC_RCPT && rcpt_bad(r, c) < 0)
		return c->stage;	/* refused without Redis */
	common(cf, r, off, c);
	if (c->stage == DEC_RCPT) {
		rcpt_args(cf, r, c);
		return c->stage;
	}
	setstr(c, r->recipient_count[0] ? r->recipient_count : "0");
	setstr(c, r->size[0] ? r->size : "0");
	setstr(c, r->queue_id);
	setstr(c, "3600");
	setstr(c, cf->policyd_dry_run ? "1" : "0");
	return c->stage;
}

static const char *
el(const redisReply *rep, size_t i)
{
	if (i >= rep->elements || rep->element[i]->type != REDIS_REPLY_STRING)
		return "";
	return rep->element[i]->str;
}

static long long
num(const redisReply *rep, size_t i)
{
	if (i >= rep->elements)
		return 0;
	if (rep->element[i]->type == REDIS_REPLY_INTEGER)
		return rep->element[i]->integer;
	if (rep->element[i]->type == REDIS_REPLY_STRING)
		return strtoll(rep->element[i]->str, NULL, 10);
	return 0;
}

int
dec_noplan(const struct dec_call *c, const redisReply *rep, char *plan,
    size_t len)
{
	if (c->stage != DEC_RCPT || rep == NULL ||
	    rep->type != REDIS_REPLY_ARRAY || strcmp(el(rep, 0), "ok") != 0 ||
	    strcmp(el(rep, 1), "noplan") != 0)
		return 0;
	clean(plan, len, el(rep, 2));
	return 1;
}

int
dec_refund_dup(const struct dec_call *c, const redisReply *rep)
{
	if (c->stage != DEC_EOM || rep == NULL ||
	    rep->type != REDIS_REPLY_ARRAY)
		return 0;
	return (strcmp(el(rep, 0), "ok") == 0 &&
	    strcmp(el(rep, 1), "duplicate") == 0) ||
	    (strcmp(el(rep, 0), "dry") == 0 &&
	    strcmp(el(rep, 7), "duplicate") == 0);
}

int
dec_dry(const struct conf *cf, const struct dec_call *c,
    const redisReply *rep)
{
	if (c->stage == DEC_DUNNO || rep == NULL ||
	    rep->type != REDIS_REPLY_ARRAY)
		return 0;
	return strcmp(el(rep, 0), "dry") == 0 || (cf->policyd_dry_run &&
	    strcmp(el(rep, 0), "limit") == 0);
}

int
dec_counted(const struct dec_call *c, const redisReply *rep, char *buf,
    size_t len)
{
	if (c->stage != DEC_EOM || c->argc < 8 || rep == NULL ||
	    rep->type != REDIS_REPLY_ARRAY || (strcmp(el(rep, 0), "ok") != 0 &&
	    strcmp(el(rep, 0), "dry") != 0))
		return 0;
	snprintf(buf, len, "%s: counted user=%s recipients=%s size=%s",
	    c->queue_id[0] ? c->queue_id : "NOQUEUE", c->user, c->argv[6],
	    c->argv[7]);
	return 1;
}

static void
utc(long long t, char *buf, size_t len, const char *fmt)
{
	time_t		 tt = (time_t)t;
	struct tm	 tm;

	gmtime_r(&tt, &tm);
	strftime(buf, len, fmt, &tm);
}

static void
limit_reply(const redisReply *rep, char *buf, size_t len)
{
	struct limit	 l;
	char		 text[LIMIT_TEXT_MAX], when[64];
	int		 dim;
	long		 win;

	if (schema_limit_field_parse(el(rep, 1), &dim, &win) < 0) {
		snprintf(buf, len, REPLY_TEMPFAIL);
		return;
	}
	memset(&l, 0, sizeof(l));
	l.dim = dim;
	l.window = win;
	l.count = (unsigned long long)num(rep, 2);
	limit_format(&l, text, sizeof(text));
	if (num(rep, 6) == 1 && dim == LIMIT_BYTES)
		snprintf(buf, len, "552 5.3.4 message size %lld exceeds the "
		    "limit %s", num(rep, 4), text);
	else if (num(rep, 6) == 1)
		snprintf(buf, len, "550 5.5.3 too many recipients (%lld) for "
		    "the limit %s", num(rep, 4), text);
	else {
		utc(num(rep, 5), when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC");
		if (win != LIMIT_MONTH && win <= 86400)
			snprintf(buf, len, "450 4.7.1 sending limit %s reached, "
			    "try again after %s", text, when);
		else
			snprintf(buf, len, "550 5.7.1 sending limit %s reached "
			    "until %s", text, when);
	}
}

static void
suppressed_reply(const struct dec_call *c, const redisReply *rep,
    char *buf, size_t len)
{
	char		 date[32];
	int		 reason = (int)num(rep, 2);
	const char	*name = supcsv_reason_name(reason);

	utc(num(rep, 3), date, sizeof(date), "%Y-%m-%d");
	snprintf(buf, len, "550 %s <%s>: recipient suppressed%s: %s since %s",
	    reason == SUP_HARD_BOUNCE ? "5.1.1" : "5.7.1", c->recipient,
	    strcmp(el(rep, 1), "user") == 0 ? " for this account" : "",
	    name != NULL ? name : "manual", date);
}

/* The whole reason when the reply line fits DEC_REPLY_MAX, else cut at a
 * character boundary with "..." (clean() leaves ASCII; the check of
 * UTF-8 continuation bytes keeps it right should that change). */
static void
suspended_reply(const redisReply *rep, char *buf, size_t len)
{
	char	 reason[DEC_REPLY_MAX + 1];
	size_t	 room = DEC_REPLY_MAX - strlen(REPLY_SUSPENDED ": "), n;

	clean(reason, sizeof(reason), el(rep, 1));
	if (*reason == '\0') {
		snprintf(buf, len, REPLY_SUSPENDED);
		return;
	}
	if ((n = strlen(reason)) > room) {
		n = room - 3;
		while (n > 0 && ((unsigned char)reason[n] & 0xc0) == 0x80)
			n--;
		memcpy(reason + n, "...", 4);
	}
	snprintf(buf, len, REPLY_SUSPENDED ": %s", reason);
}

void
dec_unmarked(const struct conf *cf, char *buf, size_t len)
{
	snprintf(buf, len, "%s", cf->on_error == ON_ERROR_ACCEPT ? "DUNNO" :
	    REPLY_UNMARKED);
}

void
dec_reply(const struct conf *cf, const struct dec_call *c,
    const redisReply *rep, char *buf, size_t len)
{
	const char	*what, *at;

	if (c->stage == DEC_DUNNO) {
		snprintf(buf, len, "DUNNO");
		return;
	}
	if (c->argc == 0 && c->badrcpt[0] != '\0') {
		snprintf(buf, len, REPLY_BADRCPT, c->recipient, c->badrcpt);
		return;
	}
	if (c->argc == 0) {
		snprintf(buf, len, REPLY_UNKNOWN);
		return;
	}
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    rep->elements == 0) {
		snprintf(buf, len, "%s", cf->on_error == ON_ERROR_ACCEPT ?
		    "DUNNO" : REPLY_TEMPFAIL);
		return;
	}
	what = el(rep, 0);
	if (strcmp(what, "ok") == 0)
		snprintf(buf, len, "DUNNO");
	else if (strcmp(what, "unknown") == 0)
		snprintf(buf, len, REPLY_UNKNOWN);
	else if (strcmp(what, "suspended") == 0)
		suspended_reply(rep, buf, len);
	else if (strcmp(what, "domain") == 0) {
		at = strrchr(c->sender, '@');
		snprintf(buf, len, "553 5.7.1 <%s>: not authorised to send as "
		    "%s", c->sender, c->argv[6][0] ? c->argv[6] :
		    (at ? at + 1 : c->sender));
	} else if (strcmp(what, "nodomain") == 0)
		snprintf(buf, len, "553 5.7.1 <%s>: sender address has no "
		    "domain", c->sender);
	else if (strcmp(what, "suppressed") == 0)
		suppressed_reply(c, rep, buf, len);
	else if (strcmp(what, "limit") == 0 || strcmp(what, "dry") == 0)
		limit_reply(rep, buf, len);
	else
		snprintf(buf, len, "%s", cf->on_error == ON_ERROR_ACCEPT ?
		    "DUNNO" : REPLY_TEMPFAIL);
}

const char *
dec_refusal(const struct dec_call *c, const redisReply *rep)
{
	static const char *const why[] = {
		"unknown", "suspended", "domain", "nodomain", "suppressed",
		"limit", "dry", NULL
	};
	const char	*what;
	int		 i;

	if (c->stage == DEC_DUNNO)
		return NULL;
	if (c->argc == 0)
		return c->badrcpt[0] != '\0' ? "badrcpt" : "unknown";
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY)
		return NULL;
	what = el(rep, 0);
	for (i = 0; why[i] != NULL; i++)
		if (strcmp(what, why[i]) == 0)
			return i == 6 ? "limit" : why[i];
	return NULL;
}
