/*
 * dns -- the pure parts of lib/dns: TXT character-strings joined, status
 * names.  Lookups are tested against a real nsd in t/dns.t.
 */
#include <string.h>

#include "dns.h"
#include "../tap.h"

static const struct {
	const char	*rdata;
	size_t		 len;
	const char	*want;		/* NULL: malformed */
	const char	*name;
} txt_cases[] = {
	{ "\003abc", 4, "abc", "one string" },
	{ "\003abc\002de", 7, "abcde", "two strings joined, no separator" },
	{ "\000", 1, "", "one empty string" },
	{ "", 0, "", "no string at all" },
	{ "\004abc", 4, NULL, "length past the end" },
	{ "\003abc\005de", 7, NULL, "second length past the end" },
	{ "\003a\0c", 4, NULL, "NUL inside a string" },
};

static void
test_txt(void)
{
	char	 out[64];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(txt_cases) / sizeof(txt_cases[0]); i++) {
		n = dns_txt_join((const unsigned char *)txt_cases[i].rdata,
		    txt_cases[i].len, out, sizeof(out));
		if (txt_cases[i].want == NULL) {
			is_int(n, -1, txt_cases[i].name);
			continue;
		}
		is_int(n, (int)strlen(txt_cases[i].want), txt_cases[i].name);
		is_str(out, txt_cases[i].want, txt_cases[i].name);
	}
	n = dns_txt_join((const unsigned char *)"\005abcde", 6, out, 5);
	is_int(n, -1, "output buffer too small: refused, not truncated");
	n = dns_txt_join((const unsigned char *)"\004abcd", 5, out, 5);
	is_int(n, 4, "output buffer exactly large enough");
}

int
main(void)
{
	test_txt();
	is_str(dns_status_name(DNS_OK), "ok", "status ok");
	is_str(dns_status_name(DNS_NXDOMAIN), "NXDOMAIN", "status NXDOMAIN");
	is_str(dns_status_name(DNS_NODATA), "no data", "status no data");
	is_str(dns_status_name(DNS_ERROR), "error", "status error");
	is_str(dns_status_name(42), "unknown", "status out of range");
	return done_testing();
}
