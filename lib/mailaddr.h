/*
 * mailaddr -- normalise an email address (or a domain) once, the same way
 * for outpost-policyd, outpostctl and outpost-feedback, so that a
 * suppression written by one is found by the others.
 *
 *   mailaddr_norm(in, out, outlen, err, errlen)
 *        0, or -1 with err set.  out receives "local@domain":
 *        - surrounding white space and one pair of <> are removed;
 *        - the domain is lower-cased, a trailing dot dropped, and an IDN
 *          (U-labels, UTF-8) converted to A-labels with libidn2
 *          (IDNA 2008 + UTS#46 non-transitional, NFC input):
 *          "Bob@Exämple.COM" -> "Bob@xn--exmple-cua.com";
 *        - the local part is kept byte for byte, case included: RFC 5321
 *          2.4 leaves its interpretation to the receiving host, which may
 *          treat "Bob" and "bob" as different mailboxes, so folding it
 *          could suppress (or un-suppress) the wrong one.  Quoted local
 *          parts ("a@b"@example.com) are kept with their quotes.
 *        Refused: empty input, no '@', '@' more than once outside quotes,
 *        an empty local part or domain, control characters (and unquoted
 *        spaces) anywhere, bytes that are not UTF-8, a domain label that
 *        is empty or longer than 63, a result longer than 254 octets.
 *        outlen must be at least MAILADDR_MAX + 1.
 *   mailaddr_domain_norm(in, out, outlen, err, errlen)
 *        the domain rules alone ("Exämple.COM." -> "xn--exmple-cua.com");
 *        address literals ("[192.0.2.1]") are kept as they are.
 *   mailaddr_domain(addr)
 *        pointer to the domain inside a normalised address (after its
 *        last '@'), or NULL.
 */
#ifndef OUTPOST_MAILADDR_H
#define OUTPOST_MAILADDR_H

#include <stddef.h>

#define MAILADDR_MAX	254	/* octets, RFC 5321 path limit minus <> */
#define MAILDOMAIN_MAX	253

int		 mailaddr_norm(const char *, char *, size_t, char *, size_t);
int		 mailaddr_domain_norm(const char *, char *, size_t, char *,
		    size_t);
const char	*mailaddr_domain(const char *);

#endif
