/*
 * libFuzzer target for lib/mailaddr: a normalised address is at most 254
 * octets, valid UTF-8 with a domain in lower-case ASCII, and normalising
 * it again changes nothing.  The same input as a domain: at most 253
 * octets of lower-case ASCII, stable, and a host name has only
 * [a-z0-9.-].
 */
// fuzz-sources: lib/mailaddr.c lib/utf8.c lib/errf.c
// fuzz-pkgs: libidn2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailaddr.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
domain(const char *in)
{
	char		 out[MAILDOMAIN_MAX + 1], again[MAILDOMAIN_MAX + 1];
	char		 err[256];
	const char	*p;

	if (mailaddr_domain_norm(in, out, sizeof(out), err, sizeof(err)) < 0)
		return;
	for (p = out; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || (*p >= 'A' && *p <= 'Z') ||
		    (mailaddr_domain_is_hostname(out) &&
		    strchr("abcdefghijklmnopqrstuvwxyz0123456789.-", *p) ==
		    NULL))
			abort();
	if (mailaddr_domain_norm(out, again, sizeof(again), err,
	    sizeof(err)) < 0 || strcmp(out, again) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 in[2048], out[MAILADDR_MAX + 1], again[MAILADDR_MAX + 1];
	char		 err[256];
	const char	*d, *p;

	if (size >= sizeof(in))
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	domain(in);
	if (mailaddr_norm(in, out, sizeof(out), err, sizeof(err)) < 0)
		return 0;
	if (strlen(out) > MAILADDR_MAX ||
	    !utf8_valid((const unsigned char *)out, strlen(out)) ||
	    (d = mailaddr_domain(out)) == NULL)
		abort();
	for (p = d; *p != '\0'; p++)
		if ((unsigned char)*p >= 0x80 || (*p >= 'A' && *p <= 'Z'))
			abort();
	if (mailaddr_norm(out, again, sizeof(again), err, sizeof(err)) < 0 ||
	    strcmp(out, again) != 0)
		abort();
	return 0;
}
