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
#include <stddef.h>
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
#include "xmalloc.h"

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
setkey(struct dec_call *c, const struct pol_request *r, const char *suffix)
{
	char	 buf[SCHEMA_KEY_MAX];

	schema_key_user(c->conf, r->sasl_username, suffix, buf, sizeof(buf));
	setstr(c, buf);
}

/* KEYS[1..4] and ARGV[1..6] of both scripts (lib/pscript.h). */
static void
common_keys(const struct pol_request *r, struct dec_call *c)
{
	setkey(c, r, SCHEMA_ACCT);
	setkey(c, r, SCHEMA_PLIM);
	setkey(c, r, SCHEMA_LIM);
	setkey(c, r, SCHEMA_CBASE);
}

static void
common_args(const struct conf *cf, long off, struct dec_call *c)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), "%ld", off);
	setstr(c, buf);
	setstr(c, cf->policyd_unknown_user == UNKNOWN_DEFAULT ? "default" :
	    "reject");
	setstr(c, cf->default_plan);
	setstr(c, "");			/* fallback: none yet */
	setstr(c, "");
	setstr(c, "");
}

static void
cmdset(struct dec_cmd *m, int i, const char *s, size_t n)
{
	if (n >= DEC_ARGLEN)
		n = DEC_ARGLEN - 1;
	memcpy(m->argv[i], s, n);
	m->argv[i][n] = '\0';
	m->argvlen[i] = n;
	if (m->argc <= i)
		m->argc = i + 1;
}

/*
 * The user's suppression bucket key of addr (KEYS) and its field (kept
 * in field, n bytes), and the global lookup of the same address.  addr
 * NULL: the key of bucket 0 and no field ("" is not looked up).
 */
static int
sup_key(const struct conf *cf, const struct pol_request *r,
    const char *addr, struct dec_call *c, char *field)
{
	char	 key[SCHEMA_KEY_MAX];
	int	 n = 0;
	struct dec_cmd *g;

	if (addr != NULL)
		n = schema_sup_field(addr, field, SCHEMA_SUP_FIELD_MAX);
	if (n <= 0)
		n = 0, addr = NULL;
	schema_key_sup(cf, r->sasl_username, addr == NULL ? 0 :
	    schema_sup_bucket(addr, r->sasl_username), key, sizeof(key));
	setstr(c, key);
	if (addr == NULL)
		return 0;
	g = &c->global[c->nglobal++];
	cmdset(g, 0, "HGET", 4);
	schema_key_sup(cf, NULL, schema_sup_bucket(addr, NULL), key,
	    sizeof(key));
	cmdset(g, 1, key, strlen(key));
	cmdset(g, 2, field, (size_t)n);
	return n;
}

/*
 * KEYS[5..7] and ARGV[7..9] of RCPT: the sender domain, then the
 * recipient's suppression lookups: its suppression form
 * (schema_sup_addr), and when folding changed it the exact form too, so
 * that entries stored before the fold (not yet re-filed by "outpostctl
 * suppress migrate") still match their own case.
 */
static void
rcpt_args(const struct conf *cf, const struct pol_request *r,
    struct dec_call *c)
{
	char		 dom[MAILDOMAIN_MAX + 1], addr[MAILADDR_MAX + 1];
	char		 exact[MAILADDR_MAX + 1], err[256];
	char		 f[2][SCHEMA_SUP_FIELD_MAX];
	const char	*at;
	int		 folded = 0, okaddr, n[2];

	setkey(c, r, SCHEMA_DOM);
	okaddr = mailaddr_norm(r->recipient, addr, sizeof(addr), err,
	    sizeof(err)) == 0;
	if (okaddr) {
		memcpy(exact, addr, sizeof(exact));
		folded = schema_sup_addr(cf, addr);
	}
	n[0] = sup_key(cf, r, okaddr ? addr : NULL, c, f[0]);
	n[1] = sup_key(cf, r, folded ? exact : NULL, c, f[1]);
	common_args(cf, c->off, c);
	dom[0] = '\0';				/* <> */
	at = strrchr(r->sender, '@');
	if (*r->sender != '\0' && (at == NULL || at[1] == '\0'))
		strcpy(dom, "@");		/* no domain: see pscript.h */
	else if (at != NULL && mailaddr_domain_norm(at + 1, dom, sizeof(dom),
	    err, sizeof(err)) < 0)
		clean(dom, sizeof(dom), at + 1);	/* will not match */
	setstr(c, dom);
	setarg(c, f[0], (size_t)n[0]);
	setarg(c, f[1], (size_t)n[1]);
}

/* KEYS[5] and ARGV[7..11] of END-OF-MESSAGE. */
static void
eom_args(const struct conf *cf, const struct pol_request *r,
    struct dec_call *c)
{
	char	 buf[SCHEMA_KEY_MAX];
	int	 q;

	q = schema_key_queue(cf, r->sasl_username, r->queue_id, buf,
	    sizeof(buf)) == 0;
	if (q)
		setstr(c, buf);
	else
		setkey(c, r, SCHEMA_ACCT);	/* not touched */
	common_args(cf, c->off, c);
	setstr(c, r->recipient_count[0] ? r->recipient_count : "0");
	setstr(c, r->size[0] ? r->size : "0");
	setstr(c, "3600");
	setstr(c, cf->policyd_dry_run ? "1" : "0");
	setstr(c, q ? "1" : "0");
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
	int	 i;

	memset(c, 0, offsetof(struct dec_call, argv));	/* policyd.h */
	for (i = 0; i < DEC_NGLOBAL; i++)
		c->global[i].argc = 0;
	c->plan[0].argc = c->plan[1].argc = 0;
	c->fbplan[0] = '\0';
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
	c->conf = cf;
	c->off = off;
	common_keys(r, c);
	if (c->stage == DEC_RCPT) {
		c->nkeys = DEC_NKEYS_RCPT;
		rcpt_args(cf, r, c);
	} else {
		c->nkeys = DEC_NKEYS_EOM;
		eom_args(cf, r, c);
	}
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

/* 1 when a live global entry overrides the script's verdict: the
 * account, its domains and its own list came first (lib/pscript.h). */
static int
global_applies(const struct dec_call *c, const redisReply *rep)
{
	if (c->stage != DEC_RCPT || !c->gsup || rep == NULL ||
	    rep->type != REDIS_REPLY_ARRAY)
		return 0;
	return strcmp(el(rep, 0), "ok") == 0 ||
	    strcmp(el(rep, 0), "limit") == 0;
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
	    rep->type != REDIS_REPLY_ARRAY || global_applies(c, rep))
		return 0;
	return strcmp(el(rep, 0), "dry") == 0 || (cf->policyd_dry_run &&
	    strcmp(el(rep, 0), "limit") == 0);
}

int
dec_counted(const struct dec_call *c, const redisReply *rep, char *buf,
    size_t len)
{
	if (c->stage != DEC_EOM || c->argc < c->nkeys + 8 || rep == NULL ||
	    rep->type != REDIS_REPLY_ARRAY || (strcmp(el(rep, 0), "ok") != 0 &&
	    strcmp(el(rep, 0), "dry") != 0))
		return 0;
	snprintf(buf, len, "%s: counted user=%s recipients=%s size=%s",
	    c->queue_id[0] ? c->queue_id : "NOQUEUE", c->user,
	    c->argv[c->nkeys + 6], c->argv[c->nkeys + 7]);
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
suppressed_text(const struct dec_call *c, int global, int reason,
    long long created, char *buf, size_t len)
{
	char		 date[32];
	const char	*name = supcsv_reason_name(reason);

	utc(created, date, sizeof(date), "%Y-%m-%d");
	snprintf(buf, len, "550 %s <%s>: recipient suppressed%s: %s since %s",
	    reason == SUP_HARD_BOUNCE ? "5.1.1" : "5.7.1", c->recipient,
	    global ? "" : " for this account", name != NULL ? name : "manual",
	    date);
}

int
dec_global(struct dec_call *c, int i, const redisReply *rep)
{
	struct schema_sup	 e;

	if (rep == NULL || i < 0 || i >= c->nglobal ||
	    (rep->type != REDIS_REPLY_STRING && rep->type != REDIS_REPLY_NIL))
		return -1;
	if (rep->type == REDIS_REPLY_NIL || c->gsup ||
	    schema_sup_decode(rep->str, &e) < 0)
		return 0;
	if (e.expires != 0 && e.expires <= (long long)time(NULL) + c->off)
		return 0;
	c->gsup = 1;
	c->greason = e.reason;
	c->gcreated = e.created;
	return 0;
}

static void
cmdstr(struct dec_cmd *m, int i, const char *s)
{
	cmdset(m, i, s, strlen(s));
}

int
dec_needplan(const struct conf *cf, struct dec_call *c,
    const redisReply *rep, char *plan, size_t len)
{
	char	 key[SCHEMA_KEY_MAX];
	size_t	 n;

	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY ||
	    strcmp(el(rep, 0), "needplan") != 0 || rep->elements < 2 ||
	    rep->element[1]->type != REDIS_REPLY_STRING)
		return 0;
	n = rep->element[1]->len;
	if (n >= len || n >= DEC_ARGLEN)
		return -1;
	memcpy(plan, rep->element[1]->str, n);
	plan[n] = '\0';
	memset(c->plan, 0, sizeof(c->plan));
	if (schema_key_plan(cf, plan, key, sizeof(key)) < 0)
		return -1;
	cmdstr(&c->plan[0], 0, "HGETALL");
	cmdstr(&c->plan[0], 1, key);
	schema_key_global(cf, SCHEMA_PLANS, key, sizeof(key));
	cmdstr(&c->plan[1], 0, "SISMEMBER");
	cmdstr(&c->plan[1], 1, key);
	cmdstr(&c->plan[1], 2, plan);
	return 1;
}

/* "DIM/WIN=COUNT ..." of an HGETALL reply; -1 when it does not fit. */
static int
encode_limits(const redisReply *h, char *buf, size_t len)
{
	size_t	 i, off = 0;
	int	 dim, n;
	long	 win;

	buf[0] = '\0';
	if (h == NULL || h->type != REDIS_REPLY_ARRAY)
		return 0;
	for (i = 0; i + 1 < h->elements; i += 2) {
		if (h->element[i]->type != REDIS_REPLY_STRING ||
		    h->element[i + 1]->type != REDIS_REPLY_STRING ||
		    schema_limit_field_parse(h->element[i]->str, &dim,
		    &win) < 0 || strspn(h->element[i + 1]->str,
		    "0123456789") != h->element[i + 1]->len ||
		    h->element[i + 1]->len == 0)
			continue;	/* ignored, as by the scripts */
		n = snprintf(buf + off, len - off, "%s%s=%s", off ? " " : "",
		    h->element[i]->str, h->element[i + 1]->str);
		if (n < 0 || (size_t)n >= len - off)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int
dec_fallback(struct dec_call *c, const char *plan, const redisReply *h,
    const redisReply *member)
{
	char	 lims[DEC_ARGLEN];
	int	 exists, a = c->nkeys + 3;

	exists = member != NULL && member->type == REDIS_REPLY_INTEGER &&
	    member->integer == 1;
	if (encode_limits(exists ? h : NULL, lims, sizeof(lims)) < 0)
		return -1;
	c->argc = a;			/* ARGV[4..6], then the rest again */
	setstr(c, plan);
	setstr(c, exists ? "1" : "0");
	setstr(c, lims);
	c->argc = (int)(c->stage == DEC_RCPT ? DEC_NKEYS_RCPT + 9 :
	    DEC_NKEYS_EOM + 11);
	return 0;
}

redisReply *
dec_reply_free(redisReply *r)
{
	size_t	 i;

	if (r == NULL)
		return NULL;
	for (i = 0; i < r->elements; i++)
		dec_reply_free(r->element[i]);
	free(r->element);
	free(r->str);
	free(r);
	return NULL;
}

redisReply *
dec_reply_copy(const redisReply *r)
{
	redisReply	*c;
	size_t		 i;

	if (r == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->type = r->type;
	c->integer = r->integer;
	if (r->str != NULL) {
		c->str = xmalloc(r->len + 1);
		memcpy(c->str, r->str, r->len);
		c->str[r->len] = '\0';
		c->len = r->len;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
		c->element = xcalloc(r->elements, sizeof(*c->element));
		c->elements = r->elements;
		for (i = 0; i < r->elements; i++)
			c->element[i] = dec_reply_copy(r->element[i]);
	}
	return c;
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
	if (global_applies(c, rep))
		suppressed_text(c, 1, c->greason, c->gcreated, buf, len);
	else if (strcmp(what, "ok") == 0)
		snprintf(buf, len, "DUNNO");
	else if (strcmp(what, "unknown") == 0)
		snprintf(buf, len, REPLY_UNKNOWN);
	else if (strcmp(what, "suspended") == 0)
		suspended_reply(rep, buf, len);
	else if (strcmp(what, "domain") == 0) {
		at = strrchr(c->sender, '@');
		snprintf(buf, len, "553 5.7.1 <%s>: not authorised to send as "
		    "%s", c->sender, c->argv[c->nkeys + 6][0] ?
		    c->argv[c->nkeys + 6] :
		    (at ? at + 1 : c->sender));
	} else if (strcmp(what, "nodomain") == 0)
		snprintf(buf, len, "553 5.7.1 <%s>: sender address has no "
		    "domain", c->sender);
	else if (strcmp(what, "suppressed") == 0)
		suppressed_text(c, 0, (int)num(rep, 2), num(rep, 3), buf, len);
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
	if (global_applies(c, rep))
		return "suppressed";
	what = el(rep, 0);
	for (i = 0; why[i] != NULL; i++)
		if (strcmp(what, why[i]) == 0)
			return i == 6 ? "limit" : why[i];
	return NULL;
}
