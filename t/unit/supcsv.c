/*
 * Unit test of lib/supcsv: lines and the record they give (shown as the
 * canonical line), every error message, and format -> parse round trips.
 */
#include <stdio.h>
#include <string.h>

#include "supcsv.h"
#include "../tap.h"

#define NOW	1795860000LL	/* 2026-11-28T10:00:00Z */

static const struct {
	const char	*in;
	int		 rc;
	const char	*out;	/* canonical line, or the error */
} lines[] = {
	{ "bob@example.com,hard-bounce,2026-11-28T10:00:00Z,", 1,
	    "bob@example.com,hard-bounce,2026-11-28T10:00:00Z," },
	{ "bob@example.com,hard-bounce,2026-11-28T10:00:00Z,\r\n", 1,
	    "bob@example.com,hard-bounce,2026-11-28T10:00:00Z," },
	{ "bob@example.com\n", 1,
	    "bob@example.com,manual,2026-11-28T10:00:00Z," },
	{ "Bob@Exämple.COM,complaint", 1,
	    "Bob@xn--exmple-cua.com,complaint,2026-11-28T10:00:00Z," },
	{ "<a@b.org>,unsubscribe,2020-02-29", 1,
	    "a@b.org,unsubscribe,2020-02-29T00:00:00Z," },
	{ "a@b.org,,2020-01-01T00:00:00+00:00,2030-12-31 23:59:59Z", 1,
	    "a@b.org,manual,2020-01-01T00:00:00Z,2030-12-31T23:59:59Z" },
	{ " a@b.org , manual , 2020-01-01t01:02:03z , ", 1,
	    "a@b.org,manual,2020-01-01T01:02:03Z," },
	{ "\"a@b.org\",\"complaint\"", 1,
	    "a@b.org,complaint,2026-11-28T10:00:00Z," },
	{ "\"\"\"a,b\"\"@x.org\",manual,2021-05-05T05:05:05Z,", 1,
	    "\"\"\"a,b\"\"@x.org\",manual,2021-05-05T05:05:05Z," },
	{ "\"\"\"x\"\"\"\"y\"\"@x.org\"", 1,
	    "\"\"\"x\"\"\"\"y\"\"@x.org\",manual,2026-11-28T10:00:00Z," },
	{ "a@b.org,manual,,2030-01-01T00:00:00Z", 1,
	    "a@b.org,manual,2026-11-28T10:00:00Z,2030-01-01T00:00:00Z" },
	{ "", 0, "" },
	{ "\r\n", 0, "" },
	{ "   \n", 0, "" },
	{ "address,reason,created,expires\r\n", 0, "" },
	{ "Address", 0, "" },
	{ "bob", -1, "bad address \"bob\": missing '@'" },
	{ ",manual", -1, "bad address \"\": empty address" },
	{ "\"\"", -1, "bad address \"\": empty address" },
	{ "a@b@c.org", -1, "bad address \"a@b@c.org\": more than one '@'" },
	{ "a@b.org,bounce", -1, "bad reason \"bounce\" (hard-bounce, "
	    "complaint, unsubscribe or manual)" },
	{ "a@b.org,Manual", -1, "bad reason \"Manual\" (hard-bounce, "
	    "complaint, unsubscribe or manual)" },
	{ "a@b.org,manual,yesterday", -1, "bad created date \"yesterday\" "
	    "(ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,2021-02-29", -1, "bad created date \"2021-02-29\" "
	    "(ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,2021-13-01", -1, "bad created date \"2021-13-01\" "
	    "(ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,2021-01-01T10:00:00", -1, "bad created date "
	    "\"2021-01-01T10:00:00\" (ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,2021-01-01T24:00:00Z", -1, "bad created date "
	    "\"2021-01-01T24:00:00Z\" (ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,2021-01-01T10:00:00+02:00", -1, "bad created date "
	    "\"2021-01-01T10:00:00+02:00\" (ISO 8601 UTC, e.g. "
	    "2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,1969-12-31", -1, "bad created date \"1969-12-31\" "
	    "(ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,,2021-1-1", -1, "bad expires date \"2021-1-1\" "
	    "(ISO 8601 UTC, e.g. 2026-11-28T10:00:00Z)" },
	{ "a@b.org,manual,2021-01-02,2021-01-01", -1, "expires 2021-01-01 is "
	    "not after created" },
	{ "a@b.org,manual,2021-01-01,2021-01-01", -1, "expires 2021-01-01 is "
	    "not after created" },
	{ "a@b.org,manual,,,", -1, "more than 4 fields (expected "
	    "address,reason,created,expires)" },
	{ "\"a@b.org", -1, "field 1: unterminated quote" },
	{ "\"a@b.org\"x,manual", -1, "field 1: text after the closing quote" },
	{ "a@b.org,man\"ual", -1, "field 2: quote inside an unquoted field" },
};

static void
test_lines(void)
{
	struct supcsv_rec	 r;
	char			 err[512], out[SUPCSV_LINE_MAX];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		err[0] = out[0] = '\0';
		rc = supcsv_parse(lines[i].in, strlen(lines[i].in), NOW, &r,
		    err, sizeof(err));
		if (!is_int(rc, lines[i].rc, tap_name(lines[i].in)) && rc < 0)
			diag("error: %s", err);
		if (rc == 1)
			supcsv_format(&r, out, sizeof(out));
		is_str(rc < 0 ? err : out, lines[i].out, rc < 0 ? "  error" :
		    "  record");
	}
}

static void
test_limits(void)
{
	struct supcsv_rec	 r;
	char			 line[2048], err[512];
	long long		 t;

	memset(line, 'a', sizeof(line));
	is_int(supcsv_parse(line, SUPCSV_LINE_MAX, NOW, &r, err, sizeof(err)),
	    -1, "overlong line refused");
	is_str(err, "line longer than 1023 bytes", "  error");
	is_int(supcsv_parse("a@b.org\0,x", 10, NOW, &r, err, sizeof(err)), -1,
	    "NUL byte refused");
	is_str(err, "NUL byte in line", "  error");
	is_int(supcsv_parse_time("9999-12-31T23:59:59Z", &t), 0, "year 9999");
	is_int(t, 253402300799LL, "  epoch seconds");
	is_int(supcsv_parse_time("1970-01-01T00:00:00Z", &t), 0, "epoch");
	is_int(t, 0, "  zero");
	is_str(supcsv_format_time(NOW, line, sizeof(line)),
	    "2026-11-28T10:00:00Z", "format NOW");
}

/* The one table of reasons; its numbers are stored in Redis (schema.h). */
static void
test_reasons(void)
{
	static const char *const names[] = {
		"hard-bounce", "complaint", "unsubscribe", "manual",
	};
	int	 i;

	is_int(SUP_NREASON, 4, "four reasons");
	for (i = 0; i < 4; i++) {
		is_int(supcsv_reason_lookup(names[i]), i, names[i]);
		is_str(supcsv_reason_name(i), names[i], "  name");
	}
	is_int(SUP_MANUAL, 3, "manual is 3 (R of the stored value)");
	ok(supcsv_reason_lookup("bounce") < 0, "unknown reason refused");
	ok(supcsv_reason_name(SUP_NREASON) == NULL, "no name past the table");
	ok(supcsv_reason_name(-1) == NULL, "no name before the table");
}

/* Every record, formatted, parses back to the identical record. */
static void
test_roundtrip(void)
{
	static const char *const addrs[] = {
		"plain@example.com", "\"a,b\"@x.org", "\"q\"\"\"@x.org",
		"\" lead\"@x.org", "üñí@xn--exmple-cua.com", "x@[192.0.2.1]",
	};
	struct supcsv_rec	 r, back;
	char			 line[SUPCSV_LINE_MAX], err[256];
	size_t			 i;
	int			 n, same;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		memset(&r, 0, sizeof(r));
		snprintf(r.address, sizeof(r.address), "%s", addrs[i]);
		r.reason = (int)(i % SUP_NREASON);
		r.created = NOW - (long long)i * 86399;
		r.expires = i % 2 ? NOW + 3600 : 0;
		n = supcsv_format(&r, line, sizeof(line));
		same = n > 0 && supcsv_parse(line, (size_t)n, 0, &back, err,
		    sizeof(err)) == 1 && strcmp(back.address, r.address) == 0 &&
		    back.reason == r.reason && back.created == r.created &&
		    back.expires == r.expires;
		if (!ok(same, "round trip %s", addrs[i]))
			diag("line: %s (%s)", line, err);
	}
	is_int(supcsv_format(&r, line, 10), -1, "short buffer refused");
}

int
main(void)
{
	test_lines();
	test_limits();
	test_reasons();
	test_roundtrip();
	return done_testing();
}
