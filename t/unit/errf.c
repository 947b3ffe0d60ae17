/*
 * Unit test of lib/errf: the text written, truncation to the buffer, the
 * NULL / zero-length buffers, and the -1 every call returns.
 */
#include <string.h>

#include "errf.h"
#include "../tap.h"

static const struct {
	size_t		 len;		/* buffer size given to errf (< 64) */
	const char	*want;		/* what the buffer then holds */
	const char	*name;
} cases[] = {
	{ 40, "key a.key: mode 0644 (want 0600)", "formatted in full" },
	{ 33, "key a.key: mode 0644 (want 0600)", "exactly fits" },
	{ 32, "key a.key: mode 0644 (want 0600", "one byte short: truncated" },
	{ 5, "key ", "truncated, still terminated" },
	{ 1, "", "one byte: empty string" },
};

int
main(void)
{
	char	 buf[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 'X', sizeof(buf));
		is_int(errf(buf, cases[i].len, "key %s: mode %04o (want %04o)",
		    "a.key", 0644, 0600), -1, cases[i].name);
		is_str(buf, cases[i].want, "  text");
		ok(buf[cases[i].len] == 'X', "  nothing written past the "
		    "buffer");
	}
	memset(buf, 'X', sizeof(buf));
	is_int(errf(buf, 0, "%s", "no room"), -1, "length 0: returns -1");
	ok(buf[0] == 'X', "  and writes nothing");
	is_int(errf(NULL, 64, "%d", 1), -1, "NULL buffer: returns -1");
	done_testing();
	return 0;
}
