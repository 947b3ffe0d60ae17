/*
 * dkimsign -- the DKIM signing engine (RFC 6376, RFC 8463) of outpost-milter:
 * header and body canonicalisation, header selection, the DKIM-Signature
 * value, on OpenSSL 3 libcrypto.  No I/O, no logging, no key parsing: keys
 * arrive as EVP_PKEY pointers parsed once by the key store.
 *
 * One struct dsig holds one message being signed.  The body is hashed once
 * (SHA-256, streaming, constant memory) and every signature made from the
 * object (one per key: RSA and Ed25519) shares its c= and bh=.
 *
 *   struct dsig *dsig_new(int relaxed_header, int relaxed_body)
 *	A new message; canonicalisation is fixed here (1 = relaxed,
 *	0 = simple).  NULL when out of memory.
 *   int dsig_header(struct dsig *, const char *name, const char *value)
 *	One header, in message order, as libmilter delivers it with
 *	SMFIP_HDR_LEADSPC: value keeps its leading space(s) if any; folds are
 *	"\r\n" or bare "\n" followed by WSP (bare LF is hashed as CRLF, which
 *	is how it goes on the wire).  The header is canonicalised at once and
 *	kept in one growing buffer.  0, or -1 when out of memory.
 *   int dsig_body(struct dsig *, const unsigned char *buf, size_t len)
 *	A body chunk, any split.  Line ends CRLF; a bare LF counts as CRLF; a
 *	CR not followed by LF is data.  A last line without a line end is
 *	hashed as if it had one (the MTA adds it on the wire).  0, or -1 on a
 *	libcrypto failure or after dsig_finish_body.
 *   int dsig_finish_body(struct dsig *)
 *	Ends the body and computes bh.  0, or -1 on a libcrypto failure or
 *	when called twice.
 *   const char *dsig_bh(const struct dsig *)
 *	The base64 body hash (44 characters); NULL before dsig_finish_body.
 *	Owned by the dsig.
 *   int dsig_sign(struct dsig *, EVP_PKEY *key, const char *domain,
 *		const char *selector, const char *const *sign_headers,
 *		size_t n_sign, const char *const *oversign_headers,
 *		size_t n_over, long long timestamp, char **value_out,
 *		char *err, size_t errlen)
 *	One signature after dsig_finish_body; may be called once per key.
 *	The algorithm is the key's: RSA (>= 1024 bits) gives a=rsa-sha256,
 *	Ed25519 gives a=ed25519-sha256; anything else is an error.
 *	h= lists every header of sign_headers present in the message, in the
 *	order of sign_headers (names compared case-insensitively, a name given
 *	twice counts once), as many times as it is present, instances selected
 *	bottom-up (RFC 6376 5.4.2).  Then, for each oversign name, one instance
 *	more than the message has: an oversign name that is not in
 *	sign_headers gets all its present instances and one more, so no
 *	instance of it can be added in transit.  Names in h= are spelled as in
 *	the message (lower case under relaxed header canonicalisation); the
 *	extra instances are the oversign names in lower case.
 *	Tags in this order: v=1; a=; c=; d=; s=; t= (omitted when
 *	timestamp < 0); h=; bh=; b=.  *value_out (malloc'd, the caller frees)
 *	is the header value without "DKIM-Signature:" and without a leading
 *	space, folded with "\r\n\t" so that no line exceeds 78 characters
 *	(the first line counted after "DKIM-Signature: ").  The milter inserts
 *	it as " " + value with "\r\n" turned into "\n".  0, or -1 with the
 *	reason in err (body not finished, bad domain/selector/header name,
 *	nothing to put in h=, unsupported key, libcrypto failure, out of
 *	memory); *value_out is NULL then.
 *   struct dsig *dsig_free(struct dsig *)
 *	Frees everything; accepts NULL, returns NULL.
 *
 * For tests and audit:
 *   const char *dsig_canon_header(const struct dsig *, size_t i, size_t *len)
 *	The canonical form of the i-th header given (0-based): "name:value"
 *	plus CRLF, as it enters the hash; NULL when i is out of range.
 *   unsigned long long dsig_body_length(const struct dsig *)
 *	Bytes of canonical body hashed so far (complete after finish).
 *
 * Thread safety: a dsig belongs to one message and needs no lock; distinct
 * dsigs may be used from any threads at once, sharing EVP_PKEYs.  Process
 * state: the SHA-256 EVP_MD fetched once (pthread_once), and a bounded
 * pool of initialised signing contexts per key (under a mutex), each
 * holding a reference to its key; neither is ever freed.
 */
#ifndef OUTPOST_DKIMSIGN_H
#define OUTPOST_DKIMSIGN_H

#include <stddef.h>

#include <openssl/evp.h>

struct dsig;

struct dsig	*dsig_new(int, int);
int		 dsig_header(struct dsig *, const char *, const char *);
int		 dsig_body(struct dsig *, const unsigned char *, size_t);
int		 dsig_finish_body(struct dsig *);
const char	*dsig_bh(const struct dsig *);
int		 dsig_sign(struct dsig *, EVP_PKEY *, const char *,
		    const char *, const char *const *, size_t,
		    const char *const *, size_t, long long, char **,
		    char *, size_t);
struct dsig	*dsig_free(struct dsig *);

const char	*dsig_canon_header(const struct dsig *, size_t, size_t *);
unsigned long long dsig_body_length(const struct dsig *);

#endif
