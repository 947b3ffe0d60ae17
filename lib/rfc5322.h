/*
 * rfc5322 -- header field syntax: the address list of a From (To, Cc,
 * Sender, Reply-To) value, field names, unfolding, and the domain of an
 * envelope address.  Pure functions: no I/O, no logging, no globals.
 *
 *   rfc5322_parse_addresses(value, len, out, err, errlen)
 *       Parses an address-list (RFC 5322 3.4, with the obsolete forms of
 *       4.4 and the UTF-8 of RFC 6532) from exactly len bytes of value
 *       (need not be NUL-terminated; may be folded with "\r\n" or "\n"
 *       followed by SP/HTAB).  On 0, *out holds EVERY mailbox found, in
 *       order, including those inside groups; out->n may be 0 only when
 *       the value consists of empty groups ("undisclosed-recipients:;").
 *       On -1, *out is empty (n 0, v NULL) and err holds one line such as
 *       "unterminated quoted string at offset 12" (offsets count bytes from
 *       the start of value, 0-based).  The caller frees *out with
 *       rfc5322_addrs_free() after either result (a no-op after -1).
 *       Memory used is O(len); nesting of comments costs no stack.
 *
 *       Strings of each address (all NUL-terminated, owned by *out):
 *         local    the local part's value: quoted strings unquoted and
 *                  their quoted-pairs resolved, CFWS around obsolete dots
 *                  removed ("john doe" for "\"john doe\"@x", may be "").
 *                  Valid UTF-8; no control character but the HTAB a
 *                  quoted string may hold.  Write it back quoted unless
 *                  it is a dot-atom (see t/fuzz/rfc5322.c serialize()).
 *         domain   lower-cased (ASCII letters only); "[192.0.2.1]" for a
 *                  domain literal (whitespace removed).  Never empty;
 *                  always valid UTF-8.
 *         display  the display name: words joined by one space where the
 *                  value had white space or a comment between them,
 *                  quoted strings unquoted; RFC 2047 encoded words are
 *                  left encoded.  "" when there is none.  Not checked for
 *                  UTF-8 (legacy 8-bit names are accepted here only).
 *         group    name of the enclosing group (same form), or NULL.
 *
 *       Strictness: anything not in the grammar is an error, notably an
 *       unquoted '@', '[', ']', ',' in a display name, text after an
 *       address, a CR or LF not followed by white space, NUL and other
 *       control characters (HTAB excepted), a group inside a group,
 *       "<>", and an address whose local part or domain is not UTF-8.
 *       The obsolete forms accepted are: empty list elements ("a@x,,b@y"),
 *       routes ("<@r1,@r2:a@b>"), CFWS around dots ("a . b@x . y"),
 *       quoted words in a local part ("\"a\".b@x"), dots in a display name
 *       ("John Q. Public").
 *
 *   rfc5322_addrs_free(a)      frees what a holds and empties it; NULL ok.
 *
 *   rfc5322_valid_field_name(name, len)
 *       1 if name is 1*ftext (bytes 33..126 except ':'), else 0.
 *
 *   rfc5322_unfold(value, len, out, outlen)
 *       Copies value to out without the line breaks of folding ("\r\n" or
 *       "\n" followed by SP/HTAB; the white space stays) and NUL-terminates
 *       it.  Returns the length written, or -1 when outlen < len + 1.
 *
 *   rfc5322_domain_of(addr, out, outlen)
 *       The domain of an envelope address "local@domain" (after the last
 *       '@'), lower-cased, into out.  0, or -1 when addr has no '@', the
 *       domain is empty, or out is too small.
 */
#ifndef OUTPOST_RFC5322_H
#define OUTPOST_RFC5322_H

#include <stddef.h>
#include <sys/types.h>

struct rfc5322_addr {
	char	*local;
	char	*domain;
	char	*display;
	char	*group;
	size_t	 offset;		/* where the mailbox starts in value */
};

struct rfc5322_addrs {
	size_t			 n;
	struct rfc5322_addr	*v;
	char			*buf;	/* private: holds every string */
};

int	 rfc5322_parse_addresses(const char *, size_t, struct rfc5322_addrs *,
	    char *, size_t);
void	 rfc5322_addrs_free(struct rfc5322_addrs *);
int	 rfc5322_valid_field_name(const char *, size_t);
ssize_t	 rfc5322_unfold(const char *, size_t, char *, size_t);
int	 rfc5322_domain_of(const char *, char *, size_t);

#endif
