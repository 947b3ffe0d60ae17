/*
 * dkimverify -- DKIM verification (RFC 6376, RFC 8463 Ed25519, RFC 8301
 * crypto rules) of every DKIM-Signature of one message, for the milter's
 * inbound path and for outpostctl verify.  Our own code on OpenSSL 3
 * libcrypto, sharing the canonicalisation of the signer (lib/dkimcanon.h);
 * no I/O of its own: key records arrive through a callback (lib/dns.c's
 * dns_txt fits it; tests and outpostctl --key pass their own).
 *
 * One struct dkimv holds one message being verified:
 *
 *   dkimv_new(max_signatures)
 *       a new message.  Of its DKIM-Signature fields the first
 *       max_signatures (1..DKIMV_SIGS_MAX) are verified; the later ones
 *       are listed with DKIMV_POLICY ("not checked: more than N
 *       signatures") at no cost beyond parsing their tags.  NULL when out
 *       of memory.
 *   dkimv_header(v, name, value)
 *       one header field, in message order, value as on the wire after
 *       the colon (leading space kept, folds "\r\n" or "\n" + WSP).  Every
 *       field is kept for header selection (h=, bottom-up, RFC 6376
 *       5.4.2), up to DKIMV_HEADER_BYTES in all; beyond that the fields
 *       are dropped and every signature ends as DKIMV_PERMERROR ("header
 *       block larger than ...").  A DKIM-Signature field is parsed here;
 *       a malformed one (bad tag list, missing or bad v/a/b/bh/d/h/s, h=
 *       without From, i= outside d=, unknown a= or c=, l= not a number)
 *       still gets an entry: DKIMV_PERMERROR with the reason, and the d=
 *       and s= that could be read; it does not take one of the
 *       max_signatures places (only well-formed signatures do).  A field
 *       counts as a DKIM-Signature when its name, trailing SP/TAB cut, is
 *       "DKIM-Signature" in any case.  0, or -1 when out of memory or
 *       when called after dkimv_body (every header comes first).
 *   dkimv_body(v, buf, len)
 *       a body chunk, any split (line ends as the signer takes them).
 *       Each distinct (body canonicalisation, l=) of the verified
 *       signatures gets one SHA-256 hasher; constant memory.  0 / -1.
 *   dkimv_finish_body(v)
 *       ends the body; 0 / -1 (also when called twice).  dkimv_verify
 *       calls it itself when the caller has not.
 *   dkimv_verify(v, txt, arg, now)
 *       fetches the key of each verified signature (txt(arg, name, out,
 *       err, errlen) with name "SELECTOR._domainkey.DOMAIN", returning an
 *       enum dns_status as dns_txt does) and decides every result.  Two
 *       signatures naming the same key ask once.  now: for x= (expired
 *       signatures fail; x == now is still valid; t= in the future is
 *       not judged).  Order of the checks, the first that decides wins:
 *       header block too large, x=, rsa-sha1, key lookup and record, key
 *       k=/h=/t=s against the signature, RSA bits < 1024, l= longer than
 *       the canonical body (fail), body hash, header hash + signature.
 *       The callback fills out only on DNS_OK (the module frees it with
 *       strlist_free in every case); of its strings the key records are
 *       those with a p= tag or starting "v=DKIM1", others (SPF ...) are
 *       ignored.  0, or -1 when out of memory or on a libcrypto failure
 *       (the entry being decided is then temperror).
 *   dkimv_count(v)                 entries (DKIM-Signature fields seen)
 *   dkimv_result(v, i)             entry i (0-based, message order), NULL
 *                                  past the end; valid until dkimv_free
 *   dkimv_free(v)                  NULL-safe, returns NULL
 *   dkimv_status_name(status)      the RFC 8601 result name ("pass",
 *                                  "fail", "policy", "neutral",
 *                                  "temperror", "permerror"; "none" for
 *                                  anything else)
 *
 * Result fields: why is one line ("body hash mismatch (bh=)", "no key
 * record at s._domainkey.d", "signature verified" ...), meant for logs
 * and Authentication-Results comments; verified is 1 for the entries
 * that were checked (the first max_signatures well-formed ones) and 0
 * for the others (malformed, or past max_signatures: a caller listing
 * results bounds those); key_bits is set once a key was read.
 *
 * Results (RFC 8601 2.7.1 names):
 *   DKIMV_PASS       the signature verifies (also under a key with t=y:
 *                    testing is set, the caller may say so)
 *   DKIMV_FAIL       body hash or signature does not match, or x= is past
 *   DKIMV_POLICY     verifiable in form but not acceptable: rsa-sha1
 *                    (RFC 8301), an RSA key under 1024 bits (RFC 8301), a
 *                    signature past max_signatures
 *   DKIMV_NEUTRAL    (unused for now)
 *   DKIMV_TEMPERROR  the key lookup failed (timeout, SERVFAIL): never
 *                    "no key", never fail
 *   DKIMV_PERMERROR  malformed signature, no key record (NXDOMAIN, no
 *                    DKIM TXT), a malformed or revoked key (empty p=),
 *                    k= other than rsa/ed25519, key h= or s= excluding
 *                    this use, t=s with i= a subdomain, key of the wrong
 *                    type for a=, several key records.  RSA keys are
 *                    read as SubjectPublicKeyInfo or bare PKCS#1
 *                    RSAPublicKey, Ed25519 keys as the raw 32 bytes
 *                    (RFC 8463), signing the SHA-256 of the headers
 *
 * Bounds: header bytes kept DKIMV_HEADER_BYTES (name + value + ~32 bytes
 * per field counted); DKIM-Signature fields
 * listed: all (an entry is ~1 KB; Postfix's message_size_limit bounds
 * them); fields parsed longer than DKIMV_SIG_BYTES are permerror unread.
 *
 * Thread safety: a dkimv belongs to one message; distinct ones may run on
 * any threads at once.  The callback is called from the thread calling
 * dkimv_verify.
 */
#ifndef OUTPOST_DKIMVERIFY_H
#define OUTPOST_DKIMVERIFY_H

#include <stddef.h>
#include <time.h>

struct strlist;
struct dkimv;

#define DKIMV_SIGS_MAX		64
#define DKIMV_HEADER_BYTES	(4u << 20)
#define DKIMV_SIG_BYTES		(64u << 10)

enum dkimv_status {
	DKIMV_PASS = 0,
	DKIMV_FAIL,
	DKIMV_POLICY,
	DKIMV_NEUTRAL,
	DKIMV_TEMPERROR,
	DKIMV_PERMERROR
};

struct dkimv_result {
	int		 status;		/* enum dkimv_status */
	int		 testing;		/* key record t=y */
	int		 verified;		/* 1: checked (well-formed, among
						   the first N) */
	char		 domain[254];		/* d=, lower case; "" unreadable */
	char		 selector[254];		/* s= as given; "" unreadable */
	char		 alg[32];		/* a= as given; "" unreadable */
	char		 b8[9];			/* first 8 characters of b= */
	char		 auid[256];		/* i= as given, "" absent */
	unsigned	 key_bits;		/* RSA modulus bits, 256 Ed25519 */
	char		 why[256];		/* one line: what decided it */
};

typedef int	(*dkimv_txt_fn)(void *, const char *, struct strlist *,
		    char *, size_t);

struct dkimv	*dkimv_new(size_t);
int		 dkimv_header(struct dkimv *, const char *, const char *);
int		 dkimv_body(struct dkimv *, const unsigned char *, size_t);
int		 dkimv_finish_body(struct dkimv *);
int		 dkimv_verify(struct dkimv *, dkimv_txt_fn, void *, time_t);
size_t		 dkimv_count(const struct dkimv *);
const struct dkimv_result *dkimv_result(const struct dkimv *, size_t);
struct dkimv	*dkimv_free(struct dkimv *);
const char	*dkimv_status_name(int);

#endif
