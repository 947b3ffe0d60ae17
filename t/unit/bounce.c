/*
 * Unit test of lib/bounce: the shipped etc/bounce-rules against a table
 * of real-shaped replies of the large mailbox providers, then the rule
 * language (first match wins, every condition, a site file before the
 * shipped one) and its errors with file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounce.h"
#include "../tap.h"

static const struct tcase {
	const char	*status, *dsn;
	int		 code;
	const char	*stage, *text, *cat, *cls;
} cases[] = {
	{ "sent", "2.0.0", 250, "DATA", "250 2.0.0 OK 1764656558 x12si1 - gsmtp", "delivered", "sent" },
	{ "sent", "2.0.0", 0, NULL, "delivered to mailbox", "delivered", "sent" },
	{ "expired", NULL, 0, NULL, "returned to sender", "expired", "expired" },
	{ "bounced", "5.1.1", 550, "RCPT", "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. https://support.google.com/mail/?p=NoSuchUser a1si2 - gsmtp", "hard", "bad-mailbox" },
	{ "bounced", "5.4.1", 550, "RCPT", "550 5.4.1 Recipient address rejected: Access denied. For more information see https://aka.ms/EXOSmtpErrors [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]", "hard", "bad-mailbox" },
	{ "bounced", "5.7.9", 554, "DATA", "554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes", "block", "content" },
	{ "deferred", "4.7.0", 421, "MAIL", "421 4.7.0 [TSS04] Messages from 198.51.100.2 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes", "block", "throttle" },
	{ "deferred", "4.2.2", 452, "RCPT", "452-4.2.2 The email account that you tried to reach is over quota. Please direct 452-4.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaTemp", "soft", "mailbox-full" },
	{ "bounced", "5.7.1", 554, "RCPT", "554 5.7.1 Service unavailable; Client host [198.51.100.2] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.2", "block", "reputation" },
	{ "bounced", "5.7.1", 550, "MAIL", "550 5.7.1 Unfortunately, messages from [198.51.100.2] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150).", "block", "reputation" },
	{ "bounced", "5.7.26", 550, "DATA", "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's 550-5.7.26 DMARC policy.", "block", "auth" },
	{ "bounced", "5.7.25", 550, "DATA", "550-5.7.25 The IP address sending this message does not have a PTR record setup", "block", "auth" },
	{ "deferred", "4.7.28", 421, "DATA", "421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP address.", "block", "throttle" },
	{ "bounced", "5.7.1", 550, "DATA", "550-5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked.", "block", "reputation" },
	{ "bounced", "5.7.1", 552, "DATA", "552-5.7.0 This message was blocked because its content presents a potential 552-5.7.0 security issue.", "block", "reputation" },
	{ "bounced", "5.7.0", 552, "DATA", "552 5.7.0 Our system detected an illegal attachment on this message", "block", "policy" },
	{ "bounced", "5.7.1", 550, "DATA", "550 5.7.1 Message rejected as spam by Content Filtering.", "block", "content" },
	{ "bounced", "5.2.2", 552, "RCPT", "552 5.2.2 <bob@example.org>: mailbox full", "soft", "mailbox-full" },
	{ "bounced", "5.0.0", 550, "RCPT", "550 5.0.0 Mailbox full: over quota", "soft", "mailbox-full" },
	{ "bounced", "5.0.0", 550, "RCPT", "550 5.0.0 <bob@example.org>: no such user here", "hard", "bad-mailbox" },
	{ "bounced", "5.0.0", 550, "RCPT", "550 Requested action not taken: mailbox unavailable", "hard", "bad-mailbox" },
	{ "bounced", "5.0.0", 0, NULL, "User unknown, no such account here", "hard", "bad-mailbox" },
	{ "deferred", "4.0.0", 450, "RCPT", "450 <bob@example.org>: User unknown in local recipient table", "soft", "temporary" },
	{ "deferred", "4.1.1", 450, "RCPT", "450 4.1.1 <bob@example.org>: Recipient address rejected: unverified address: host mx[1.2.3.4] said: 550 5.1.1 user unknown", "soft", "temporary" },
	{ "bounced", "5.1.10", 550, "RCPT", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", "hard", "null-mx" },
	{ "bounced", "5.1.2", 0, "CONNECT", "Host or domain name not found. Name service error for name=nowhere.example type=MX: Host not found", "hard", "bad-domain" },
	{ "bounced", "5.4.4", 0, "CONNECT", "Host or domain name not found. Name service error for name=nowhere.example type=A: Host not found", "soft", "connection" },
	{ "bounced", "5.1.0", 550, "RCPT", "550 5.1.0 Address rejected.", "hard", "bad-mailbox" },
	{ "bounced", "5.1.8", 553, "MAIL", "553 5.1.8 <a@bad.example>... Domain of sender address a@bad.example does not exist", "soft", "bad-sender" },
	{ "deferred", "4.4.1", 0, "CONNECT", "connect to mx.example.org[192.0.2.9]:25: Connection timed out", "soft", "connection" },
	{ "deferred", "4.4.2", 0, "RCPT", "lost connection with mx.example.com[192.0.2.10] while sending RCPT TO", "soft", "connection" },
	{ "deferred", "4.4.2", 0, "CONNECT", "conversation with mx.example.com[192.0.2.10] timed out while receiving the initial server greeting", "soft", "connection" },
	{ "deferred", "4.2.0", 450, "RCPT", "450 4.2.0 <bob@example.org>: Recipient address rejected: Greylisted, see http://postgrey.example/", "soft", "temporary" },
	{ "deferred", "4.7.1", 450, "RCPT", "450 4.7.1 <bob@example.org>: Recipient address rejected: Client host rejected: cannot find your reverse hostname, [198.51.100.2]", "block", "reputation" },
	{ "deferred", "4.7.0", 421, "CONNECT", "421 4.7.0 mx.example.com Error: too many connections from 198.51.100.2", "block", "throttle" },
	{ "deferred", "4.7.1", 451, "RCPT", "451 4.7.1 Rate limit exceeded, please try again later", "block", "throttle" },
	{ "deferred", "4.7.650", 451, "RCPT", "451 4.7.650 The mail server [198.51.100.2] has been temporarily rate limited due to IP reputation.", "block", "throttle" },
	{ "bounced", "5.7.606", 550, "RCPT", "550 5.7.606 Access denied, banned sending IP [198.51.100.2]. To request removal from this list please visit https://sender.office.com/", "block", "reputation" },
	{ "bounced", "5.7.1", 554, "DATA", "554 5.7.1 [P4] Message blocked due to spam content in the message.", "block", "reputation" },
	{ "bounced", "5.7.1", 553, "RCPT", "553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.2, because the ip is in Spamhaus's list", "block", "reputation" },
	{ "bounced", "5.2.1", 550, "RCPT", "550 5.2.1 The email account that you tried to reach is disabled.", "soft", "unclassified" },
	{ "bounced", "5.0.0", 554, "RCPT", "554 delivery error: dd This user doesn't have a yahoo.com account (bob@yahoo.com) [0] - mta1047.mail.ne1.yahoo.com", "hard", "bad-mailbox" },
	{ "bounced", "5.7.1", 554, "CONNECT", "554 5.7.1 Service unavailable; client [198.51.100.2] blocked using bl.spamcop.net", "block", "reputation" },
	{ "bounced", "5.7.23", 550, "DATA", "550 5.7.23 The message was rejected because of Sender Policy Framework violation", "block", "auth" },
	{ "bounced", "5.7.1", 550, "DATA", "550 5.7.1 Email rejected per DMARC policy for example.com", "block", "auth" },
	{ "bounced", "5.3.4", 552, "DATA", "552 5.3.4 Error: message file too big", "soft", "unclassified" },
	{ "bounced", "5.7.1", 554, "RCPT", "554 5.7.1 <x@example.org>: Relay access denied", "block", "policy" },
	{ "deferred", "4.3.0", 451, "DATA", "451 4.3.0 Temporary system failure, please try again later", "soft", "temporary" },
	{ "bounced", "5.5.0", 550, "RCPT", "550 5.5.0 Requested action not taken: mailbox unavailable (bob@example.org)", "hard", "bad-mailbox" },
};

static void
table(const struct bounce_rules *rs)
{
	struct bounce_verdict	 v;
	size_t			 i;
	int			 m;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tcase *c = &cases[i];

		m = bounce_classify(rs, c->status, c->dsn, c->code, c->stage,
		    c->text, &v);
		if (!ok(m == 1 && strcmp(bounce_category_name(v.category),
		    c->cat) == 0 && strcmp(v.class, c->cls) == 0,
		    "%s/%s: %.60s", c->cat, c->cls, c->text))
			diag("got %s/%s (rule %s:%d)",
			    bounce_category_name(v.category), v.class,
			    v.file ? v.file : "-", v.line);
	}
}

static void
timing(const struct bounce_rules *rs)
{
	struct bounce_verdict	 v;
	struct timespec		 a, b;
	size_t			 i, n = 0;
	int			 k;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (k = 0; k < 200; k++)
		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++, n++)
			bounce_classify(rs, cases[i].status, cases[i].dsn,
			    cases[i].code, cases[i].stage, cases[i].text, &v);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	diag("timing: %.0f ns CPU per classification (shipped rules)",
	    ((double)(b.tv_sec - a.tv_sec) * 1e9 +
	    (double)(b.tv_nsec - a.tv_nsec)) / (double)n);
}

static void
language(void)
{
	static const char site[] =
	    "# site rules\n"
	    "hard  bounce-test  text=\"^550 .*custom\"  stage=rcpt,data\n"
	    "\n"
	    "   block  quoted  text=\"say \\\"hi\\\" \\.now\"\n"
	    "soft  any-stage  code=4?? stage=any\n"
	    "soft  no-stage  stage=none status=bounced,deferred\n";
	struct bounce_rules	*rs = bounce_rules_new();
	struct bounce_verdict	 v;
	char			 err[512];

	ok(bounce_rules_add_text(rs, "site", site, sizeof(site) - 1, err,
	    sizeof(err)) == 0, "site rules load");
	is_int((long long)bounce_rules_count(rs), 4, "four rules");
	bounce_classify(rs, "bounced", "5.0.0", 550, "DATA",
	    "550 a custom reply", &v);
	ok(strcmp(v.class, "bounce-test") == 0 && v.line == 2 &&
	    strcmp(v.file, "site") == 0, "regex + stage list, file and line");
	bounce_classify(rs, "bounced", "5.0.0", 550, "MAIL",
	    "550 a custom reply", &v);
	ok(strcmp(v.class, "bounce-test") != 0, "stage MAIL not in the list");
	bounce_classify(rs, "bounced", "5.0.0", 550, NULL,
	    "x SAY \"HI\" .NOW", &v);
	is_str(v.class, "quoted", "quoted regex with \\\", case-insensitive");
	bounce_classify(rs, "bounced", "5.0.0", 550, NULL,
	    "x say \"hi\" xnow", &v);
	is_str(v.class, "no-stage", "\\. is a literal dot; stage=none");
	bounce_classify(rs, "deferred", "4.0.0", 451, "TLS", "", &v);
	is_str(v.class, "any-stage", "code=4?? stage=any");
	ok(bounce_classify(rs, "sent", "2.0.0", 250, "DATA", "ok", &v) == 0 &&
	    v.category == BOUNCE_DELIVERED && strcmp(v.class, "unmatched") ==
	    0 && v.line == 0, "no rule: fallback delivered/unmatched");
	ok(bounce_classify(rs, "bounced", "5.0.0", 0, "RCPT", "x", &v) == 0 &&
	    v.category == BOUNCE_SOFT, "no rule for a 5xx: soft, never hard");
	bounce_rules_free(rs);
}

static void
errors(void)
{
	static const struct { const char *text, *err; } bad[] = {
		{ "soft ok\nhardd x dsn=5.1.1\n",
		  "f:2: unknown category 'hardd' (delivered, soft, hard, block, expired)" },
		{ "hard\n", "f:1: missing class after 'hard'" },
		{ "hard Bad\n", "f:1: bad class 'Bad' ([a-z0-9][a-z0-9._-]*, at most 31 characters)" },
		{ "hard x dsn=5.1.1 dsn=5.1.2\n", "f:1: condition 'dsn' given twice" },
		{ "hard x dsn=5.1.a\n", "f:1: bad dsn pattern '5.1.a' (characters 0123456789.*?, at most 15)" },
		{ "hard x code=55x\n", "f:1: bad code pattern '55x' (characters 0123456789*?, at most 15)" },
		{ "hard x status=sent,bouncd\n", "f:1: unknown status 'bouncd'" },
		{ "hard x stage=RCTP\n", "f:1: unknown stage 'RCTP'" },
		{ "hard x colour=red\n", "f:1: unknown condition 'colour' (status, dsn, code, stage, text)" },
		{ "hard x dsn\n", "f:1: expected KEY=VALUE, not 'dsn'" },
		{ "\n\n# c\nhard x text=\"abc\n", "f:4: unterminated quote" },
		{ "hard x text=\n", "f:1: empty text pattern" },
		{ "hard x text=(a\n", "f:1: bad text pattern: Unmatched ( or \\(" },
	};
	struct bounce_rules	*rs;
	char			 err[512];
	size_t			 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rs = bounce_rules_new();
		err[0] = '\0';
		ok(bounce_rules_add_text(rs, "f", bad[i].text,
		    strlen(bad[i].text), err, sizeof(err)) == -1 &&
		    bounce_rules_count(rs) == 0, "rejected: %s",
		    tap_name(bad[i].text));
		is_str(err, bad[i].err, "its error");
		bounce_rules_free(rs);
	}
	{
		const char	*paths[] = { "t/unit/bounce-no-such-file" };

		ok(bounce_rules_load(paths, 1, err, sizeof(err)) == NULL &&
		    strstr(err, "bounce-no-such-file: No such file") != NULL,
		    "missing file named: %s", err);
	}
}

int
main(void)
{
	const char		*paths[] = { "etc/bounce-rules" };
	struct bounce_rules	*rs;
	char			 err[512];

	rs = bounce_rules_load(paths, 1, err, sizeof(err));
	if (!ok(rs != NULL, "etc/bounce-rules loads"))
		diag("%s", err);
	else {
		ok(sizeof(cases) / sizeof(cases[0]) >= 40, "%zu replies",
		    sizeof(cases) / sizeof(cases[0]));
		table(rs);
		timing(rs);
	}
	bounce_rules_free(rs);
	language();
	errors();
	return done_testing();
}
