/*
 * dkimverify_crypto -- public keys of DKIM key records and the signature
 * check (RSA PKCS#1 v1.5 with SHA-256, RFC 6376 3.3; Ed25519 over the
 * SHA-256 digest, RFC 8463) on OpenSSL 3; contracts in dkimverify_int.h.
 */
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

int
dkimv_pkey(struct dkimv_key *key, char *err, size_t errlen)
{
	if (key->ktype == KT_ED25519) {
		if (key->derlen != 32)
			return errf(err, errlen, "Ed25519 key of %zu bytes, "
			    "not 32", key->derlen);
		key->pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
		    NULL, key->der, 32);
		key->bits = 256;
	} else {
		key->pkey = rsa_key(key->der, key->derlen);
		if (key->pkey != NULL && !EVP_PKEY_is_a(key->pkey, "RSA")) {
			EVP_PKEY_free(key->pkey);
			key->pkey = NULL;
		}
		if (key->pkey != NULL)
			key->bits = (unsigned)EVP_PKEY_get_bits(key->pkey);
	}
	ERR_clear_error();
	if (key->pkey == NULL)
		return errf(err, errlen, "p= is not a valid %s public key",
		    key->ktype == KT_ED25519 ? "Ed25519" : "RSA");
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
