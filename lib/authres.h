/*
 * authres -- the Authentication-Results header field (RFC 8601): whose a
 * field is, and the text of ours.  Pure: no I/O, no logging, no globals;
 * thread-safe.
 *
 * Reading (a field found in a received message)
 *   authres_id(value, out, outlen, err, errlen)
 *       the authserv-id of a field value (what follows the colon, folds
 *       "\r\n" or "\n" allowed): leading CFWS skipped (white space, folds
 *       and comments, nested, with quoted-pairs), then a value: an RFC
 *       2045 token (8-bit bytes accepted, RFC 8616) or a quoted-string
 *       (quoted-pairs undone, folds removed).  The value must be followed
 *       by the end, white space, '(' or ';'.  0 with the id in out, or -1
 *       (err says why: empty, unterminated comment or quoted-string, a
 *       character that ends no token, longer than outlen - 1).
 *   authres_is_ours(value, ours)
 *       1 when the field's authserv-id equals ours, compared without
 *       regard to ASCII case; 0 otherwise, and for a field that does not
 *       parse (nobody can claim to be us with it).
 *
 * Writing (ours)
 *   authres_new(authserv_id)
 *       a builder; NULL when out of memory, or for an id that is empty
 *       or longer than AUTHRES_ID_MAX.  The id is written as a value
 *       (quoted when it is not a token).
 *   authres_method(a, method, result)
 *       starts a resinfo "method=result".  Each resinfo begins a line.
 *       -1 (nothing added) unless both are tokens of at most
 *       AUTHRES_NAME_MAX characters, or when out of memory.
 *   authres_comment(a, text)
 *       adds "(text)" to the current resinfo: control characters become
 *       spaces, '(' ')' '\' are escaped as quoted-pairs, text past
 *       AUTHRES_COMMENT_MAX bytes is cut (with "...").
 *   authres_prop(a, ptype, property, value)
 *       adds "ptype.property=value".  value is written bare when it is
 *       an RFC 2045 token or, as RFC 8601 2.2 pvalue allows, a
 *       [[local-part] "@"] domain-name (local-part a dot-atom,
 *       domain-name of RFC 6376 sub-domains): "smtp.mailfrom=a@b.example"
 *       "header.b=abcd1234"; else as a quoted-string ('"' and '\' as
 *       quoted-pairs): "header.b=\"ab/cd+ef\"".  Control characters are
 *       dropped.  -1 (nothing added, the builder stays good) unless
 *       ptype and property are tokens of at most AUTHRES_NAME_MAX, and
 *       for a value longer than AUTHRES_VALUE_MAX.  So no word of ours
 *       passes 2 x 256 + 140 characters: every line stays under 998.
 *       A comment or property before any authres_method is dropped.
 *   authres_text(a, err, errlen)
 *       the field value, malloc'ed (caller frees): "ID;\n\tspf=pass
 *       smtp.mailfrom=a@b.example;\n\tdkim=pass header.d=b.example ..."
 *       or "ID; none" without a resinfo.  No leading space, no final
 *       line end.  Lines are folded with "\n\t" (LF only: the milter
 *       protocol's form; the MTA writes CRLF) between words, so that no
 *       line, counting "Authentication-Results: " on the first, passes
 *       AUTHRES_LINE (78) characters, unless one word alone is longer
 *       (a long quoted value): then that word is on a line of its own
 *       (still far below 998).  Comments are split into words at their
 *       spaces.  NULL when out of memory (err says so).
 *   authres_count(a)               resinfos added
 *   authres_free(a)                NULL-safe, returns NULL
 */
#ifndef OUTPOST_AUTHRES_H
#define OUTPOST_AUTHRES_H

#include <stddef.h>

#define AUTHRES_LINE		78
#define AUTHRES_COMMENT_MAX	200
#define AUTHRES_VALUE_MAX	256
#define AUTHRES_NAME_MAX	64
#define AUTHRES_ID_MAX		256

struct authres;

int		 authres_id(const char *, char *, size_t, char *, size_t);
int		 authres_is_ours(const char *, const char *);
struct authres	*authres_new(const char *);
int		 authres_method(struct authres *, const char *, const char *);
int		 authres_comment(struct authres *, const char *);
int		 authres_prop(struct authres *, const char *, const char *,
		    const char *);
char		*authres_text(struct authres *, char *, size_t);
size_t		 authres_count(const struct authres *);
struct authres	*authres_free(struct authres *);

#endif
