/*
 * libFuzzer target for lib/limit: any accepted LIMIT formats to a
 * canonical text that parses back to the same limit.
 */
// fuzz-sources: lib/limit.c lib/errf.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct limit	 l, back;
	char		 text[256], canon[LIMIT_TEXT_MAX], err[512];

	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (limit_parse(text, &l, err, sizeof(err)) < 0)
		return 0;
	limit_format(&l, canon, sizeof(canon));
	if (limit_parse(canon, &back, err, sizeof(err)) < 0 ||
	    back.dim != l.dim || back.none != l.none ||
	    back.count != l.count || back.window != l.window)
		abort();
	return 0;
}
