/*
 * libFuzzer target for lib/supcsv: every line of the input is parsed; a
 * parsed record is formatted and parsed again and must come back
 * identical (export -> import loses nothing), and its address must be a
 * fixed point of mailaddr_norm.
 */
// fuzz-sources: lib/supcsv.c lib/mailaddr.c lib/utf8.c
// fuzz-pkgs: libidn2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "supcsv.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_record(const struct supcsv_rec *r)
{
	struct supcsv_rec	 back;
	char			 line[SUPCSV_LINE_MAX * 2], err[512];
	char			 again[MAILADDR_MAX + 1];
	int			 n;

	if (mailaddr_norm(r->address, again, sizeof(again), err,
	    sizeof(err)) < 0 || strcmp(again, r->address) != 0)
		abort();	/* a normalised address must stay put */
	n = supcsv_format(r, line, sizeof(line));
	if (n < 0)
		abort();
	if (supcsv_parse(line, (size_t)n, 0, &back, err, sizeof(err)) != 1)
		abort();
	if (strcmp(back.address, r->address) != 0 ||
	    back.reason != r->reason || back.created != r->created ||
	    back.expires != r->expires)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *end = p + size, *nl;
	struct supcsv_rec	 r;
	char			 err[512];
	size_t			 n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (supcsv_parse(p, n, 1795860000LL, &r, err,
		    sizeof(err)) == 1)
			check_record(&r);
		p += n;
	}
	return 0;
}
