/*
 * Unit test of lib/rfc5322: a table of From header values, each with the
 * addresses it must yield ("local@domain", '|' between them, "" for none)
 * or, starting with '!', a substring of the error it must give; then the
 * large inputs built at run time (64 KB, deep comments, 10,000 addresses)
 * and the small helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rfc5322.h"
#include "../tap.h"

struct fcase {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	const char	*want;		/* addresses or "!error substring" */
	const char	*display;	/* of the first address, NULL: unchecked */
	const char	*group;		/* of the first address, NULL: none */
};

static const struct fcase cases[] = {
	/* plain forms */
	{ "user@example.com", 0, "user@example.com", "", NULL },
	{ "<user@example.com>", 0, "user@example.com", "", NULL },
	{ "John Doe <john@example.com>", 0, "john@example.com", "John Doe",
	    NULL },
	{ "\"Doe, John\" <john@example.com>", 0, "john@example.com",
	    "Doe, John", NULL },
	{ "John Q. Public <jqp@example.com>", 0, "jqp@example.com",
	    "John Q. Public", NULL },
	{ "Bob <Bob.Smith@EXAMPLE.Com>", 0, "Bob.Smith@example.com", "Bob",
	    NULL },
	{ "root@localhost", 0, "root@localhost", "", NULL },
	{ "John\tDoe <a@x.example>", 0, "a@x.example", "John Doe", NULL },
	{ "\"\" <a@x.example>", 0, "a@x.example", "", NULL },
	{ "Mr \"X\" <\"x y\"@example.com>", 0, "x y@example.com", "Mr X",
	    NULL },
	/* one address or two, never confused */
	{ "\"a@evil.com\" <b@good.com>", 0, "b@good.com", "a@evil.com", NULL },
	{ "\"Evil <a@evil.com> \\\"x\\\"\" <b@good.com>", 0, "b@good.com",
	    "Evil <a@evil.com> \"x\"", NULL },
	{ "a@evil.com, b@good.com", 0, "a@evil.com|b@good.com", "", NULL },
	{ "<a@x.example> <b@y.example>", 0,
	    "!expected ',' or end of value after address, found '<' at "
	    "offset 14", NULL, NULL },
	{ "a@x.example (comment, b@y.example)", 0, "a@x.example", "", NULL },
	{ "a@x.example b@y.example", 0, "!found 'b' at offset 12", NULL,
	    NULL },
	{ "a@evil.com <b@good.com>", 0, "!found '<' at offset 11", NULL,
	    NULL },
	{ "\"a@evil.com\"@good.com", 0, "a@evil.com@good.com", "", NULL },
	{ "John Doe, Jr. <a@x.example>", 0,
	    "!expected '@' or '<', found ','", NULL, NULL },
	{ "a@b@c", 0, "!found '@' at offset 3", NULL, NULL },
	{ "<a@b@c>", 0, "!missing '>' for the '<' at offset 0, found '@'",
	    NULL, NULL },
	{ "a@x.example>", 0, "!found '>' at offset 11", NULL, NULL },
	/* RFC 2047 encoded words stay encoded, whatever they hide */
	{ "=?utf-8?q?a=40b?= <c@d.example>", 0, "c@d.example",
	    "=?utf-8?q?a=40b?=", NULL },
	{ "=?utf-8?q?a=3Cb=40evil.com=3E?= <c@good.example>", 0,
	    "c@good.example", NULL, NULL },
	{ "=?UTF-8?B?SsO8cmdlbg==?= =?UTF-8?Q?M=C3=BCller?= <j@x.example>",
	    0, "j@x.example", "=?UTF-8?B?SsO8cmdlbg==?= =?UTF-8?Q?M=C3=BCller?=",
	    NULL },
	/* groups */
	{ "Team: a@x.example, b@y.example;", 0, "a@x.example|b@y.example",
	    "", "Team" },
	{ "undisclosed-recipients:;", 0, "", NULL, NULL },
	{ "undisclosed-recipients: (none) ;", 0, "", NULL, NULL },
	{ "Team: a@x.example;, c@z.example", 0, "a@x.example|c@z.example",
	    "", "Team" },
	{ "Team: a@x, <b@y>, C <c@z>;", 0, "a@x|b@y|c@z", "", "Team" },
	{ "The Team: \"A, B\" <a@x>, C <c@y>;", 0, "a@x|c@y", "A, B",
	    "The Team" },
	{ "Empty:;, Other:;", 0, "", NULL, NULL },
	{ "A: B: c@d;;", 0, "!group inside a group at offset 3", NULL, NULL },
	{ "Team: a@x.example", 0,
	    "!missing ';' at the end of the group opened at offset 4", NULL,
	    NULL },
	{ ": a@x;", 0, "!missing group name before ':' at offset 0", NULL,
	    NULL },
	{ "a@x;", 0, "!found ';' at offset 3", NULL, NULL },
	/* obsolete syntax */
	{ "<@route.example:a@b.example>", 0, "a@b.example", "", NULL },
	{ "Joe <@r1.example,@r2.example:a@b.example>", 0, "a@b.example",
	    "Joe", NULL },
	{ "<,@r.example,,@s.example:a@b>", 0, "a@b", "", NULL },
	{ "<@example.com>", 0, "!expected ':' after route, found '>'", NULL,
	    NULL },
	{ "john . doe @ example . com", 0, "john.doe@example.com", "", NULL },
	{ "\"john\".doe@example.com", 0, "john.doe@example.com", "", NULL },
	{ ", a@x.example,, b@y.example ,", 0, "a@x.example|b@y.example",
	    "", NULL },
	{ "Name <a@x.example>, ", 0, "a@x.example", "Name", NULL },
	/* quoted local parts and domain literals */
	{ "\"john doe\"@example.com", 0, "john doe@example.com", "", NULL },
	{ "\"jo\\\"hn\"@example.com", 0, "jo\"hn@example.com", "", NULL },
	{ "\"\"@example.com", 0, "@example.com", "", NULL },
	{ "user@[192.0.2.1]", 0, "user@[192.0.2.1]", "", NULL },
	{ "user@[IPv6:2001:DB8::1]", 0, "user@[ipv6:2001:db8::1]", "",
	    NULL },
	{ "user@[ 192.0.2.1 ]", 0, "user@[192.0.2.1]", "", NULL },
	{ "a@[192.0.2.1", 0, "!unterminated domain literal at offset 2", NULL,
	    NULL },
	{ "a@[1[2]", 0, "!'[' inside domain literal at offset 4", NULL, NULL },
	{ "[Team] <a@x>", 0, "!found domain literal at offset 0", NULL, NULL },
	/* CFWS everywhere, folding */
	{ "(c1) John (c2) Doe (c3) < (c4) john (c5) @ (c6) example.com (c7) "
	    "> (c8)", 0, "john@example.com", "John Doe", NULL },
	{ "a@x.example (nested (comment \\) with \\( escapes) here)", 0,
	    "a@x.example", "", NULL },
	{ "John(x)Doe <a@x>", 0, "a@x", "John Doe", NULL },
	{ "John Doe\r\n <john@example.com>", 0, "john@example.com",
	    "John Doe", NULL },
	{ "a@x.example,\n\tb@y.example", 0, "a@x.example|b@y.example", "",
	    NULL },
	{ "\"John\r\n Doe\" <j@x>", 0, "j@x", "John Doe", NULL },
	{ "a@x (folded\n\tcomment)", 0, "a@x", "", NULL },
	{ "a@x.example\r\nb@y", 0,
	    "!line break not followed by white space at offset 11", NULL,
	    NULL },
	{ "a@x\rb", 0, "!CR without LF at offset 3", NULL, NULL },
	{ "a@x\r\n", 0, "!line break not followed by white space at offset 3",
	    NULL, NULL },
	{ "a@x\n", 0, "!line break not followed by white space at offset 3",
	    NULL, NULL },
	/* nothing there */
	{ "", 0, "!no address in value", NULL, NULL },
	{ "   \t ", 0, "!no address in value", NULL, NULL },
	{ "(nothing here)", 0, "!no address in value", NULL, NULL },
	{ ",,,", 0, "!no address in value", NULL, NULL },
	/* broken addresses */
	{ "user@", 0, "!expected domain after '@', found end of value at "
	    "offset 5", NULL, NULL },
	{ "Name <user@>", 0, "!expected domain after '@', found '>'", NULL,
	    NULL },
	{ "@example.com", 0, "!missing local part before '@' at offset 0",
	    NULL, NULL },
	{ "<>", 0, "!empty address <> at offset 0", NULL, NULL },
	{ "Name <a@x.example", 0, "!missing '>' for the '<' at offset 5, "
	    "found end of value", NULL, NULL },
	{ "a@x.", 0, "!expected domain label after '.'", NULL, NULL },
	{ "a@x..y", 0, "!expected domain label after '.', found '.'", NULL,
	    NULL },
	{ ".a@x", 0, "!local part starts with '.' at offset 0", NULL, NULL },
	{ "a..b@x", 0, "!'..' in local part at offset 2", NULL, NULL },
	{ "a.@x", 0, "!local part ends with '.' at offset 1", NULL, NULL },
	{ "John Doe@x", 0, "!words not joined by '.' in local part at "
	    "offset 5", NULL, NULL },
	{ "John Doe", 0, "!expected '@' or '<', found end of value", NULL,
	    NULL },
	{ "john", 0, "!expected '@' or '<'", NULL, NULL },
	{ ". <a@x>", 0, "!display name starts with '.'", NULL, NULL },
	{ "a\\b@x", 0, "!'\\' outside a quoted string at offset 1", NULL,
	    NULL },
	{ "<john>", 0, "!expected '@' in address, found '>' at offset 5",
	    NULL, NULL },
	{ "<a b@x>", 0, "!words not joined by '.' in local part at offset 3",
	    NULL, NULL },
	{ "< >", 0, "!empty address <> at offset 0", NULL, NULL },
	{ "<:a@b>", 0, "!expected address after '<', found ':'", NULL, NULL },
	{ "<,>", 0, "!expected '@' in route, found '>'", NULL, NULL },
	{ "<,:a@b>", 0, "!expected '@' in route, found ':' at offset 2", NULL,
	    NULL },
	{ "Team: a@x b;", 0, "!expected ',' or ';' after address, found 'b'",
	    NULL, NULL },
	{ "a@x \"y\"", 0, "!found quoted string at offset 4", NULL, NULL },
	/* unbalanced comments and quotes */
	{ "a@x (oops", 0, "!unterminated comment at offset 4", NULL, NULL },
	{ "a@x (a (b)", 0, "!unterminated comment at offset 4", NULL, NULL },
	{ "a@x ]", 0, "!unbalanced ']' at offset 4", NULL, NULL },
	{ "\"a\\\001\" <a@x>", 0, "!invalid quoted-pair at offset 2", NULL,
	    NULL },
	{ "a@x (\\", 0, "!unterminated comment at offset 4", NULL, NULL },
	{ "a@x )", 0, "!unbalanced ')' at offset 4", NULL, NULL },
	{ "\"John <j@x>", 0, "!unterminated quoted string at offset 0", NULL,
	    NULL },
	{ "\"John\\\" <j@x>", 0, "!unterminated quoted string at offset 0",
	    NULL, NULL },
	/* NUL, controls, 8 bits, UTF-8 */
	{ "a@x\0b", 5, "!NUL byte at offset 3", NULL, NULL },
	{ "\"J\0\" <a@x>", 10, "!NUL byte at offset 2", NULL, NULL },
	{ "a\001@x", 0, "!control character 0x01 at offset 1", NULL, NULL },
	{ "a@x (\177)", 0, "!control character 0x7f at offset 5", NULL, NULL },
	{ "J\xfcrgen <j@example.de>", 0, "j@example.de", "J\xfcrgen", NULL },
	{ "j\xfcrgen@example.de", 0, "!local part is not UTF-8 at offset 0",
	    NULL, NULL },
	{ "a@ex\xe9mple.de", 0, "!domain is not UTF-8 at offset 2", NULL,
	    NULL },
	{ "\xc0\xaf" "a@x", 0, "!local part is not UTF-8", NULL, NULL },
	{ "a@\xed\xa0\x80.example", 0, "!domain is not UTF-8", NULL, NULL },
	{ "J\xc3\xbcrgen M\xc3\xbcller <juergen@example.de>", 0,
	    "juergen@example.de", "J\xc3\xbcrgen M\xc3\xbcller", NULL },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\xb9\xbf"
	    "\xe5\x91\x8a", 0, "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad"
	    "\x90.\xe5\xb9\xbf\xe5\x91\x8a", "", NULL },
	{ "\xf0\x9f\x98\x80 <\xf0\x9f\x98\x80@x.example>", 0,
	    "\xf0\x9f\x98\x80@x.example", "\xf0\x9f\x98\x80", NULL },
	{ "a@x \xc3\xa9", 0, "!found '?\?' at offset 4", NULL, NULL },
	{ "a@\xc3\x89XAMPLE.Com", 0, "a@\xc3\x89xample.com", "", NULL },
	{ "\"\xc3\xa9t\xc3\xa9\"@example.com", 0,
	    "\xc3\xa9t\xc3\xa9@example.com", "", NULL },
};

/* "local@domain|..." of a, in a buffer the caller frees. */
static char *
joined(const struct rfc5322_addrs *a)
{
	char	*s;
	size_t	 i, len;
	FILE	*mem;

	mem = open_memstream(&s, &len);
	for (i = 0; i < a->n; i++)
		fprintf(mem, "%s%s@%s", i ? "|" : "", a->v[i].local,
		    a->v[i].domain);
	fclose(mem);
	return s;
}

static size_t
count_addrs(const char *want)
{
	size_t	 n = *want != '\0';

	for (; *want != '\0'; want++)
		n += *want == '|';
	return n;
}

static void
run_case(size_t i, const struct fcase *c)
{
	struct rfc5322_addrs	 a;
	char			 err[256], name[64], *got;
	size_t			 len = c->len ? c->len : strlen(c->in);
	int			 rc;

	snprintf(name, sizeof(name), "case %zu", i);
	rc = rfc5322_parse_addresses(c->in, len, &a, err, sizeof(err));
	if (c->want[0] == '!') {
		if (!ok(rc == -1 && strstr(err, c->want + 1) != NULL,
		    "%s: error \"%s\"", name, c->want + 1))
			diag("rc %d, error \"%s\"", rc, rc < 0 ? err : "");
		ok(a.n == 0 && a.v == NULL, "%s: nothing returned", name);
		rfc5322_addrs_free(&a);
		return;
	}
	if (!is_int(rc, 0, name))
		diag("error: %s", err);
	is_int((long long)a.n, (long long)count_addrs(c->want), name);
	got = joined(&a);
	is_str(got, c->want, name);
	free(got);
	if (c->display != NULL && a.n > 0)
		is_str(a.v[0].display, c->display, "display name");
	if (a.n > 0)
		is_str(a.v[0].group, c->group, "group");
	rfc5322_addrs_free(&a);
}

/* A quoted display name of 64 KB, and a 64 KB run of comments. */
static void
big_values(void)
{
	struct rfc5322_addrs	 a;
	char			 err[256], *s;
	size_t			 n = 65536, i;
	int			 rc;

	s = malloc(n + 64);
	s[0] = '"';
	memset(s + 1, 'x', n);
	memcpy(s + 1 + n, "\" <big@example.com>", 20);
	rc = rfc5322_parse_addresses(s, strlen(s), &a, err, sizeof(err));
	ok(rc == 0 && a.n == 1 && strcmp(a.v[0].domain, "example.com") == 0 &&
	    strlen(a.v[0].display) == n, "64 KB display name");
	rfc5322_addrs_free(&a);

	/* 100,000 nested comments after an address, then unterminated */
	n = 100000;
	s = realloc(s, 2 * n + 16);
	memcpy(s, "a@x ", 4);
	for (i = 0; i < n; i++) {
		s[4 + i] = '(';
		s[4 + n + i] = ')';
	}
	rc = rfc5322_parse_addresses(s, 4 + 2 * n, &a, err, sizeof(err));
	ok(rc == 0 && a.n == 1 && strcmp(a.v[0].local, "a") == 0,
	    "100000 nested comments");
	rfc5322_addrs_free(&a);
	rc = rfc5322_parse_addresses(s, 4 + 2 * n - 1, &a, err, sizeof(err));
	ok(rc == -1 && strstr(err, "unterminated comment at offset 4"),
	    "100000 nested comments, one ')' short: %s", err);
	rfc5322_addrs_free(&a);
	free(s);
}

/* 10,000 addresses in one value, each checked. */
static void
many_addresses(void)
{
	struct rfc5322_addrs	 a;
	char			 err[256], want[64], *s;
	size_t			 len, i, n = 10000, bad = 0;
	FILE			*mem;

	mem = open_memstream(&s, &len);
	for (i = 0; i < n; i++)
		fprintf(mem, "%sU%zu <u%zu@D%zu.Example>", i ? ",\r\n " : "",
		    i, i, i);
	fclose(mem);
	is_int(rfc5322_parse_addresses(s, len, &a, err, sizeof(err)), 0,
	    "10000 addresses parse");
	is_int((long long)a.n, (long long)n, "10000 addresses counted");
	for (i = 0; i < a.n; i++) {
		snprintf(want, sizeof(want), "u%zu", i);
		bad += strcmp(a.v[i].local, want) != 0;
		snprintf(want, sizeof(want), "d%zu.example", i);
		bad += strcmp(a.v[i].domain, want) != 0;
		snprintf(want, sizeof(want), "U%zu", i);
		bad += strcmp(a.v[i].display, want) != 0;
	}
	is_int((long long)bad, 0, "10000 addresses each right");
	ok(a.n == n && a.v[n - 1].offset > len - 30 &&
	    strncmp(s + a.v[n - 1].offset, "U9999 <", 7) == 0,
	    "offset of the last address");
	rfc5322_addrs_free(&a);
	free(s);
}

static void
helpers(void)
{
	char	 buf[300];

	ok(rfc5322_valid_field_name("From", 4), "field name From");
	ok(rfc5322_valid_field_name("X-Spam_Score!", 13), "field name X-...");
	ok(!rfc5322_valid_field_name("From:", 5), "field name with ':'");
	ok(!rfc5322_valid_field_name("Fr om", 5), "field name with SP");
	ok(!rfc5322_valid_field_name("", 0), "empty field name");
	ok(!rfc5322_valid_field_name("F\xc3\xa9", 3), "8-bit field name");

	is_int(rfc5322_unfold("a\r\n b\n\tc\r\nd", 11, buf, sizeof(buf)), 8,
	    "unfold length");
	is_str(buf, "a b\tc\r\nd", "unfold keeps WSP and unfolded breaks");
	is_int(rfc5322_unfold("abc", 3, buf, 3), -1, "unfold: buffer short");

	is_int(rfc5322_domain_of("User@Example.COM", buf, sizeof(buf)), 0,
	    "domain_of");
	is_str(buf, "example.com", "domain_of lower-cases");
	rfc5322_domain_of("\"a@b\"@Last.Example", buf, sizeof(buf));
	is_str(buf, "last.example", "domain_of takes the last '@'");
	is_int(rfc5322_domain_of("nodomain", buf, sizeof(buf)), -1,
	    "domain_of without '@'");
	is_int(rfc5322_domain_of("a@", buf, sizeof(buf)), -1,
	    "domain_of empty domain");
	is_int(rfc5322_domain_of("", buf, sizeof(buf)), -1,
	    "domain_of null sender");
	is_int(rfc5322_domain_of("a@example.com", buf, 11), -1,
	    "domain_of: buffer short");
}

int
main(void)
{
	size_t	 i, n = sizeof(cases) / sizeof(cases[0]);

	diag("%zu From values", n);
	for (i = 0; i < n; i++)
		run_case(i, &cases[i]);
	big_values();
	many_addresses();
	helpers();
	return done_testing();
}
