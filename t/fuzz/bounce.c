/*
 * libFuzzer target for lib/bounce's rules parser: the input is a rules
 * file.  It loads or fails with a "f:LINE: " error; a loaded set must
 * classify a few outcomes without crashing, every verdict naming a
 * known category, and a rule's line must lie within the input.
 */
// fuzz-sources: lib/bounce.c lib/errf.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bounce_rules	*rs = bounce_rules_new();
	struct bounce_verdict	 v;
	char			 err[512];
	size_t			 i, lines = 1;

	if (rs == NULL)
		abort();
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (bounce_rules_add_text(rs, "f", (const char *)data, size, err,
	    sizeof(err)) < 0) {
		if (strncmp(err, "f:", 2) != 0 || bounce_rules_count(rs) != 0)
			abort();
	} else {
		if (bounce_classify(rs, "bounced", "5.1.1", 550, "RCPT",
		    "550 5.1.1 user unknown", &v) == 1 &&
		    (v.line < 1 || (size_t)v.line > lines))
			abort();
		bounce_classify(rs, NULL, NULL, 0, NULL, NULL, &v);
		if (bounce_category_name(v.category) == NULL)
			abort();
	}
	bounce_rules_free(rs);
	return 0;
}
