/*
 * dkimcanon -- the DKIM canonicalisation (RFC 6376 3.4) shared by the
 * signer (milter/dkimsign.c) and the verifier (lib/dkimverify.c), so that
 * both sides hash exactly the same bytes; plus the base64 decoding of
 * tag values and the process-wide SHA-256 method.  No I/O, no logging.
 *
 *   dkimc_header(dst, relaxed, name, nlen, value, vlen)
 *       one header field canonicalised into dst, without the final CRLF
 *       (the caller appends it: every selected field hashes with one, the
 *       DKIM-Signature field under verification without).  value is as on
 *       the wire after the colon (leading space kept; folds "\r\n" or a
 *       bare "\n" before WSP).  simple (3.4.1): "name:value" verbatim, a
 *       bare LF turned into CRLF.  relaxed (3.4.2): name lower case
 *       without trailing WSP, ":", value unfolded, WSP runs as one SP,
 *       leading and trailing WSP removed.  dst must hold
 *       DKIMC_HEADER_MAX(nlen, vlen) bytes.  Returns the length written.
 *   dkimc_sha256()
 *       the SHA-256 EVP_MD, fetched once per process (pthread_once); NULL
 *       when libcrypto cannot provide it.  Never freed.
 *
 * The body (3.4.3 simple, 3.4.4 relaxed), streamed into SHA-256 through a
 * fixed staging buffer, constant memory for any body:
 *
 *   dkimc_body_new(relaxed, limit)
 *       a hasher; limit >= 0 hashes only the first limit canonical bytes
 *       (the l= tag), limit < 0 all.  NULL when out of memory or no
 *       SHA-256.
 *   dkimc_body_update(b, buf, len)
 *       a chunk, any split.  Line ends CRLF; a bare LF counts as CRLF; a
 *       CR not followed by LF is data.  0, or -1 on a libcrypto failure
 *       or after finish.
 *   dkimc_body_finish(b, digest)
 *       ends the body (a last line without a line end is hashed as if it
 *       had one; trailing empty lines are dropped; an empty simple body
 *       is one CRLF) and writes the 32-byte SHA-256 into digest.  0, or
 *       -1 on a libcrypto failure or when called twice.
 *   dkimc_body_length(b)
 *       canonical bytes of the body so far, before any limit cut: after
 *       finish, the length l= is compared with.
 *   dkimc_body_free(b)               NULL-safe, returns NULL
 *
 * Base64 (RFC 6376 tag values b=, bh=, p=):
 *
 *   dkimc_b64decode(src, len, out, cap, outlen)
 *       decodes src, skipping SP, TAB, CR and LF anywhere (FWS).  The
 *       '=' padding may only end the data and must complete the last
 *       quantum; its absence is accepted, and left-over bits need not be
 *       zero (as other verifiers have it).  0 with *outlen
 *       set, -1 on a character outside the alphabet, bad padding, a
 *       dangling single character, or more than cap bytes of output.
 *
 * Thread safety: a hasher belongs to one caller; distinct ones may run on
 * any threads at once.
 */
#ifndef OUTPOST_DKIMCANON_H
#define OUTPOST_DKIMCANON_H

#include <stddef.h>

#include <openssl/evp.h>

#define DKIMC_HEADER_MAX(nlen, vlen)	((nlen) + 2 * (vlen) + 2)

struct dkimc_body;

size_t		 dkimc_header(char *, int, const char *, size_t, const char *,
		    size_t);
const EVP_MD	*dkimc_sha256(void);

struct dkimc_body *dkimc_body_new(int, long long);
int		 dkimc_body_update(struct dkimc_body *, const unsigned char *,
		    size_t);
int		 dkimc_body_finish(struct dkimc_body *, unsigned char *);
unsigned long long dkimc_body_length(const struct dkimc_body *);
struct dkimc_body *dkimc_body_free(struct dkimc_body *);

int		 dkimc_b64decode(const char *, size_t, unsigned char *, size_t,
		    size_t *);

#endif
