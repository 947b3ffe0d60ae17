/*
 * dnscache -- positive answers kept for their TTL, case-insensitive
 * names, types apart, TTL 0 and oversized answers never kept, the bound
 * on entries (the oldest makes room), copies independent of the cache.
 */
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnscache.h"
#include "../tap.h"

/* A one-record set holding text, with ttl. */
static void
mkset(struct dns_rrset *s, const char *text, unsigned ttl)
{
	memset(s, 0, sizeof(*s));
	s->rrtype = 16;
	s->ttl = ttl;
	s->n = 1;
	s->rr = calloc(1, sizeof(*s->rr));
	s->rr[0].len = strlen(text);
	s->rr[0].data = (unsigned char *)strdup(text);
}

/* The text of the cached answer, or "" when not cached. */
static const char *
got(struct dnscache *c, const char *name, int type, time_t now)
{
	static char	 buf[256];
	struct dns_rrset s;

	buf[0] = '\0';
	if (dnscache_get(c, name, type, now, &s) == 1 && s.n == 1)
		snprintf(buf, sizeof(buf), "%s ttl=%u", (char *)s.rr[0].data,
		    s.ttl);
	dns_rrset_free(&s);
	return buf;
}

static void
test_ttl(void)
{
	struct dnscache	*c = dnscache_new(4);
	struct dns_rrset s;

	mkset(&s, "v=DMARC1; p=reject", 60);
	is_int(dnscache_put(c, "_dmarc.Example.COM", 16, 1000, &s), 0, "put");
	dns_rrset_free(&s);
	is_str(got(c, "_dmarc.example.com", 16, 1000), "v=DMARC1; p=reject ttl=60",
	    "hit, any case, whole TTL left");
	is_str(got(c, "_DMARC.example.com", 16, 1059), "v=DMARC1; p=reject ttl=1",
	    "hit one second before the TTL runs out, TTL counted down");
	is_str(got(c, "_dmarc.example.com", 16, 1060), "", "expired at the TTL");
	is_str(got(c, "_dmarc.example.com", 16, 1000), "",
	    "an expired entry is gone, not revived by an earlier clock");
	mkset(&s, "a", 60);
	dnscache_put(c, "x.example", 16, 1000, &s);
	dns_rrset_free(&s);
	is_str(got(c, "x.example", 1, 1000), "", "another type is another key");
	mkset(&s, "zero", 0);
	dnscache_put(c, "zero.example", 16, 1000, &s);
	dns_rrset_free(&s);
	is_str(got(c, "zero.example", 16, 1000), "", "TTL 0: never kept");
	c = dnscache_free(c);
	ok(c == NULL, "free returns NULL");
	ok(dnscache_free(NULL) == NULL, "free(NULL)");
}

static void
test_bounds(void)
{
	struct dnscache	*c = dnscache_new(3);
	struct dns_rrset s;
	char		 name[32], *big;
	int		 i;

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%d.example", i);
		mkset(&s, name, 100);
		dnscache_put(c, name, 16, 1000 + i, &s);
		dns_rrset_free(&s);
	}
	is_str(got(c, "n0.example", 16, 1004), "", "full: the oldest made room");
	is_str(got(c, "n3.example", 16, 1004), "n3.example ttl=99",
	    "the newest is kept");
	is_str(got(c, "n1.example", 16, 1004), "n1.example ttl=97",
	    "the others stay");
	mkset(&s, "new", 100);
	dnscache_put(c, "n1.example", 16, 1005, &s);
	dns_rrset_free(&s);
	is_str(got(c, "n1.example", 16, 1005), "new ttl=100",
	    "a second put replaces the answer");
	big = malloc(DNSCACHE_ENTRY_BYTES + 2);
	memset(big, 'k', DNSCACHE_ENTRY_BYTES + 1);
	big[DNSCACHE_ENTRY_BYTES + 1] = '\0';
	mkset(&s, big, 100);
	dnscache_put(c, "big.example", 16, 1005, &s);
	dns_rrset_free(&s);
	free(big);
	is_str(got(c, "big.example", 16, 1005), "", "oversized: not kept");
	dnscache_free(c);
}

static void
test_copy(void)
{
	struct dnscache	*c = dnscache_new(2);
	struct dns_rrset s, t;

	mkset(&s, "orig", 100);
	dnscache_put(c, "c.example", 16, 1, &s);
	s.rr[0].data[0] = 'X';		/* the caller's set is its own */
	dns_rrset_free(&s);
	is_int(dnscache_get(c, "c.example", 16, 1, &t), 1, "hit");
	t.rr[0].data[0] = 'Y';		/* and so is what get returns */
	dns_rrset_free(&t);
	is_str(got(c, "c.example", 16, 1), "orig ttl=100",
	    "the cache holds its own copy");
	is_int(dnscache_get(c, "missing.example", 16, 1, &t), 0, "miss: 0");
	is_int((int)t.n, 0, "miss: empty set");
	dnscache_free(c);
}

int
main(void)
{
	test_ttl();
	test_bounds();
	test_copy();
	return done_testing();
}
