/*
 * Unit test of lib/mailaddr (and lib/utf8): normalised addresses and
 * domains, and every refusal with its message; the table of domains is
 * the one rule every program applies (see mailaddr.h).
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

#define L50 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define L61 L50 "aaaaaaaaaaa"
#define L62 L61 "b"
#define L63 L62 "c"
#define L64 L63 "d"
#define D253 L63 "." L63 "." L63 "." L61
#define D254 L63 "." L63 "." L63 "." L62

/*
 * The one domain normaliser (policyd, milter, outpostctl): the result or
 * the refusal, and for a result whether it is also a host name (DKIM d=,
 * key folder).
 */
static const struct dcase {
	const char	*in;
	const char	*out;	/* NULL: refused with err */
	const char	*err;
	int		 host;	/* mailaddr_domain_is_hostname(out) */
} domains[] = {
	{ "Example.COM", "example.com", NULL, 1 },
	{ " EXAMPLE.org ", "example.org", NULL, 1 },
	{ "example.com.", "example.com", NULL, 1 },
	{ "example.com..", NULL, "empty label in domain", 0 },
	{ "Exämple.COM.", "xn--exmple-cua.com", NULL, 1 },
	{ "bücher.example", "xn--bcher-kva.example", NULL, 1 },
	{ "BÜCHER.Example", "xn--bcher-kva.example", NULL, 1 },
	{ "B\xc3\xbc" "cher.Example", "xn--bcher-kva.example", NULL, 1 },
	{ "XN--BCHER-KVA.example", "xn--bcher-kva.example", NULL, 1 },
	{ "\xe4\xbe\x8b\xe3\x81\x88.jp", "xn--r8jz45g.jp", NULL, 1 },
	{ "bücher\xe3\x80\x82" "example", "xn--bcher-kva.example", NULL, 1 },
	{ "_dmarc.bücher.example", "_dmarc.xn--bcher-kva.example", NULL, 0 },
	{ "ab--cd.bücher.example", "ab--cd.xn--bcher-kva.example", NULL, 1 },
	{ "-ü.example", NULL, "bad international domain: string start/ends "
	    "with forbidden hyphen", 0 },
	{ "\xcc\x88u.example", NULL, "bad international domain: string "
	    "contains a forbidden leading combining character", 0 },
	{ "ü\xe2\x80\x8d.example", NULL, "bad international domain: string "
	    "contains a forbidden context-j character", 0 },
	{ "", NULL, "empty domain", 0 },
	{ "  ", NULL, "empty domain", 0 },
	{ ".", NULL, "empty domain", 0 },
	{ "x..y", NULL, "empty label in domain", 0 },
	{ ".example", NULL, "empty label in domain", 0 },
	{ "bücher..example", NULL, "empty label in domain", 0 },
	{ L63 ".example", L63 ".example", NULL, 1 },
	{ L64 ".example", NULL, "domain label longer than 63 characters", 0 },
	{ D253, D253, NULL, 1 },
	{ D253 ".", D253, NULL, 1 },
	{ D254, NULL, "domain longer than 253 characters", 0 },
	{ "bücher" L61 ".example", NULL, "bad international domain: "
	    "punycode encoded data will be too large", 0 },
	/* 249 octets as typed, 255 as A-labels */
	{ L63 "." L63 "." L63 ".bücher" L50, NULL, "domain longer than 253 "
	    "characters", 0 },
	{ "a_b.example", "a_b.example", NULL, 0 },
	{ "_Dmarc.Example.com", "_dmarc.example.com", NULL, 0 },
	{ "-a.example", NULL, "domain label starts or ends with '-'", 0 },
	{ "a-.example", NULL, "domain label starts or ends with '-'", 0 },
	{ "[192.0.2.1]", "[192.0.2.1]", NULL, 0 },
	{ "[IPv6:2001:DB8::1]", "[ipv6:2001:db8::1]", NULL, 0 },
	{ "[192.0.2.1", NULL, "bad address literal", 0 },
	{ "a@b", NULL, "bad character '@' in domain", 0 },
	{ "exa mple.com", NULL, "bad character ' ' in domain", 0 },
	{ "a/b.example", NULL, "bad character '/' in domain", 0 },
	{ "exa\tmple.com", NULL, "control character", 0 },
	{ "example.com\x7f", NULL, "control character", 0 },
	{ "\x1b[31m.example", NULL, "control character", 0 },
	{ "b\xfc" "cher.example", NULL, "not valid UTF-8", 0 },
	{ "\xc0\xae.example", NULL, "not valid UTF-8", 0 },
};

/* The host-name predicate on strings that were not normalised. */
static const struct { const char *s; int host; } hosts[] = {
	{ "example.com", 1 }, { "a", 1 }, { "mail-1.example.org", 1 },
	{ "xn--bcher-kva.example", 1 }, { L63 ".example", 1 }, { D253, 1 },
	{ "Example.com", 0 }, { "", 0 }, { "..", 0 }, { "a..b", 0 },
	{ ".example.com", 0 }, { "example.com.", 0 }, { "a/b", 0 },
	{ "../etc", 0 }, { "-a.com", 0 }, { "a-.com", 0 }, { "a_b.com", 0 },
	{ "a b", 0 }, { "caf\xc3\xa9.com", 0 }, { L64 ".example", 0 },
	{ D254, 0 }, { "[192.0.2.1]", 0 },
};

static void
test_domains(void)
{
	char	 out[MAILDOMAIN_MAX + 1], err[256];
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(domains) / sizeof(domains[0]); i++) {
		out[0] = err[0] = '\0';
		r = mailaddr_domain_norm(domains[i].in, out, sizeof(out), err,
		    sizeof(err));
		if (domains[i].out == NULL) {
			is_int(r, -1, tap_name(domains[i].in));
			is_str(err, domains[i].err, "  error");
			continue;
		}
		if (!is_int(r, 0, tap_name(domains[i].in)))
			diag("error: %s", err);
		is_str(out, domains[i].out, "  normalised");
		is_int(mailaddr_domain_is_hostname(out), domains[i].host,
		    "  host name");
	}
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++)
		ok(mailaddr_domain_is_hostname(hosts[i].s) == hosts[i].host,
		    "%s %s a host name", tap_name(hosts[i].s),
		    hosts[i].host ? "is" : "is not");
}

/* Each address case: the normalised form, or -1 and the error. */
static void
test_addrs(const struct ncase *c, size_t n)
{
	char	 out[MAILADDR_MAX + 1], err[256];
	size_t	 i;
	int	 r;

	for (i = 0; i < n; i++) {
		out[0] = err[0] = '\0';
		r = mailaddr_norm(c[i].in, out, sizeof(out), err, sizeof(err));
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
	test_addrs(addrs, sizeof(addrs) / sizeof(addrs[0]));
	test_domains();
	test_lengths();
	test_utf8();
	return done_testing();
}
