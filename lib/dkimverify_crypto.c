/*
 * dkimverify_crypto -- public keys of DKIM key records and the signature
 * check (RSA PKCS#1 v1.5 with SHA-256, RFC 6376 3.3; Ed25519 over the
 * SHA-256 digest, RFC 8463) on OpenSSL 3; contracts in dkimverify_int.h.
 *
 * Decoding a key is dear in OpenSSL 3 (d2i_PUBKEY fetches decoders under
 * global locks), and the same few keys sign most mail: the process keeps
 * the last PKEY_CACHE decoded keys, by type and exact p= bytes, and hands
 * out references to them (EVP_PKEY is reference-counted and safe to
 * verify with from several threads).  The bytes are the whole key, so a
 * key found here is the one the record holds now; nothing expires.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "dkimcanon.h"
#include "dkimverify_int.h"
#include "errf.h"

static EVP_PKEY *
rsa_key(const unsigned char *der, size_t len)
{
	const unsigned char	*p = der;
	EVP_PKEY		*k;

	if ((k = d2i_PUBKEY(NULL, &p, (long)len)) != NULL &&
	    p == der + len)
		return k;
	EVP_PKEY_free(k);
	p = der;	/* a bare PKCS#1 RSAPublicKey */
	if ((k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len)) != NULL &&
	    p == der + len)
		return k;
	EVP_PKEY_free(k);
	return NULL;
}

#define PKEY_CACHE	64

static struct pkey_entry {
	int		 ktype;
	size_t		 len;
	unsigned char	*der;
	EVP_PKEY	*pkey;
} pcache[PKEY_CACHE];
static size_t		 pcache_hand;
static pthread_mutex_t	 pcache_mu = PTHREAD_MUTEX_INITIALIZER;

/* A new reference to the cached key of these bytes, or NULL. */
static EVP_PKEY *
cache_get(const struct dkimv_key *key)
{
	EVP_PKEY	*k = NULL;
	size_t		 i;

	pthread_mutex_lock(&pcache_mu);
	for (i = 0; i < PKEY_CACHE && k == NULL; i++)
		if (pcache[i].pkey != NULL && pcache[i].ktype == key->ktype &&
		    pcache[i].len == key->derlen &&
		    memcmp(pcache[i].der, key->der, key->derlen) == 0 &&
		    EVP_PKEY_up_ref(pcache[i].pkey) == 1)
			k = pcache[i].pkey;
	pthread_mutex_unlock(&pcache_mu);
	return k;
}

/* Keep a reference to key->pkey in place of the oldest entry. */
static void
cache_put(const struct dkimv_key *key)
{
	struct pkey_entry	*e;
	unsigned char		*der;

	if ((der = malloc(key->derlen)) == NULL ||
	    EVP_PKEY_up_ref(key->pkey) != 1) {
		free(der);
		return;
	}
	memcpy(der, key->der, key->derlen);
	pthread_mutex_lock(&pcache_mu);
	e = &pcache[pcache_hand];
	pcache_hand = (pcache_hand + 1) % PKEY_CACHE;
	free(e->der);
	EVP_PKEY_free(e->pkey);
	e->ktype = key->ktype;
	e->len = key->derlen;
	e->der = der;
	e->pkey = key->pkey;
	pthread_mutex_unlock(&pcache_mu);
}

static EVP_PKEY *
decode(struct dkimv_key *key)
{
	if (key->ktype == KT_ED25519)
		key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
		    NULL, key->der, 32);
	else {
		key->pkey = rsa_key(key->der, key->derlen);
		if (key->pkey != NULL && !EVP_PKEY_is_a(key->pkey, "RSA")) {
			EVP_PKEY_free(key->pkey);
			key->pkey = NULL;
		}
	}
	ERR_clear_error();
	return key->pkey;
}

int
dkimv_pkey(struct dkimv_key *key, char *err, size_t errlen)
{
	if (key->ktype == KT_ED25519 && key->derlen != 32)
		return errf(err, errlen, "Ed25519 key of %zu bytes, not 32",
		    key->derlen);
	if ((key->pkey = cache_get(key)) == NULL) {
		if (decode(key) == NULL)
			return errf(err, errlen, "p= is not a valid %s public "
			    "key", key->ktype == KT_ED25519 ? "Ed25519" :
			    "RSA");
		cache_put(key);
	}
	key->bits = key->ktype == KT_ED25519 ? 256 :
	    (unsigned)EVP_PKEY_get_bits(key->pkey);
	return 0;
}

static int
rsa_check(EVP_PKEY *k, const unsigned char *d, const unsigned char *sig,
    size_t siglen)
{
	EVP_PKEY_CTX	*c;
	int		 rc = -1;

	if ((c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) != NULL &&
	    EVP_PKEY_verify_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(c, dkimc_sha256()) == 1)
		rc = EVP_PKEY_verify(c, sig, siglen, d, 32) == 1;
	EVP_PKEY_CTX_free(c);
	return rc;
}

static int
ed_check(EVP_PKEY *k, const unsigned char *d, const unsigned char *sig,
    size_t siglen)
{
	EVP_MD_CTX	*c;
	int		 rc = -1;

	if ((c = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit_ex(c, NULL, NULL, NULL, NULL, k, NULL) == 1)
		rc = EVP_DigestVerify(c, sig, siglen, d, 32) == 1;
	EVP_MD_CTX_free(c);
	return rc;
}

int
dkimv_check(const struct dkimv_key *key, int alg, const unsigned char *d,
    const unsigned char *sig, size_t siglen)
{
	int	 rc;

	if (alg == ALG_ED25519_SHA256)
		rc = ed_check(key->pkey, d, sig, siglen);
	else
		rc = rsa_check(key->pkey, d, sig, siglen);
	ERR_clear_error();
	return rc;
}
