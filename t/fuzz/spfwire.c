/*
 * fuzz target: spfwire_decode on arbitrary datagrams; whatever it
 * accepts must encode back to the same bytes.
 */
// fuzz-sources: lib/spfwire.c lib/errf.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spfwire.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct spfwire_msg	 m;
	char			 buf[SPFWIRE_MAX], out[SPFWIRE_MAX], err[128];
	int			 n;

	if (len > SPFWIRE_MAX)
		return 0;
	memcpy(buf, data, len);
	if (spfwire_decode(buf, len, &m, err, sizeof(err)) < 0)
		return 0;
	n = spfwire_encode(out, sizeof(out), m.type, m.id,
	    (const char *const *)m.field, m.nfield);
	if (n != (int)len || memcmp(out, data, len) != 0)
		abort();
	return 0;
}
