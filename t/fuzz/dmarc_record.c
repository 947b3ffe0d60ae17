/*
 * libFuzzer target for the DMARC record parser (lib/dmarc_record.c): a
 * record that parses has every field in range and its copied text
 * printable; written back as a canonical record and parsed again it
 * gives the same fields; a refused record leaves *out reset.
 */
// fuzz-sources: lib/dmarc_record.c lib/errf.c
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_text(const char *s, size_t size)
{
	size_t	 n = strnlen(s, size);

	if (n == size)
		abort();	/* not terminated */
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			abort();
}

static void
check_fields(const struct dmarc_record *r)
{
	if (r->p < DMARC_NONE || r->p > DMARC_REJECT ||
	    r->sp < -1 || r->sp > DMARC_REJECT ||
	    r->np < -1 || r->np > DMARC_REJECT ||
	    r->pct < 0 || r->pct > 100 ||
	    r->psd < DMARC_PSD_U || r->psd > DMARC_PSD_N ||
	    (r->adkim_strict | r->aspf_strict | r->testing) > 1)
		abort();
	check_text(r->rua, sizeof(r->rua));
	check_text(r->ruf, sizeof(r->ruf));
	check_text(r->note, sizeof(r->note));
}

/* The record again, in canonical form, must parse to the same policy. */
static void
round_trip(const struct dmarc_record *r)
{
	static const char *const psd[] = { "u", "y", "n" };
	struct dmarc_record	 b;
	char			 txt[256], err[256];
	int			 n;

	n = snprintf(txt, sizeof(txt), "v=DMARC1; p=%s; adkim=%c; aspf=%c; "
	    "t=%c; psd=%s; pct=%d%s%s%s%s", dmarc_policy_name(r->p),
	    r->adkim_strict ? 's' : 'r', r->aspf_strict ? 's' : 'r',
	    r->testing ? 'y' : 'n', psd[r->psd], r->pct,
	    r->sp >= 0 ? "; sp=" : "", r->sp >= 0 ? dmarc_policy_name(r->sp) :
	    "", r->np >= 0 ? "; np=" : "", r->np >= 0 ?
	    dmarc_policy_name(r->np) : "");
	if (n < 0 || (size_t)n >= sizeof(txt))
		abort();
	if (dmarc_record_parse(txt, &b, err, sizeof(err)) < 0 ||
	    b.p != r->p || b.sp != r->sp || b.np != r->np ||
	    b.adkim_strict != r->adkim_strict ||
	    b.aspf_strict != r->aspf_strict || b.testing != r->testing ||
	    b.psd != r->psd || b.pct != r->pct || b.flags != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char			 txt[4096], err[256];
	struct dmarc_record	 r;

	if (size >= sizeof(txt))
		return 0;
	memcpy(txt, data, size);
	txt[size] = '\0';
	if (dmarc_record_parse(txt, &r, err, sizeof(err)) < 0) {
		if (r.p != -1 || r.rua[0] != '\0' || r.note[0] != '\0' ||
		    strnlen(err, sizeof(err)) == sizeof(err) || err[0] == '\0')
			abort();
		return 0;
	}
	if (!dmarc_record_is_dmarc(txt))
		abort();
	check_fields(&r);
	round_trip(&r);
	return 0;
}
