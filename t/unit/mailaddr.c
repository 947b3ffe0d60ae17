/*
 * Unit test of lib/mailaddr (and lib/utf8): normalised addresses and
 * domains, and every refusal with its message.
 */
#include <stdio.h>
#include <string.h>

#include "mailaddr.h"
#include "utf8.h"
#include "../tap.h"

struct ncase {
	const char	*in;
	const char	*out;	/* NULL: refused with err */
	const char	*err;
};

static const struct ncase addrs[] = {
	{ "Bob@Exämple.COM", "Bob@xn--exmple-cua.com", NULL },
	{ "bob@example.com", "bob@example.com", NULL },
	{ "  <Bob.Smith@EXAMPLE.com>\r\n", "Bob.Smith@example.com", NULL },
	{ "<a@b.c>", "a@b.c", NULL },
	{ "a@example.com.", "a@example.com", NULL },
	{ "üser@münchen.de", "üser@xn--mnchen-3ya.de", NULL },
	{ "x@XN--MNCHEN-3YA.DE", "x@xn--mnchen-3ya.de", NULL },
	{ "\"a@b\"@Example.com", "\"a@b\"@example.com", NULL },
	{ "\"john doe\"@x.org", "\"john doe\"@x.org", NULL },
	{ "\"a\\\"@\"@x.org", "\"a\\\"@\"@x.org", NULL },
	{ "a+tag@sub.Example.COM", "a+tag@sub.example.com", NULL },
	{ "user@[192.0.2.1]", "user@[192.0.2.1]", NULL },
	{ "user@[IPv6:2001:DB8::1]", "user@[ipv6:2001:db8::1]", NULL },
	{ "a_b@x_y.example", "a_b@x_y.example", NULL },
	{ "", NULL, "empty address" },
	{ "   ", NULL, "empty address" },
	{ "<>", NULL, "empty address" },
	{ "bob", NULL, "missing '@'" },
	{ "bob@", NULL, "empty domain" },
	{ "bob@.", NULL, "empty domain" },
	{ "@example.com", NULL, "empty local part" },
	{ "a@b@example.com", NULL, "more than one '@'" },
	{ "\"a@b.com", NULL, "unterminated quote" },
	{ "bob smith@example.com", NULL, "unquoted space" },
	{ "bob@exa mple.com", NULL, "unquoted space" },
	{ "bob\001@example.com", NULL, "control character" },
	{ "bob@example.com\177", NULL, "control character" },
	{ "bob\033@example.com", NULL, "control character" },
	{ "b\xffob@example.com", NULL, "not valid UTF-8" },
	{ "bob@ex\xc3.com", NULL, "not valid UTF-8" },
	{ "bob@\xc0\xafx.com", NULL, "not valid UTF-8" },
	{ "bob@a..com", NULL, "empty label in domain" },
	{ "bob@.a.com", NULL, "empty label in domain" },
	{ "bob@a,b.com", NULL, "bad character ',' in domain" },
	{ "bob@\"x\".com", NULL, "bad character '\"' in domain" },
	{ "bob@[1.2.3.4", NULL, "bad address literal" },
	{ "bob@[]", NULL, "bad address literal" },
	{ "bob@[1.2]3]", NULL, "bad address literal" },
	{ "bob@[\xc2\xae]", NULL, "bad address literal" },
	{ "bob@-ü.com", NULL, "bad international domain: string start/ends "
	    "with forbidden hyphen" },
};

static const struct ncase domains[] = {
	{ "Exämple.COM.", "xn--exmple-cua.com", NULL },
	{ " EXAMPLE.org ", "example.org", NULL },
	{ "bücher.example", "xn--bcher-kva.example", NULL },
	{ "", NULL, "empty domain" },
	{ "a@b", NULL, "bad character '@' in domain" },
	{ "x..y", NULL, "empty label in domain" },
};

/* Each case through norm (mailaddr_norm or mailaddr_domain_norm):
 * the normalised form, or -1 and the error. */
static void
run_norm(int (*norm)(const char *, char *, size_t, char *, size_t),
    const struct ncase *c, size_t n)
{
	char	 out[MAILADDR_MAX + 1], err[256];
	size_t	 i;
	int	 r;

	for (i = 0; i < n; i++) {
		out[0] = err[0] = '\0';
		r = norm(c[i].in, out, sizeof(out), err, sizeof(err));
		if (c[i].out != NULL) {
			if (!is_int(r, 0, tap_name(c[i].in)))
				diag("error: %s", err);
			is_str(out, c[i].out, "  normalised");
		} else {
			is_int(r, -1, tap_name(c[i].in));
			is_str(err, c[i].err, "  error");
		}
	}
}

static void
test_lengths(void)
{
	char	 in[400], out[MAILADDR_MAX + 1], err[256];
	size_t	 i;

	/* 64 + 1 + 189 = 254 octets: the longest accepted. */
	memset(in, 'a', 64);
	in[64] = '@';
	for (i = 65; i < 254; i++)
		in[i] = (i - 65) % 50 == 49 ? '.' : 'b';
	in[253] = 'c';
	in[254] = '\0';
	is_int(mailaddr_norm(in, out, sizeof(out), err, sizeof(err)), 0,
	    "254 octets accepted");
	is_int((long long)strlen(out), 254, "  kept whole");
	memmove(in + 1, in, 255);
	in[0] = 'x';
	is_int(mailaddr_norm(in, out, sizeof(out), err, sizeof(err)), -1,
	    "255 octets refused");
	is_str(err, "longer than 254 characters", "  error");
	memset(in, 'a', 10);
	in[10] = '@';
	memset(in + 11, 'b', 64);
	strcpy(in + 75, ".com");
	is_int(mailaddr_norm(in, out, sizeof(out), err, sizeof(err)), -1,
	    "64-octet label refused");
	is_str(err, "domain label longer than 63 characters", "  error");
	memset(in, 'a', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	is_int(mailaddr_norm(in, out, sizeof(out), err, sizeof(err)), -1,
	    "399 octets without @ refused");
	is_str(mailaddr_domain("\"a@b\"@x.org"), "x.org", "domain of quoted");
	ok(mailaddr_domain("nothing") == NULL, "no domain without @");
}

static void
test_utf8(void)
{
	unsigned int	 cp = 0;

	is_int(utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3,
	    "euro sign is 3 bytes");
	is_int(cp, 0x20ac, "  U+20AC");
	is_int(utf8_decode((const unsigned char *)"\xe2\x82", 2, &cp), -1,
	    "truncated sequence");
	is_int(utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), -1,
	    "surrogate refused");
	is_int(utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp),
	    -1, "above U+10FFFF refused");
	is_int(utf8_decode((const unsigned char *)"\xe0\x80\xaf", 3, &cp), -1,
	    "overlong refused");
	is_int(utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp),
	    4, "emoji 4 bytes");
}

int
main(void)
{
	run_norm(mailaddr_norm, addrs, sizeof(addrs) / sizeof(addrs[0]));
	run_norm(mailaddr_domain_norm, domains,
	    sizeof(domains) / sizeof(domains[0]));
	test_lengths();
	test_utf8();
	return done_testing();
}
