/*
 * libFuzzer target for lib/psl: the input is parsed as a list, then every
 * line of it is also looked up as a domain.  The suffix must be a tail of
 * the domain starting at a label, the organisational domain either the
 * domain itself (a public suffix) or one label more than the suffix.
 */
// fuzz-sources: lib/psl.c lib/errf.c
// fuzz-pkgs: libidn2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "psl.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(const struct psl *l, const char *d)
{
	const char	*suf = psl_suffix(l, d), *org = psl_org_domain(l, d);
	size_t		 n = strlen(d);

	if (suf < d || suf > d + n || org < d || org > suf)
		abort();	/* not a tail of d */
	if (suf != d && suf[-1] != '.')
		abort();	/* not at a label */
	if (org == suf) {
		if (org != d)
			abort();
	} else if (memchr(org, '.', (size_t)(suf - org - 1)) != NULL ||
	    suf[-1] != '.' || (org != d && org[-1] != '.'))
		abort();	/* org is one label before the suffix */
	if (psl_is_suffix(l, d) != (suf == d))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psl	*l;
	char		 err[256], line[300];
	const char	*p = (const char *)data, *end = p + size, *nl;
	size_t		 n;

	if ((l = psl_parse((const char *)data, size, err, sizeof(err))) ==
	    NULL)
		return 0;
	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		n = (size_t)(nl - p);
		if (n == 0 || n >= sizeof(line) || memchr(p, '\0', n) != NULL)
			continue;
		memcpy(line, p, n);
		line[n] = '\0';
		check(l, line);
	}
	check(l, "example.com");
	psl_free(l);
	return 0;
}
