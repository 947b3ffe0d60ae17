/*
 * libFuzzer target for the DMARC author domain (lib/dmarc_eval.c,
 * dmarc_author_domain): the input is split at NUL bytes into up to four
 * From field values.  A domain is given only for exactly one field, it
 * is a normalised host name, and every address of that field has it as
 * its normalised domain (never the first of several domains: CVE-2019-
 * 16378); a refusal leaves out empty and says why in one line.
 */
// fuzz-sources: lib/dmarc_eval.c lib/dmarc.c lib/dmarc_record.c lib/psl.c lib/confval.c lib/rfc5322.c lib/mailaddr.c lib/utf8.c lib/errf.c
// fuzz-pkgs: libidn2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"
#include "mailaddr.h"
#include "rfc5322.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every address of value has the normalised domain d. */
static void
check_all(const char *value, const char *d)
{
	struct rfc5322_addrs	 a = { 0, NULL, NULL };
	char			 norm[MAILDOMAIN_MAX + 1], e[256];
	size_t			 i;

	if (rfc5322_parse_addresses(value, strlen(value), &a, e,
	    sizeof(e)) < 0 || a.n == 0)
		abort();
	for (i = 0; i < a.n; i++)
		if (mailaddr_domain_norm(a.v[i].domain, norm, sizeof(norm), e,
		    sizeof(e)) < 0 || strcmp(norm, d) != 0)
			abort();
	rfc5322_addrs_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 buf[4096], out[DMARC_NAME_MAX], why[256];
	const char	*v[4];
	size_t		 n = 0, i = 0;
	int		 rc;

	if (size >= sizeof(buf))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	while (n < 4) {
		v[n++] = buf + i;
		i += strlen(buf + i) + 1;
		if (i > size)
			break;
	}
	why[0] = '\0';
	rc = dmarc_author_domain(v, n, out, sizeof(out), why, sizeof(why));
	if (rc < 0) {
		if (out[0] != '\0' || why[0] == '\0' ||
		    strchr(why, '\n') != NULL)
			abort();
		return 0;
	}
	/* '_' is the one byte the normaliser allows beyond a host name */
	if (n != 1 || (!mailaddr_domain_is_hostname(out) &&
	    strchr(out, '_') == NULL))
		abort();
	check_all(v[0], out);
	return 0;
}
