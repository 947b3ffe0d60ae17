/*
 * Unit test of lib/netaddr's CIDR matching, which decides whose mail the
 * milter treats as outbound (internal_hosts): a table of networks and
 * addresses, IPv4, IPv6, IPv4-mapped IPv6, prefixes 0 and full, through
 * both cidr_match_text and cidr_match on a socket address.  Then what
 * cidr_parse refuses.
 */
#include <arpa/inet.h>
#include <string.h>

#include "netaddr.h"
#include "../tap.h"

static const struct {
	const char	*net;
	const char	*ip;
	int		 want;
} cases[] = {
	{ "127.0.0.0/8",	"127.0.0.1",		1 },
	{ "127.0.0.0/8",	"127.255.255.255",	1 },
	{ "127.0.0.0/8",	"128.0.0.1",		0 },
	{ "192.0.2.0/24",	"192.0.2.77",		1 },
	{ "192.0.2.0/24",	"192.0.3.1",		0 },
	{ "192.0.2.128/25",	"192.0.2.127",		0 },
	{ "192.0.2.128/25",	"192.0.2.128",		1 },
	{ "10.1.2.3",		"10.1.2.3",		1 },	/* host: /32 */
	{ "10.1.2.3",		"10.1.2.4",		0 },
	{ "10.1.2.3/32",	"10.1.2.3",		1 },
	{ "0.0.0.0/0",		"203.0.113.9",		1 },	/* prefix 0 */
	{ "0.0.0.0/0",		"2001:db8::1",		0 },	/* not v6 */
	{ "10.0.0.0/9",		"10.127.255.255",	1 },	/* odd bits */
	{ "10.0.0.0/9",		"10.128.0.0",		0 },
	{ "::1",		"::1",			1 },
	{ "::1",		"::2",			0 },
	{ "::1/128",		"::1",			1 },
	{ "2001:db8::/32",	"2001:db8:ffff::1",	1 },
	{ "2001:db8::/32",	"2001:db9::1",		0 },
	{ "2001:db8::/33",	"2001:db8:8000::1",	0 },
	{ "2001:db8::/33",	"2001:db8:7fff::1",	1 },
	{ "::/0",		"2001:db8::1",		1 },	/* prefix 0 */
	{ "::/0",		"192.0.2.1",		0 },	/* not v4 */
	/* IPv4-mapped IPv6 (a dual-stack listener) against IPv4 nets */
	{ "127.0.0.0/8",	"::ffff:127.0.0.1",	1 },
	{ "127.0.0.0/8",	"::ffff:128.0.0.1",	0 },
	{ "192.0.2.0/24",	"::ffff:192.0.2.5",	1 },
	{ "0.0.0.0/0",		"::ffff:198.51.100.1",	1 },
	/* ... but not the IPv4-compatible form, nor v4 against a v6 net */
	{ "127.0.0.0/8",	"::127.0.0.1",		0 },
	{ "::ffff:0:0/96",	"127.0.0.1",		0 },
	{ "127.0.0.1",		"not an address",	0 },
};

/* The same address as a struct sockaddr, the way libmilter hands it. */
static int
match_sockaddr(const struct cidr *c, const char *ip)
{
	struct sockaddr_in	 s4;
	struct sockaddr_in6	 s6;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, ip, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		return cidr_match(c, (struct sockaddr *)&s4);
	}
	if (inet_pton(AF_INET6, ip, &s6.sin6_addr) == 1) {
		s6.sin6_family = AF_INET6;
		return cidr_match(c, (struct sockaddr *)&s6);
	}
	return 0;
}

int
main(void)
{
	static const char *const bad[] = { "", "10.0.0.0/33", "::/129",
	    "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "10.0.0", "host.example",
	    "10.0.0.0/8/8", NULL };
	struct cidr	 c;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!ok(cidr_parse(cases[i].net, &c) == 0, "parse %s",
		    cases[i].net))
			continue;
		ok(cidr_match_text(&c, cases[i].ip) == cases[i].want,
		    "%s %s %s", cases[i].ip, cases[i].want ? "in" : "not in",
		    cases[i].net);
		ok(match_sockaddr(&c, cases[i].ip) == cases[i].want,
		    "sockaddr %s %s %s", cases[i].ip,
		    cases[i].want ? "in" : "not in", cases[i].net);
	}
	ok(cidr_match(&c, NULL) == 0, "no socket address: no match");
	for (i = 0; bad[i] != NULL; i++)
		ok(cidr_parse(bad[i], &c) < 0, "refused: \"%s\"", bad[i]);
	return done_testing();
}
