/*
 * supcsv -- one line of the suppression CSV of "outpostctl suppress
 * import/export", parsed and formatted.  Pure functions, no allocation.
 *
 *   address,reason,created,expires
 *
 * - address: normalised with mailaddr_norm (so the record holds the form
 *   the daemon looks up); RFC 4180 quoting ("a,b"@x -> """a,b""@x").
 * - reason: hard-bounce | complaint | unsubscribe | manual; empty or
 *   missing -> manual.
 * - created, expires: ISO 8601 UTC, 2026-11-28T10:00:00Z (also accepted:
 *   "+00:00" for Z, a space for T, and a bare date meaning midnight UTC).
 *   created empty or missing -> now; expires empty or missing -> never.
 *   expires must be later than created.
 * - A header line (first field "address") and blank lines are skipped;
 *   the line may end in CRLF or LF.  A quoted field cannot span lines.
 *
 *   supcsv_parse(line, len, now, rec, err, errlen)
 *        1 a record in *rec, 0 a line to skip, -1 with err set
 *        ("bad reason \"x\" (hard-bounce, complaint, unsubscribe or
 *        manual)").  The caller prefixes "FILE:LINE: ".
 *   supcsv_format(rec, buf, len)
 *        the line without a line end; its length, or -1 if len is too
 *        small (SUPCSV_LINE_MAX always suffices).  Parsing the result
 *        gives back the same record.
 *   supcsv_parse_time(text, &t) / supcsv_format_time(t, buf, len)
 *        ISO 8601 UTC <-> seconds since the epoch (1970..9999); 0 / -1;
 *        format returns buf.
 *   supcsv_reason_name(r) / supcsv_reason_lookup(name)
 *        "hard-bounce" <-> SUP_HARD_BOUNCE; NULL / -1 when unknown.
 *        enum sup_reason and these names are THE suppression reasons:
 *        lib/schema.h stores them (numbered as here) and policyd names
 *        them in its replies.
 */
#ifndef OUTPOST_SUPCSV_H
#define OUTPOST_SUPCSV_H

#include <stddef.h>

#include "mailaddr.h"

enum sup_reason {
	SUP_HARD_BOUNCE,
	SUP_COMPLAINT,
	SUP_UNSUBSCRIBE,
	SUP_MANUAL,
};
#define SUP_NREASON	4

#define SUPCSV_HEADER	"address,reason,created,expires"
#define SUPCSV_LINE_MAX	1024	/* longest accepted line, line end included */
#define SUPCSV_TIME_MAX	32

struct supcsv_rec {
	char		 address[MAILADDR_MAX + 1];
	int		 reason;	/* enum sup_reason */
	long long	 created;	/* seconds since the epoch, UTC */
	long long	 expires;	/* 0: never */
};

int		 supcsv_parse(const char *, size_t, long long,
		    struct supcsv_rec *, char *, size_t);
int		 supcsv_format(const struct supcsv_rec *, char *, size_t);
int		 supcsv_parse_time(const char *, long long *);
char		*supcsv_format_time(long long, char *, size_t);
const char	*supcsv_reason_name(int);
int		 supcsv_reason_lookup(const char *);

#endif
