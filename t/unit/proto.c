/*
 * Unit test of policyd/proto.c (the policy protocol parser) and of the
 * reply texts of policyd/decide.c: tables of requests and replies.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "../../policyd/policyd.h"
#include "../tap.h"

#define RCPT "request=smtpd_access_policy\nprotocol_state=RCPT\n" \
	"sasl_username=bob\nsender=a@example.com\nrecipient=x@dest.org\n" \
	"instance=1a.2b\n"

static void
parse_cases(void)
{
	static const struct {
		const char *name, *in;
		int rc; size_t used; const char *state, *user, *err;
	} cases[] = {
		{ "rcpt", RCPT "\n", 1, sizeof(RCPT), "RCPT", "bob", NULL },
		{ "two pipelined", RCPT "\n" RCPT "\n", 1, sizeof(RCPT),
		    "RCPT", "bob", NULL },
		{ "incomplete", RCPT, 0, 0, NULL, NULL, NULL },
		{ "half a line", "request=smtpd_acc", 0, 0, NULL, NULL, NULL },
		{ "crlf", "protocol_state=DATA\r\nsasl_username=\r\n\r\n", 1,
		    39, "DATA", "", NULL },
		{ "empty value, = in value", "sender=\nrecipient=a=b@c\n\n",
		    1, 25, "", "", NULL },
		{ "unknown attrs ignored", "foo=bar\nprotocol_state=RCPT\n\n",
		    1, 29, "RCPT", "", NULL },
		{ "last wins", "sasl_username=a\nsasl_username=b\n\n", 1, 33,
		    "", "b", NULL },
		{ "no equals", "request=smtpd_access_policy\ngarbage\n\n", -1,
		    0, NULL, NULL, "not name=value" },
		{ "empty name", "=value\n\n", -1, 0, NULL, NULL,
		    "not name=value" },
		{ "bad name", "na me=value\n\n", -1, 0, NULL, NULL,
		    "bad attribute name" },
		{ "garbage before end", "GET / HTTP/1.0\n", -1, 0, NULL, NULL,
		    "not name=value" },
		{ "empty request", "\n", -1, 0, NULL, NULL, "empty request" },
		{ "NUL in line", "a=b\0c\n\n", -1, 0, NULL, NULL, "NUL" },
		{ "counts", "size=123456789012345\nrecipient_count=0\n\n",
		    1, 40, "", "", NULL },
		{ "empty counts", "size=\nrecipient_count=\n\n", 1, 24, "",
		    "", NULL },
		{ "fraction", "recipient_count=1.5\n\n", -1, 0, NULL, NULL,
		    "recipient_count is not a count" },
		{ "sign", "size=-1\n\n", -1, 0, NULL, NULL,
		    "size is not a count" },
		{ "16 digits", "size=1234567890123456\n\n", -1, 0, NULL, NULL,
		    "size is not a count" },
		{ "space", "size= 1\n\n", -1, 0, NULL, NULL,
		    "size is not a count" },
		{ "hex", "recipient_count=0x10\n\n", -1, 0, NULL, NULL,
		    "recipient_count is not a count" },
	};
	struct pol_request	 req;
	char			 buf[512], err[256];
	size_t			 i, used, n;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].in);
		if (strcmp(cases[i].name, "NUL in line") == 0)
			n = 7;
		memcpy(buf, cases[i].in, n);
		err[0] = '\0';
		used = 0;
		rc = pol_parse(buf, n, &req, &used, err, sizeof(err));
		is_int(rc, cases[i].rc, cases[i].name);
		if (rc == 1) {
			is_int((long long)used, (long long)cases[i].used,
			    "used bytes");
			is_str(req.protocol_state, cases[i].state, "state");
			is_str(req.sasl_username, cases[i].user, "user");
		}
		if (cases[i].err != NULL)
			ok(strstr(err, cases[i].err) != NULL, "error: %s", err);
	}
}

static void
limits(void)
{
	struct pol_request	 req;
	char			*big, err[256];
	size_t			 used;

	big = malloc(POL_REQUEST_MAX + 10);
	memset(big, 'x', POL_LINE_MAX + 1);
	memcpy(big, "sender=", 7);
	is_int(pol_parse(big, POL_LINE_MAX + 1, &req, &used, err,
	    sizeof(err)), -1, "line of 8 KiB + 1 without newline");
	ok(strstr(err, "longer than") != NULL, "error: %s", err);
	memset(big, 'x', POL_LINE_MAX);
	memcpy(big, "sender=", 7);
	is_int(pol_parse(big, POL_LINE_MAX, &req, &used, err, sizeof(err)),
	    0, "line of exactly 8 KiB: wait for more");
	for (used = 0; used + 100 <= POL_REQUEST_MAX; used += 100) {
		memset(big + used, 'y', 99);
		memcpy(big + used, "a=", 2);
		big[used + 99] = '\n';
	}
	memset(big + used, 'z', POL_REQUEST_MAX - used);
	memcpy(big + used, "a=", 2);
	is_int(pol_parse(big, POL_REQUEST_MAX, &req, &used, err, sizeof(err)),
	    -1, "64 KiB without an empty line");
	ok(strstr(err, "no end of request") != NULL, "error: %s", err);
	free(big);
}

static redisReply *
mk(int type, const char *s, long long n)
{
	redisReply	*r = calloc(1, sizeof(*r));

	r->type = type;
	if (s != NULL) {
		r->str = strdup(s);
		r->len = strlen(s);
	}
	r->integer = n;
	return r;
}

/* Build an array reply from "s:text" / "i:number" items. */
static redisReply *
arr(const char *const *items, size_t n)
{
	redisReply	*r = mk(REDIS_REPLY_ARRAY, NULL, 0);
	size_t		 i;

	r->elements = n;
	r->element = calloc(n, sizeof(*r->element));
	for (i = 0; i < n; i++)
		r->element[i] = items[i][0] == 's' ?
		    mk(REDIS_REPLY_STRING, items[i] + 2, 0) :
		    mk(REDIS_REPLY_INTEGER, NULL, atoll(items[i] + 2));
	return r;
}

/* Recipients that do not normalise: refused before Redis (Postfix would
 * rewrite the first two to bounce@example.org with its default hacks). */
static void
bad_recipients(struct conf *cf, struct pol_request *req)
{
	static const struct { const char *rcpt, *want; } cases[] = {
		{ "bounce%example.org", "550 5.1.3 <bounce%example.org>: "
		    "recipient address not accepted (missing '@'): write it "
		    "as local-part@domain" },
		{ "example.org!bounce", "550 5.1.3 <example.org!bounce>: "
		    "recipient address not accepted (missing '@'): write it "
		    "as local-part@domain" },
		{ "a@b@example.org", "550 5.1.3 <a@b@example.org>: "
		    "recipient address not accepted (more than one '@'): "
		    "write it as local-part@domain" },
		{ "postmaster", "550 5.1.3 <postmaster>: recipient address "
		    "not accepted (missing '@'): write it as "
		    "local-part@domain" },
	};
	struct dec_call	 call;
	char		 buf[1024];
	size_t		 i;

	req->sasl_username = "bob";
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req->recipient = cases[i].rcpt;
		is_int(dec_prepare(cf, req, 0, &call), DEC_RCPT,
		    cases[i].rcpt);
		is_int(call.argc, 0, "  no Redis call");
		dec_reply(cf, &call, NULL, buf, sizeof(buf));
		is_str(buf, cases[i].want, "  its reply");
	}
	req->recipient = "bounce%example.org@example.org";
	dec_prepare(cf, req, 0, &call);
	is_int(call.argc, 16, "a '%' inside a local part is looked up");
}

/* The global suppression list: the daemon's own HGET, combined here. */
static void
global_sup(void)
{
	static const char *val[] = { "s:114482880" };	/* 0 + 4 * minutes */
	static const char *old[] = { "s:114482880:2" };	/* expired */
	static const char *okr[] = { "s:ok" };
	static const char *lim[] = { "s:limit", "s:messages/3600", "i:1",
	    "i:1", "i:1", "i:1717243260", "i:0" };
	static const char *usr[] = { "s:unknown" };
	struct pol_request	 req;
	struct dec_call		 call;
	struct conf		 cf;
	redisReply		*v, *r;
	char			 buf[1024], in[] = RCPT "\n";
	size_t			 used;

	conf_init(&cf);
	pol_parse(in, sizeof(in) - 1, &req, &used, buf, sizeof(buf));
	dec_prepare(&cf, &req, 0, &call);
	is_int(call.nglobal, 1, "one global lookup (nothing folded)");
	is_str(call.global[0].argv[0], "HGET", "... an HGET");
	ok(strncmp(call.global[0].argv[1], "outpost:sup:", 12) == 0,
	    "... of a global bucket");
	ok(strstr(call.argv[5], "{u:bob}:sup:") != NULL,
	    "the script gets the user's bucket only");
	v = arr(old, 1);
	is_int(dec_global(&call, 0, v->element[0]), 0, "expired entry read");
	freeReplyObject(v);
	r = arr(okr, 1);
	dec_reply(&cf, &call, r, buf, sizeof(buf));
	is_str(buf, "DUNNO", "an expired global entry does not refuse");
	ok(dec_global(&call, 0, NULL) < 0, "a failed lookup is an error");
	v = arr(val, 1);
	dec_global(&call, 0, v->element[0]);
	freeReplyObject(v);
	dec_reply(&cf, &call, r, buf, sizeof(buf));
	is_str(buf, "550 5.1.1 <x@dest.org>: recipient suppressed: "
	    "hard-bounce since 2024-06-01", "a live global entry refuses ok");
	is_str(dec_refusal(&call, r), "suppressed", "... logged suppressed");
	freeReplyObject(r);
	r = arr(lim, 7);
	dec_reply(&cf, &call, r, buf, sizeof(buf));
	ok(strncmp(buf, "550 5.1.1", 9) == 0, "... and a limit refusal");
	cf.policyd_dry_run = 1;
	ok(!dec_dry(&cf, &call, r), "... which no dry run turns into DUNNO");
	freeReplyObject(r);
	r = arr(usr, 1);
	dec_reply(&cf, &call, r, buf, sizeof(buf));
	is_str(buf, "554 5.7.1 unknown sending account",
	    "the account comes before the global list");
	freeReplyObject(r);
	conf_free(&cf);
}

static void
replies(void)
{
	static const struct {
		const char *items[8]; size_t n; int stage; const char *want;
	} cases[] = {
		{ { "s:ok" }, 1, DEC_RCPT, "DUNNO" },
		{ { "s:unknown" }, 1, DEC_RCPT,
		    "554 5.7.1 unknown sending account" },
		{ { "s:suspended", "s:compromised\naccount", "s:1" }, 3,
		    DEC_RCPT, "554 5.7.1 sending account suspended: "
		    "compromised?account" },
		{ { "s:suspended", "s:", "s:1" }, 3, DEC_RCPT,
		    "554 5.7.1 sending account suspended" },
		{ { "s:domain" }, 1, DEC_RCPT, "553 5.7.1 <a@example.com>: "
		    "not authorised to send as example.com" },
		{ { "s:suppressed", "s:user", "i:1", "i:1717243200" }, 4,
		    DEC_RCPT, "550 5.7.1 <x@dest.org>: recipient suppressed "
		    "for this account: complaint since 2024-06-01" },
		{ { "s:limit", "s:messages/3600", "i:100", "i:100", "i:1",
		    "i:1717243260", "i:0" }, 7, DEC_RCPT, "450 4.7.1 sending "
		    "limit messages=100/1h reached, try again after "
		    "2024-06-01 12:01:00 UTC" },
		{ { "s:limit", "s:recipients/604800", "i:5000", "i:4999",
		    "i:2", "i:1717243260", "i:0" }, 7, DEC_EOM, "550 5.7.1 "
		    "sending limit recipients=5K/7d reached until "
		    "2024-06-01 12:01:00 UTC" },
		{ { "s:limit", "s:messages/month", "i:1000", "i:1000", "i:1",
		    "i:1719792000", "i:0" }, 7, DEC_EOM, "550 5.7.1 sending "
		    "limit messages=1K/month reached until 2024-07-01 "
		    "00:00:00 UTC" },
		{ { "s:limit", "s:bytes/86400", "i:10000000", "i:0",
		    "i:20000000", "i:0", "i:1" }, 7, DEC_EOM, "552 5.3.4 "
		    "message size 20000000 exceeds the limit bytes=10M/1d" },
		{ { "s:limit", "s:recipients/3600", "i:100", "i:0",
		    "i:150", "i:0", "i:1" }, 7, DEC_EOM, "550 5.5.3 too many "
		    "recipients (150) for the limit recipients=100/1h" },
		{ { "s:bogus" }, 1, DEC_EOM, "451 4.3.0 policy service "
		    "temporarily unavailable, try again later" },
	};
	struct pol_request	 req;
	struct dec_call		 call;
	struct conf		 cf;
	redisReply		*r;
	char			 buf[1024], in[] = RCPT "\n";
	size_t			 i, used;

	conf_init(&cf);
	pol_parse(in, sizeof(in) - 1, &req, &used, buf, sizeof(buf));
	is_int(dec_prepare(&cf, &req, 0, &call), DEC_RCPT, "RCPT prepared");
	is_int(call.argc, 16, "RCPT script arguments");
	is_int(call.nkeys, 7, "RCPT keys");
	is_str(call.argv[call.nkeys + 6], "example.com",
	    "sender domain argument");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = arr(cases[i].items, cases[i].n);
		call.stage = cases[i].stage;
		dec_reply(&cf, &call, r, buf, sizeof(buf));
		is_str(buf, cases[i].want, cases[i].items[0]);
		freeReplyObject(r);
	}
	dec_reply(&cf, &call, NULL, buf, sizeof(buf));
	is_str(buf, "451 4.3.0 policy service temporarily unavailable, try "
	    "again later", "Redis failed, on_error=defer");
	dec_unmarked(&cf, buf, sizeof(buf));
	is_str(buf, "451 4.3.0 sending policy data unavailable, try again "
	    "later", "no schema marker, on_error=defer: 451, not 554");
	cf.on_error = ON_ERROR_ACCEPT;
	dec_reply(&cf, &call, NULL, buf, sizeof(buf));
	is_str(buf, "DUNNO", "Redis failed, on_error=accept");
	dec_unmarked(&cf, buf, sizeof(buf));
	is_str(buf, "DUNNO", "no schema marker, on_error=accept: not judged");
	req.sasl_username = "";
	is_int(dec_prepare(&cf, &req, 0, &call), DEC_DUNNO,
	    "unauthenticated: DUNNO");
	req.sasl_username = "bob";
	req.protocol_state = "DATA";
	is_int(dec_prepare(&cf, &req, 0, &call), DEC_DUNNO, "DATA: DUNNO");
	req.protocol_state = "RCPT";
	req.sasl_username = "evil{x}";
	dec_prepare(&cf, &req, 0, &call);
	dec_reply(&cf, &call, NULL, buf, sizeof(buf));
	is_str(buf, "554 5.7.1 unknown sending account",
	    "a name no account can have");
	bad_recipients(&cf, &req);
	conf_free(&cf);
}

/* Suspension reasons up to the reply line limit, cut with "..." above. */
static void
long_reasons(void)
{
	static const struct { size_t n; size_t want_len; int cut; } cases[] = {
		{ 255, 37 + 255, 0 }, { 256, 37 + 256, 0 },
		{ 400, 37 + 400, 0 },		/* outpostctl's maximum */
		{ 473, DEC_REPLY_MAX, 0 },	/* exactly fits */
		{ 474, DEC_REPLY_MAX, 1 }, { 2000, DEC_REPLY_MAX, 1 },
	};
	const char	*items[3] = { "s:suspended", NULL, "s:1" };
	struct dec_call	 call;
	struct conf	 cf;
	redisReply	*r;
	char		 buf[1024], *reason;
	size_t		 i, n;

	conf_init(&cf);
	memset(&call, 0, sizeof(call));
	call.stage = DEC_RCPT;
	call.argc = 10;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reason = malloc(cases[i].n + 3);
		memcpy(reason, "s:", 2);
		memset(reason + 2, 'r', cases[i].n);
		reason[cases[i].n + 2] = '\0';
		items[1] = reason;
		r = arr(items, 3);
		dec_reply(&cf, &call, r, buf, sizeof(buf));
		n = strlen(buf);
		ok(n == cases[i].want_len, "reason of %zu: reply of %zu bytes "
		    "(want %zu)", cases[i].n, n, cases[i].want_len);
		ok(strncmp(buf, "554 5.7.1 sending account suspended: rrr",
		    40) == 0, "... starts with the reason");
		ok((n > 3 && strcmp(buf + n - 3, "...") == 0) == cases[i].cut,
		    "... cut with \"...\": %d", cases[i].cut);
		freeReplyObject(r);
		free(reason);
	}
	conf_free(&cf);
}

/* The daemon's log decisions: accounting, dry run, missing plan. */
static void
log_decisions(void)
{
	static const char *okr[] = { "s:ok" }, *noplan[] = { "s:ok",
	    "s:noplan", "s:ghost" }, *lim[] = { "s:limit", "s:messages/3600",
	    "i:3", "i:3", "i:1", "i:1717243260", "i:0" }, *dry[] = { "s:dry",
	    "s:messages/3600", "i:3", "i:3", "i:1", "i:1717243260", "i:0",
	    "s:" };
	struct pol_request	 req;
	struct dec_call		 call;
	struct conf		 cf;
	redisReply		*r;
	char			 buf[512], in[] = RCPT "\n";
	size_t			 used;

	conf_init(&cf);
	pol_parse(in, sizeof(in) - 1, &req, &used, buf, sizeof(buf));
	req.protocol_state = "END-OF-MESSAGE";
	req.queue_id = "4XyZ";
	req.recipient_count = "2";
	req.size = "1834";
	dec_prepare(&cf, &req, 0, &call);
	r = arr(okr, 1);
	ok(dec_counted(&call, r, buf, sizeof(buf)) == 1 && strcmp(buf,
	    "4XyZ: counted user=bob recipients=2 size=1834") == 0,
	    "accounting line: %s", buf);
	ok(!dec_dry(&cf, &call, r), "ok is not a dry-run refusal");
	freeReplyObject(r);
	r = arr(lim, 7);
	ok(!dec_counted(&call, r, buf, sizeof(buf)), "a limit: not counted");
	ok(!dec_dry(&cf, &call, r), "limit without dry run: refused");
	cf.policyd_dry_run = 1;
	ok(dec_dry(&cf, &call, r), "limit with dry run: admitted");
	freeReplyObject(r);
	r = arr(dry, 8);
	ok(dec_dry(&cf, &call, r) && dec_counted(&call, r, buf, sizeof(buf)),
	    "dry reply: admitted and counted");
	dec_reply(&cf, &call, r, buf, sizeof(buf));
	ok(strncmp(buf, "450 4.7.1 sending limit messages=3/1h", 37) == 0,
	    "dry reply: the refusal it would make: %s", buf);
	freeReplyObject(r);
	req.protocol_state = "RCPT";
	dec_prepare(&cf, &req, 0, &call);
	r = arr(noplan, 3);
	ok(dec_noplan(&call, r, buf, sizeof(buf)) && strcmp(buf, "ghost") == 0,
	    "noplan: the plan's name");
	dec_reply(&cf, &call, r, buf, sizeof(buf));
	is_str(buf, "DUNNO", "noplan: admitted");
	freeReplyObject(r);
	conf_free(&cf);
}

int
main(void)
{
	parse_cases();
	log_decisions();
	limits();
	replies();
	global_sup();
	long_reasons();
	return done_testing();
}
