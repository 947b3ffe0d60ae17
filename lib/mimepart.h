/*
 * mimepart -- the small MIME toolkit lib/arf walks a report with: header
 * fields of a block, Content-Type and its parameters, the parts of a
 * multipart body, base64 and quoted-printable decoding.  Pure functions
 * over byte spans (NUL bytes allowed, nothing needs a terminator); no
 * I/O, no logging, no globals.
 *
 * Every function below works on LF-only text: mime_normalize() turns CRLF
 * (and a lone CR) into LF first; mime_decode() returns normalised text too.
 *
 *   mime_normalize(p, n, &outn)
 *       a malloc'ed copy of n bytes with CRLF and lone CR made LF,
 *       NUL-terminated (outn excludes the NUL); NULL when out of memory.
 *   mime_decode(p, n, cte, &outn, &bad)
 *       base64 (MIME_B64) or quoted-printable (MIME_QP) decoding of n
 *       bytes, normalised as above; MIME_IDENTITY copies.  Bytes that
 *       are not valid in the encoding are skipped and set *bad to 1.
 *       Never longer than n.  NULL when out of memory.
 *   mime_cte(value, n)
 *       MIME_B64, MIME_QP or MIME_IDENTITY for a Content-Transfer-Encoding
 *       value (7bit, 8bit, binary and anything unknown are identity).
 *
 *   mime_header_next(buf, len, &pos, &h)
 *       the next header field of the block starting at buf + pos: 1 with
 *       h->name/nlen and h->val/vlen (the raw, possibly folded value after
 *       the colon) and pos advanced past it; 0 at the end of the block
 *       (an empty line, consumed, or the end of buf): pos is then where
 *       the body starts.  Lines that are not fields (no colon, a name with
 *       bytes other than 33..126, a stray continuation) are skipped.
 *   mime_name_is(h, name)      1 when the field name is name (any case)
 *   mime_value(v, n, cap)
 *       the value unfolded: control bytes made spaces, runs of white
 *       space one space, trimmed, at most cap bytes (then cut); a
 *       malloc'ed string, NULL when out of memory.
 *
 *   mime_type(value, n, out, outlen)
 *       "type/subtype" of a Content-Type value, lower case, into out;
 *       "" when the value has none (the caller applies the default).
 *   mime_param(value, n, name, out, outlen)
 *       1 and the value of parameter name (any case; quoted strings
 *       unquoted, quoted-pairs resolved, cut to outlen - 1), else 0.
 *
 *   struct mime_iter, mime_iter_init(it, body, n, boundary)
 *   mime_iter_next(it, &part)
 *       the parts of a multipart body in order: 1 with part set (from
 *       after the delimiter line to before the line end that precedes the
 *       next delimiter), 0 when there are no more.  Preamble and epilogue
 *       are skipped.  it->closed is 1 once the close delimiter
 *       "--boundary--" was met; a body that ends without it (a cut
 *       message) yields its last part up to the end with closed 0.
 *       Delimiter lines may carry trailing white space.
 */
#ifndef OUTPOST_MIMEPART_H
#define OUTPOST_MIMEPART_H

#include <stddef.h>

#define MIME_BOUNDARY_MAX	200

enum mime_cte {
	MIME_IDENTITY,
	MIME_B64,
	MIME_QP
};

struct mime_span {
	const char	*p;
	size_t		 n;
};

struct mime_hdr {
	const char	*name;
	size_t		 nlen;
	const char	*val;
	size_t		 vlen;
};

struct mime_iter {
	const char	*b;
	size_t		 n;
	char		 bnd[MIME_BOUNDARY_MAX + 1];
	size_t		 blen;
	size_t		 pos;
	int		 state;		/* 0 before the first part, 1 in, 2 done */
	int		 closed;
};

char	*mime_normalize(const char *, size_t, size_t *);
char	*mime_decode(const char *, size_t, enum mime_cte, size_t *, int *);
enum mime_cte mime_cte(const char *, size_t);
int	 mime_header_next(const char *, size_t, size_t *, struct mime_hdr *);
int	 mime_name_is(const struct mime_hdr *, const char *);
char	*mime_value(const char *, size_t, size_t);
void	 mime_type(const char *, size_t, char *, size_t);
int	 mime_param(const char *, size_t, const char *, char *, size_t);
void	 mime_iter_init(struct mime_iter *, const char *, size_t,
	    const char *);
int	 mime_iter_next(struct mime_iter *, struct mime_span *);

#endif
