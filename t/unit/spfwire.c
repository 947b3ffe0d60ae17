/*
 * spfwire -- the SPF helper's messages (lib/spfwire) and the RFC 7208
 * result names (lib/spfhelper).
 */
#include <string.h>

#include "spfhelper.h"
#include "spfwire.h"
#include "../tap.h"

#define W(s)	s, sizeof(s) - 1

static const struct {
	const char	*bytes;
	size_t		 len;
	const char	*err;		/* NULL: valid */
	const char	*name;
} cases[] = {
	{ W("C7\0" "192.0.2.1\0mx.example.net\0a@b.example\0"), NULL, "check" },
	{ W("C7\0" "192.0.2.1\0mx\0\0"), NULL, "check, empty sender" },
	{ W("X0\0"), NULL, "restart notice" },
	{ W("R4294967295\0pass\0d\0mailfrom\0\0"), NULL, "largest id" },
	{ W("R4294967296\0pass\0d\0mailfrom\0\0"), "bad request id", "id overflow" },
	{ W("C07\0a\0b\0c\0"), "bad request id", "leading zero" },
	{ W("C\0a\0b\0c\0"), "bad request id", "empty id" },
	{ W("C1x\0a\0b\0c\0"), "bad request id", "id with a letter" },
	{ W("Q1\0a\0"), "unknown message type 0x51", "unknown type" },
	{ W("C1\0a\0b\0"), "2 fields, 3 expected", "field missing" },
	{ W("C1\0a\0b\0c"), "2 fields, 3 expected", "last field unterminated" },
	{ W("P1\0a\0b\0"), "2 bytes after the last field", "extra field" },
	{ W("X0"), "message of 2 bytes", "too short" },
};

static void
test_decode(void)
{
	struct spfwire_msg	 m;
	char			 buf[64], err[128];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(buf, cases[i].bytes, cases[i].len);
		err[0] = '\0';
		rc = spfwire_decode(buf, cases[i].len, &m, err, sizeof(err));
		if (cases[i].err == NULL)
			ok(rc == 0, "%s: valid", cases[i].name);
		else
			is_str(rc < 0 ? err : "(accepted)", cases[i].err,
			    cases[i].name);
	}
}

static void
test_round_trip(void)
{
	const char		*f[3] = { "2001:db8::1", "mx.example.net", "" };
	struct spfwire_msg	 m;
	char			 buf[SPFWIRE_MAX], big[SPFWIRE_FIELD_MAX + 1];
	int			 n;

	n = spfwire_encode(buf, sizeof(buf), 'C', 4242, f, 3);
	ok(n == 2 + 4 + 12 + 15 + 1, "encode: length %d", n);
	ok(spfwire_decode(buf, (size_t)n, &m, NULL, 0) == 0 && m.type == 'C'
	    && m.id == 4242 && m.nfield == 3, "decode what was encoded");
	is_str(m.field[1], "mx.example.net", "field 2 back");
	is_str(m.field[2], "", "empty field back");
	is_int(spfwire_encode(buf, sizeof(buf), 'C', 1, f, 2), -1,
	    "encode: wrong field count refused");
	is_int(spfwire_encode(buf, 10, 'C', 1, f, 3), -1,
	    "encode: buffer too small refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	f[0] = big;
	is_int(spfwire_encode(buf, sizeof(buf), 'P', 1, f, 1), -1,
	    "encode: field over SPFWIRE_FIELD_MAX refused");
}

static void
test_names(void)
{
	static const char *const want[] = { "none", "neutral", "pass",
	    "fail", "softfail", "temperror", "permerror" };
	const char	*name;
	int		 i;

	for (i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++) {
		name = spf_result_name(i);
		ok(name != NULL && strcmp(name, want[i]) == 0, "%d: %s", i,
		    want[i]);
		is_int(spf_result_parse(want[i]), i, "parse back");
	}
	is_int(SPFR_PERMERROR, 6, "permerror is the last result");
	is_int(SPFR_PASS, 2, "enum order as documented");
	is_int(spf_result_parse("Pass"), -1, "names are lower case");
	is_int(spf_result_parse("hardfail"), -1, "no other names");
	is_str(spf_result_name(99), "permerror", "out of range: permerror");
}

int
main(void)
{
	test_decode();
	test_round_trip();
	test_names();
	return done_testing();
}
