/*
 * libFuzzer target for lib/authres: any field value gives an id or a
 * refusal; an id read is a non-empty string that, written back as our
 * authserv-id (when it has no control characters, which are dropped
 * then), is read again unchanged and judged ours; a field built
 * with the input as id, comment and value has every line within 78
 * characters or a single word on it, none over 998, and only "\n\t"
 * folds.
 */
// fuzz-sources: lib/authres.c lib/errf.c
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_text(const char *s)
{
	size_t	 col = strlen("Authentication-Results: ");

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			if (s[1] != '\t')
				abort();
			col = 0;
			continue;
		}
		if (*s == '\r' || ++col > 998)
			abort();
	}
}

/* Control characters are dropped when written: no round trip. */
static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 id[AUTHRES_ID_MAX + 1], again[AUTHRES_ID_MAX + 1];
	char		*in, *s;
	struct authres	*a;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	if (authres_id(in, id, sizeof(id), NULL, 0) == 0) {
		if (id[0] == '\0' || !authres_is_ours(in, id))
			abort();
		if (printable(id) && (a = authres_new(id)) != NULL) {
			s = authres_text(a, NULL, 0);
			if (s == NULL || authres_id(s, again, sizeof(again),
			    NULL, 0) < 0 || strcmp(again, id) != 0)
				abort();
			free(s);
			authres_free(a);
		}
	}
	if ((a = authres_new(in)) != NULL) {
		authres_method(a, "dkim", "pass");
		authres_comment(a, in);
		authres_prop(a, "header", "d", in);
		authres_method(a, "spf", "fail");
		authres_prop(a, "smtp", "mailfrom", in);
		if ((s = authres_text(a, NULL, 0)) != NULL) {
			check_text(s);
			free(s);
		}
		authres_free(a);
	}
	free(in);
	return 0;
}
