/*
 * Unit test of lib/limit: every accepted form with its canonical text and
 * parsed fields, and every error with its exact message.
 */
#include <stdio.h>
#include <string.h>

#include "limit.h"
#include "../tap.h"

static const struct {
	const char		*in;
	const char		*canon;
	int			 dim;
	int			 none;
	unsigned long long	 count;
	long			 window;
} good[] = {
	{ "messages=100/1m", "messages=100/1m", LIMIT_MESSAGES, 0, 100, 60 },
	{ "messages=100/60s", "messages=100/1m", LIMIT_MESSAGES, 0, 100, 60 },
	{ "messages=100/90s", "messages=100/90s", LIMIT_MESSAGES, 0, 100, 90 },
	{ "messages=200/1d", "messages=200/1d", LIMIT_MESSAGES, 0, 200, 86400 },
	{ "messages=50000/24h", "messages=50K/1d", LIMIT_MESSAGES, 0, 50000,
	    86400 },
	{ "messages=100/30s", "messages=100/30s", LIMIT_MESSAGES, 0, 100, 30 },
	{ "recipients=200K/1d", "recipients=200K/1d", LIMIT_RECIPIENTS, 0,
	    200000, 86400 },
	{ "recipients=1500/2h", "recipients=1500/2h", LIMIT_RECIPIENTS, 0,
	    1500, 7200 },
	{ "bytes=10G/1d", "bytes=10G/1d", LIMIT_BYTES, 0, 10000000000ULL,
	    86400 },
	{ "bytes=10000M/1d", "bytes=10G/1d", LIMIT_BYTES, 0, 10000000000ULL,
	    86400 },
	{ "bytes=10g/1d", "bytes=10G/1d", LIMIT_BYTES, 0, 10000000000ULL,
	    86400 },
	{ "bytes=1k/1h", "bytes=1K/1h", LIMIT_BYTES, 0, 1000, 3600 },
	{ "bytes=2m/7d", "bytes=2M/7d", LIMIT_BYTES, 0, 2000000, 604800 },
	{ "bytes=1000000000000000/month", "bytes=1000000G/month",
	    LIMIT_BYTES, 0, 1000000000000000ULL, LIMIT_MONTH },
	{ "bytes=1000000G/1d", "bytes=1000000G/1d", LIMIT_BYTES, 0,
	    1000000000000000ULL, 86400 },
	{ "messages=1/1s", "messages=1/1s", LIMIT_MESSAGES, 0, 1, 1 },
	{ "messages=1/365d", "messages=1/365d", LIMIT_MESSAGES, 0, 1,
	    365L * 86400 },
	{ "messages=1/8760h", "messages=1/365d", LIMIT_MESSAGES, 0, 1,
	    365L * 86400 },
	{ "messages=007/1m", "messages=7/1m", LIMIT_MESSAGES, 0, 7, 60 },
	{ "messages=1001/1m", "messages=1001/1m", LIMIT_MESSAGES, 0, 1001,
	    60 },
	{ "messages=5000/month", "messages=5K/month", LIMIT_MESSAGES, 0, 5000,
	    LIMIT_MONTH },
	{ "messages=none", "messages=none", LIMIT_MESSAGES, 1, 0,
	    LIMIT_ANY_WINDOW },
	{ "bytes=none/1d", "bytes=none/1d", LIMIT_BYTES, 1, 0, 86400 },
	{ "recipients=none/month", "recipients=none/month", LIMIT_RECIPIENTS,
	    1, 0, LIMIT_MONTH },
};

#define WEX "(examples: 30s, 1m, 1h, 1d, month)"
#define CEX "(a whole number, optionally with K, M or G: 100, 50K, 10G)"

static const struct {
	const char	*in;
	const char	*err;
} bad[] = {
	{ "messages=100/1x", "messages=100/1x: bad window \"1x\" " WEX },
	{ "messages=100/", "messages=100/: bad window \"\" " WEX },
	{ "messages=100/60", "messages=100/60: bad window \"60\" " WEX },
	{ "messages=100/h", "messages=100/h: bad window \"h\" " WEX },
	{ "messages=100/1H", "messages=100/1H: bad window \"1H\" " WEX },
	{ "messages=100/1hh", "messages=100/1hh: bad window \"1hh\" " WEX },
	{ "messages=100/-1h", "messages=100/-1h: bad window \"-1h\" " WEX },
	{ "messages=100/Month", "messages=100/Month: bad window \"Month\" "
	    WEX },
	{ "messages=100/1h/2h", "messages=100/1h/2h: bad window \"1h/2h\" "
	    WEX },
	{ "messages=100/0s", "messages=100/0s: window \"0s\" out of range "
	    "(1s to 365d, or month)" },
	{ "messages=100/366d", "messages=100/366d: window \"366d\" out of "
	    "range (1s to 365d, or month)" },
	{ "messages=100/99999999999999999999d", "messages=100/"
	    "99999999999999999999d: window \"99999999999999999999d\" out of "
	    "range (1s to 365d, or month)" },
	{ "messages=100", "messages=100: missing \"/WINDOW\" "
	    "(e.g. messages=100/1h)" },
	{ "messages=/1h", "messages=/1h: bad count \"\" " CEX },
	{ "messages=abc/1h", "messages=abc/1h: bad count \"abc\" " CEX },
	{ "messages=1.5K/1h", "messages=1.5K/1h: bad count \"1.5K\" " CEX },
	{ "messages=10T/1h", "messages=10T/1h: bad count \"10T\" " CEX },
	{ "messages=-1/1h", "messages=-1/1h: bad count \"-1\" " CEX },
	{ "messages= 1/1h", "messages= 1/1h: bad count \" 1\" " CEX },
	{ "messages=K/1h", "messages=K/1h: bad count \"K\" " CEX },
	{ "messages=1KK/1h", "messages=1KK/1h: bad count \"1KK\" " CEX },
	{ "messages=0/1h", "messages=0/1h: count must be at least 1 (to stop "
	    "a user sending, use \"user suspend\")" },
	{ "messages=0K/1h", "messages=0K/1h: count must be at least 1 (to "
	    "stop a user sending, use \"user suspend\")" },
	{ "bytes=1000001G/1d", "bytes=1000001G/1d: count \"1000001G\" too "
	    "large (at most 1000000G)" },
	{ "bytes=1000000000000001/1d", "bytes=1000000000000001/1d: count "
	    "\"1000000000000001\" too large (at most 1000000G)" },
	{ "bytes=99999999999999999999999/1d", "bytes=99999999999999999999999"
	    "/1d: count \"99999999999999999999999\" too large "
	    "(at most 1000000G)" },
	{ "bytes=123456789012345678901234567890123/1d",
	    "bytes=123456789012345678901234567890123/1d: bad count "
	    "\"123456789012345678901234567890123\" " CEX },
	{ "messages=none/1x", "messages=none/1x: bad window \"1x\" " WEX },
	{ "messages=none/0m", "messages=none/0m: window \"0m\" out of range "
	    "(1s to 365d, or month)" },
	{ "messages=nonesuch/1h", "messages=nonesuch/1h: bad count "
	    "\"nonesuch\" " CEX },
	{ "mails=100/1h", "mails=100/1h: unknown dimension \"mails\" "
	    "(messages, recipients or bytes)" },
	{ "Messages=100/1h", "Messages=100/1h: unknown dimension \"Messages\" "
	    "(messages, recipients or bytes)" },
	{ "=100/1h", "=100/1h: unknown dimension \"\" "
	    "(messages, recipients or bytes)" },
	{ "averyveryverylongdimension=1/1h", "averyveryverylongdimension=1/1h:"
	    " unknown dimension \"averyveryverylongdimension\" "
	    "(messages, recipients or bytes)" },
	{ "messages100/1h", "messages100/1h: expected DIMENSION=COUNT/WINDOW "
	    "(e.g. messages=100/1h)" },
	{ "", ": expected DIMENSION=COUNT/WINDOW (e.g. messages=100/1h)" },
};

static void
test_good(void)
{
	struct limit	 l;
	char		 err[256], buf[LIMIT_TEXT_MAX], again[LIMIT_TEXT_MAX];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		if (!ok(limit_parse(good[i].in, &l, err, sizeof(err)) == 0,
		    "parse %s", good[i].in)) {
			diag("error: %s", err);
			continue;
		}
		ok(l.dim == good[i].dim && l.none == good[i].none &&
		    l.count == good[i].count && l.window == good[i].window,
		    "%s: dim %d none %d count %llu window %ld", good[i].in,
		    l.dim, l.none, l.count, l.window);
		is_str(limit_format(&l, buf, sizeof(buf)), good[i].canon,
		    good[i].in);
		/* The canonical text parses to the same limit. */
		limit_parse(buf, &l, err, sizeof(err));
		is_str(limit_format(&l, again, sizeof(again)), buf,
		    "canonical text is a fixed point");
	}
}

static void
test_bad(void)
{
	struct limit	 l;
	char		 err[512];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ok(limit_parse(bad[i].in, &l, err, sizeof(err)) == -1,
		    "refused: %s", bad[i].in);
		is_str(err, bad[i].err, "error message");
	}
}

static void
test_pieces(void)
{
	char	 buf[32];

	is_str(limit_format_count(1, buf, sizeof(buf)), "1", "count 1");
	is_str(limit_format_count(1000, buf, sizeof(buf)), "1K", "count 1K");
	is_str(limit_format_count(1234000, buf, sizeof(buf)), "1234K",
	    "count 1234K");
	is_str(limit_format_count(1000000000000ULL, buf, sizeof(buf)),
	    "1000G", "no unit above G");
	is_str(limit_format_window(3660, buf, sizeof(buf)), "61m", "61m");
	is_str(limit_format_window(LIMIT_MONTH, buf, sizeof(buf)), "month",
	    "month");
	is_str(limit_dim_name(LIMIT_RECIPIENTS), "recipients", "dim name");
	ok(limit_dim_name(LIMIT_NDIM) == NULL, "no name past the table");
	is_int(limit_dim_lookup("bytes"), LIMIT_BYTES, "lookup bytes");
	is_int(limit_dim_lookup("byte"), -1, "lookup byte");
	is_int(limit_parse_count("0", &(unsigned long long){0}), -3, "zero");
	is_int(limit_parse_count("2000000G", &(unsigned long long){0}), -2,
	    "too large");
	is_int(limit_parse_window("0h", &(long){0}), -2, "0h out of range");
}

int
main(void)
{
	test_good();
	test_bad();
	test_pieces();
	return done_testing();
}
