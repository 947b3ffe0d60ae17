/*
 * Unit test of lib/authres: the authserv-id of fields as senders write
 * them (comments, quoting, folds, junk), whose a field is, and the exact
 * text of the field we write: quoting of values, comments, folding at
 * 78 characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "../tap.h"

struct idcase {
	const char	*in;
	const char	*id;	/* NULL: refused with err */
	const char	*err;
};

static const struct idcase ids[] = {
	{ "mx.example.com; spf=pass smtp.mailfrom=a@b", "mx.example.com", NULL },
	{ " mx.example.com;", "mx.example.com", NULL },
	{ "mx.example.com", "mx.example.com", NULL },
	{ "mx.example.com 1; none", "mx.example.com", NULL },
	{ "mx.example.com(c); none", "mx.example.com", NULL },
	{ " (a comment) mx.example.com; none", "mx.example.com", NULL },
	{ "(a (nested \\) comment) x) mx.example.com;", "mx.example.com", NULL },
	{ "\r\n\t(c)\r\n mx.example.com;", "mx.example.com", NULL },
	{ "\n\tmx.example.com;", "mx.example.com", NULL },
	{ "\"mx.example.com\"; none", "mx.example.com", NULL },
	{ "\"mx.ex\\\"am\\\\ple\";", "mx.ex\"am\\ple", NULL },
	{ "\"mx.\r\n example\";", "mx. example", NULL },
	{ "MX.EXAMPLE.COM;dkim=pass", "MX.EXAMPLE.COM", NULL },
	{ "m\xc3\xbcnchen.example; none", "m\xc3\xbcnchen.example", NULL },
	{ "", NULL, "no authserv-id" },
	{ "   ", NULL, "no authserv-id" },
	{ "; spf=pass", NULL, "no authserv-id" },
	{ "(unterminated mx.example.com;", NULL, "unterminated comment" },
	{ "(a \\", NULL, "unterminated comment" },
	{ "\"mx.example.com; none", NULL,
	    "unterminated or too long quoted-string" },
	{ "mx@example.com; none", NULL, "unexpected '@' after the authserv-id" },
	{ "mx.example.com/x; none", NULL,
	    "unexpected '/' after the authserv-id" },
	{ "mx.example.com=; none", NULL,
	    "unexpected '=' after the authserv-id" },
	{ "\"\"; none", NULL, "no authserv-id" },
};

static void
test_ids(void)
{
	char	 id[AUTHRES_ID_MAX + 1], err[128], big[600];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		err[0] = '\0';
		rc = authres_id(ids[i].in, id, sizeof(id), err, sizeof(err));
		if (ids[i].id != NULL) {
			is_int(rc, 0, tap_name(ids[i].in));
			is_str(id, ids[i].id, "  its id");
		} else {
			is_int(rc, -1, tap_name(ids[i].in));
			is_str(err, ids[i].err, "  the error");
		}
	}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	is_int(authres_id(big, id, sizeof(id), err, sizeof(err)), -1,
	    "a 599-character id is refused");
	is_str(err, "authserv-id too long", "  as too long");
}

static void
test_ours(void)
{
	static const struct {
		const char	*field;
		int		 ours;
	} c[] = {
		{ "mx.example.com; dkim=pass", 1 },
		{ "MX.Example.COM; dkim=pass", 1 },
		{ " (forged) mx.example.com; dkim=pass", 1 },
		{ "\"mx.example.com\"; dkim=pass", 1 },
		{ "mx.example.com(x);dkim=pass", 1 },
		{ "other.example; dkim=pass", 0 },
		{ "mx.example.com.; dkim=pass", 0 },
		{ "mx.example.co; dkim=pass", 0 },
		{ "mx.example.comm; dkim=pass", 0 },
		{ "mx.example.com@x; dkim=pass", 0 },
		{ "(mx.example.com; dkim=pass", 0 },
		{ "", 0 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		is_int(authres_is_ours(c[i].field, "mx.example.com"), c[i].ours,
		    tap_name(c[i].field));
}

static char *
text(struct authres *a)
{
	char	 err[64];
	char	*s = authres_text(a, err, sizeof(err));

	authres_free(a);
	return s;
}

/* Every line within 78 (first with the field name), none over 998. */
static int
lines_ok(const char *s, size_t limit)
{
	size_t	 col = strlen("Authentication-Results: ");

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			if (s[1] != '\t')
				return 0;
			col = 0;
			continue;
		}
		if (*s == '\r' || ++col > limit)
			return 0;
	}
	return 1;
}

static void
test_build(void)
{
	struct authres	*a;
	char		*s, big[700];

	s = text(authres_new("mx.example.com"));
	is_str(s, "mx.example.com; none", "no resinfo: none");
	free(s);

	a = authres_new("mx.example.com");
	authres_method(a, "spf", "pass");
	authres_prop(a, "smtp", "mailfrom", "bob.smith+x@example.com");
	authres_method(a, "dkim", "fail");
	authres_comment(a, "body hash mismatch");
	authres_prop(a, "header", "d", "example.com");
	authres_prop(a, "header", "s", "sel");
	authres_prop(a, "header", "a", "rsa-sha256");
	authres_prop(a, "header", "b", "AbC/+d=1");
	authres_method(a, "dmarc", "fail");
	authres_comment(a, "p=reject sp=none dis=none");
	authres_prop(a, "header", "from", "example.com");
	is_int((int)authres_count(a), 3, "three resinfos");
	s = text(a);
	is_str(s, "mx.example.com;\n"
	    "\tspf=pass smtp.mailfrom=bob.smith+x@example.com;\n"
	    "\tdkim=fail (body hash mismatch) header.d=example.com header.s=sel\n"
	    "\theader.a=rsa-sha256 header.b=\"AbC/+d=1\";\n"
	    "\tdmarc=fail (p=reject sp=none dis=none) header.from=example.com",
	    "spf, dkim, dmarc: folded at 78, header.b quoted");
	ok(lines_ok(s, 78), "every line within 78");
	free(s);

	a = authres_new("mx example");
	authres_method(a, "spf", "none");
	authres_prop(a, "smtp", "helo", "[192.0.2.1]");
	authres_method(a, "spf", "pass");
	authres_prop(a, "smtp", "mailfrom", "\"john doe\"@example.com");
	authres_method(a, "spf", "pass");
	authres_prop(a, "smtp", "mailfrom", "@example.com");
	authres_method(a, "spf", "pass");
	authres_prop(a, "smtp", "mailfrom", "a=b@sub_x.example.com");
	authres_method(a, "dkim", "pass");
	authres_prop(a, "header", "b", "abcd1234");
	authres_prop(a, "header", "i", "@example.com");
	authres_method(a, "x", "y");
	authres_comment(a, "a (nested) \\ one\r\nline");
	authres_prop(a, "header", "x", "a\"b\\c\x01");
	s = text(a);
	is_str(s, "\"mx example\";\n"
	    "\tspf=none smtp.helo=\"[192.0.2.1]\";\n"
	    "\tspf=pass smtp.mailfrom=\"\\\"john doe\\\"@example.com\";\n"
	    "\tspf=pass smtp.mailfrom=@example.com;\n"
	    "\tspf=pass smtp.mailfrom=\"a=b@sub_x.example.com\";\n"
	    "\tdkim=pass header.b=abcd1234 header.i=@example.com;\n"
	    "\tx=y (a \\(nested\\) \\\\ one line) header.x=\"a\\\"b\\\\c\"",
	    "quoting of ids, literals, quoted local parts, comments");
	free(s);

	a = authres_new("mx.example.com");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ok(authres_new(big) == NULL, "a 699-byte authserv-id is refused");
	ok(authres_new("") == NULL, "an empty one too");
	is_int(authres_method(a, "dk im", "pass"), -1,
	    "a method that is no token is refused");
	authres_method(a, "dkim", "permerror");
	is_int(authres_prop(a, "header", "d", big), -1,
	    "a 699-byte value is refused");
	is_int(authres_prop(a, "header", "", "x"), -1, "an empty property too");
	is_int(authres_prop(a, "he ader", "d", "x"), -1,
	    "a ptype that is no token too");
	authres_comment(a, big);
	authres_prop(a, "header", "d", big + sizeof(big) - 101);
	s = text(a);
	ok(s != NULL && strstr(s, "(xxxx") != NULL &&
	    strstr(s, "xxx...)") != NULL, "a long comment is cut with ...");
	ok(s != NULL && lines_ok(s, 998), "no line over 998");
	ok(s != NULL && strstr(s, "\n\theader.d=xxxx") != NULL,
	    "a 100-character value gets a line of its own");
	free(s);

	is_int(authres_comment(a = authres_new("x"), "c"), -1,
	    "a comment before any method is refused");
	s = text(a);
	is_str(s, "x; none", "  and nothing is written");
	free(s);
}

/* Many signatures: the lines fold, each resinfo starts one. */
static void
test_many(void)
{
	struct authres	*a = authres_new("mx.example.com");
	char		 d[64];
	char		*s;
	int		 i, n = 0;
	const char	*p;

	for (i = 0; i < 100; i++) {
		authres_method(a, "dkim", "pass");
		snprintf(d, sizeof(d), "d%d.example.com", i);
		authres_prop(a, "header", "d", d);
		authres_prop(a, "header", "s", "selector2026");
		authres_prop(a, "header", "a", "ed25519-sha256");
		authres_prop(a, "header", "b", "ABCDEFGH");
	}
	s = text(a);
	ok(s != NULL && lines_ok(s, 78), "100 resinfos: lines within 78");
	for (p = s; p != NULL && (p = strstr(p, ";\n\tdkim=")) != NULL; p++)
		n++;
	is_int(n, 100, "each on a line of its own");
	free(s);
}

int
main(void)
{
	test_ids();
	test_ours();
	test_build();
	test_many();
	return done_testing();
}
