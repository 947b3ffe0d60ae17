/*
 * dkimverify_int -- private to lib/dkimverify*.c: one section per file.
 *
 * dkimverify.c: struct dkimv and its parts (below), shared with
 * dkimverify_decide.c, which holds dkimv_verify.
 *   dkimv_grow(p, cap, need, size)  *p to hold need elements; 0 / -1
 *   dkimv_entry_clear(e)            frees e's signature and key slot
 *
 * dkimverify_tags.c (pure, fuzzed through dkimverify):
 *   dkimv_tags(s, len, tags, ntags, err, errlen)
 *       the tag-list of RFC 6376 3.2 in s: each tag-spec "[FWS] name
 *       [FWS] = [FWS] value [FWS]", ';'-separated, a final ';' allowed;
 *       names ALPHA *(ALNUM / "_"), values of VALCHAR (0x21-0x3a,
 *       0x3c-0x7e) with FWS only between them.  A name given twice is an
 *       error.  Fills at most ntags spans (pointers into s, value with its
 *       surrounding FWS cut, and the raw value span as offsets into s);
 *       the count, or -1 with err set.
 *   dkimv_sig_parse(sig, value, len, err, errlen)
 *       the tags of one DKIM-Signature value into sig (3.5).  0, or -1
 *       with the reason (what sig could read, d= and s=, stays set).
 *   dkimv_key_parse(key, txt, err, errlen)
 *       a key record (3.6.1) into key: flags, k=, h=, s=, p= decoded.
 *       1 parsed, 0 not a key record at all (no p= and no leading
 *       v=DKIM1: another TXT record), -1 a malformed key record (err).
 *
 * dkimverify_crypto.c:
 *   dkimv_pkey(key, err, errlen)
 *       key->pkey from key->der: RSA as SubjectPublicKeyInfo or bare
 *       PKCS#1 RSAPublicKey, Ed25519 as the raw 32 bytes; sets key->bits.
 *       0 / -1.
 *   dkimv_check(key, alg, digest, sig, siglen)
 *       1 the signature verifies over the 32-byte SHA-256 digest, 0 not,
 *       -1 a libcrypto failure.
 */
#ifndef OUTPOST_DKIMVERIFY_INT_H
#define OUTPOST_DKIMVERIFY_INT_H

#include <stddef.h>

#include <openssl/evp.h>

#include "dkimverify.h"

#define DKIMV_B_MAX	1024	/* decoded b=: an 8192-bit RSA signature */
#define DKIMV_P_MAX	2048	/* decoded p= */

enum dkimv_alg { ALG_RSA_SHA256 = 1, ALG_RSA_SHA1, ALG_ED25519_SHA256 };
enum dkimv_ktype { KT_RSA = 1, KT_ED25519 };

struct dkimv_tag {
	const char	*name, *val;	/* val: FWS around it cut */
	size_t		 nlen, vlen;
	size_t		 roff, rlen;	/* raw value from '=' to ';' or end */
};

struct dkimv_sig {
	int		 alg;		/* enum dkimv_alg */
	int		 rh, rb;	/* relaxed header, relaxed body */
	long long	 l, t, x;	/* -1 absent */
	unsigned char	 bh[32];
	size_t		 bhlen;
	unsigned char	 b[DKIMV_B_MAX];
	size_t		 blen;
	size_t		 b_off, b_len;	/* b= value span within the field */
	char		 domain[254], selector[254], auid[256], alg_name[32];
	char		 b8[9];
	char		*h;		/* h= value, NUL-separated names */
	size_t		 nh;
};

struct dkimv_key {
	int		 ktype;		/* enum dkimv_ktype */
	int		 testing, strict;	/* t=y, t=s */
	int		 sha1, sha256;	/* h= allows (both when absent) */
	unsigned char	 der[DKIMV_P_MAX];
	size_t		 derlen;	/* 0: revoked (empty p=) */
	EVP_PKEY	*pkey;
	unsigned	 bits;
};

struct dkimv_field {
	size_t		 noff, nlen;	/* name (trailing WSP kept) */
	size_t		 voff, vlen;
};

struct dkimv_bhash {
	int		 rb;
	long long	 l;
	struct dkimc_body *b;
	unsigned char	 d[32];
	unsigned long long len;
};

struct dkimv_kslot {
	int		 status;	/* -1 usable, else enum dkimv_status */
	char		 why[256];
	struct dkimv_key key;
};

struct dkimv_entry {
	struct dkimv_result r;
	struct dkimv_sig *sig;		/* NULL: decided at parse time */
	size_t		 field;
	size_t		 bhi;
	struct dkimv_kslot	*ks;
	int		 ks_own;
};

struct dkimv {
	size_t		 max;
	char		*arena;
	size_t		 alen, acap, bytes;
	int		 overflow, body_started, body_done, failed;
	struct dkimv_field	*f;
	size_t		 nf, fcap;
	struct dkimv_entry *e;
	size_t		 ne, ecap, nverify;
	struct dkimv_bhash	 bh[DKIMV_SIGS_MAX];
	size_t		 nbh;
	char		*scratch;
	size_t		 scap;
};

int	 dkimv_grow(void **, size_t *, size_t, size_t);
void	 dkimv_entry_clear(struct dkimv_entry *);

int	 dkimv_tags(const char *, size_t, struct dkimv_tag *, size_t, char *,
	    size_t);
int	 dkimv_sig_parse(struct dkimv_sig *, const char *, size_t, char *,
	    size_t);
int	 dkimv_key_parse(struct dkimv_key *, const char *, char *, size_t);

int	 dkimv_pkey(struct dkimv_key *, char *, size_t);
int	 dkimv_check(const struct dkimv_key *, int, const unsigned char *,
	    const unsigned char *, size_t);

#endif
