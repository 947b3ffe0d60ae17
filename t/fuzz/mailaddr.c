/*
 * libFuzzer target for lib/mailaddr: a normalised address is at most 254
 * octets, valid UTF-8 with a domain in lower-case ASCII, and normalising
 * it again changes nothing.
 */
// fuzz-sources: lib/mailaddr.c lib/utf8.c
// fuzz-pkgs: libidn2
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailaddr.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

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
