/*
 * mailaddr -- normalise an email address (or a domain) once, the same way
 * for outpost-policyd, outpostctl and outpost-feedback, so that a
 * suppression written by one is found by the others.
 *
 *   mailaddr_norm(in, out, outlen, err, errlen)
 *        0, or -1 with err set.  out receives "local@domain":
 *        - surrounding white space and one pair of <> are removed;
 *        - the domain is normalised by mailaddr_domain_norm's rules
 *          (below): "Bob@Exämple.COM" -> "Bob@xn--exmple-cua.com";
 *        - the local part is kept byte for byte, case included: RFC 5321
 *          2.4 leaves its interpretation to the receiving host, which may
 *          treat "Bob" and "bob" as different mailboxes, so folding it
 *          could suppress (or un-suppress) the wrong one.  Quoted local
 *          parts ("a@b"@example.com) are kept with their quotes.
 *        Refused: empty input, no '@', '@' more than once outside quotes,
 *        an empty local part or domain, control characters (and unquoted
 *        spaces) anywhere, bytes that are not UTF-8, a domain that
 *        mailaddr_domain_norm refuses, a result longer than 254 octets.
 *        outlen must be at least MAILADDR_MAX + 1.
 *   mailaddr_domain_norm(in, out, outlen, err, errlen)
 *        THE domain normaliser of outpost: every program that stores or
 *        compares a domain (policyd's envelope domain, the milter's From
 *        domain and key lookup, outpostctl's "user allow" and "domain")
 *        calls this one, so that they agree byte for byte.  0, or -1 with
 *        err set.  outlen must be at least MAILDOMAIN_MAX + 1.  Rules:
 *        - surrounding white space trimmed, one trailing dot dropped,
 *          ASCII lower-cased ("Example.COM." -> "example.com");
 *        - each label holding non-ASCII bytes (a U-label, UTF-8) becomes
 *          its A-label with libidn2 (IDNA 2008 + UTS#46 non-transitional,
 *          NFC input): "Bücher.example" -> "xn--bcher-kva.example"; ASCII
 *          labels, A-labels included, are not passed through libidn2, so
 *          one label is judged alike whatever its neighbours are;
 *        - every label of the result is 1..63 of [a-z0-9_-], not starting
 *          or ending with '-'; 253 octets at most.  '_' is accepted: it
 *          occurs in real DNS names and in addresses people use, and
 *          refusing it would leave such senders without a normal form;
 *        - an address literal ("[192.0.2.1]", "[IPv6:...]": printable
 *          ASCII but [ ] \ between the brackets) is kept, lower-cased.
 *        Refused: empty, control characters, bytes that are not UTF-8,
 *        a bad IDN (err "bad international domain: <libidn2's reason>"),
 *        an empty label, a label over 63 or a result over 253 octets, a
 *        character outside the rule, '-' at either end of a label.
 *        Normalising a normalised domain changes nothing.
 *   mailaddr_domain_is_hostname(d)
 *        1 if the normalised domain d is also a host name: labels of
 *        [a-z0-9-] only (no '_'), no address literal, lower case, no
 *        trailing dot; else 0.  Required where the domain names a DNS
 *        host or a file: a DKIM d= and a keys_directory folder.  Safe on
 *        any string ("..", "a/b" and "" give 0).
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
int		 mailaddr_domain_is_hostname(const char *);
const char	*mailaddr_domain(const char *);

#endif
