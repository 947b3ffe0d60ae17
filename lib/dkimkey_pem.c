/*
 * dkimkey_pem.c -- the keys themselves (OpenSSL 3): load a PEM private key,
 * generate RSA-2048 and Ed25519 keys, write them as PKCS#8 PEM, and the DNS
 * TXT record that publishes the public half (RFC 6376 §3.6.1, RFC 8463).
 * See dkimkey.h; nothing here logs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkimkey.h"
#include "errf.h"

#define PEM_MAX		65536	/* no DKIM key file is larger */

/* The oldest OpenSSL error of this thread as text; clears the queue. */
static const char *
ssl_error(char *buf, size_t len)
{
	unsigned long	 e = ERR_get_error();

	if (e == 0)
		snprintf(buf, len, "unknown error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* An encrypted key is refused rather than prompting on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int
dkimkey_alg(const EVP_PKEY *pk)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return DKIMKEY_RSA;
	case EVP_PKEY_ED25519:
		return DKIMKEY_ED25519;
	default:
		return DKIMKEY_UNKNOWN;
	}
}

int
dkimkey_bits(const EVP_PKEY *pk)
{
	if (dkimkey_alg(pk) == DKIMKEY_ED25519)
		return 256;
	return EVP_PKEY_get_bits(pk);
}

const char *
dkimkey_alg_name(int alg)
{
	switch (alg) {
	case DKIMKEY_RSA:
		return "rsa";
	case DKIMKEY_ED25519:
		return "ed25519";
	default:
		return "unknown";
	}
}

/* Read at most PEM_MAX bytes of fd into a malloc'd NUL-terminated buffer. */
static char *
read_text(int fd, size_t *lenp, char *err, size_t errlen)
{
	char	*buf;
	size_t	 len = 0;
	ssize_t	 n;

	if ((buf = malloc(PEM_MAX + 1)) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	while (len < PEM_MAX) {
		n = read(fd, buf + len, PEM_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "%s", strerror(errno));
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len == PEM_MAX) {
		errf(err, errlen, "file larger than %d bytes", PEM_MAX);
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static EVP_PKEY *
parse_pem(const char *text, size_t len, char *err, size_t errlen)
{
	BIO		*bio;
	EVP_PKEY	*pk;
	char		 why[256];

	if ((bio = BIO_new_mem_buf(text, (int)len)) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (pk == NULL) {
		errf(err, errlen, "not a usable PEM private key (%s)",
		    ssl_error(why, sizeof(why)));
		return NULL;
	}
	if (dkimkey_alg(pk) == DKIMKEY_UNKNOWN) {
		errf(err, errlen, "unsupported key type %s (want RSA or "
		    "Ed25519)", OBJ_nid2sn(EVP_PKEY_get_base_id(pk)));
		EVP_PKEY_free(pk);
		return NULL;
	}
	if (dkimkey_alg(pk) == DKIMKEY_RSA && EVP_PKEY_get_bits(pk) < 1024) {
		errf(err, errlen, "RSA key of %d bits is too short (RFC 8301 "
		    "wants at least 1024)", EVP_PKEY_get_bits(pk));
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

EVP_PKEY *
dkimkey_load(const char *path, uid_t owner, gid_t group, int check,
    char **pem, size_t *pemlen, char *err, size_t errlen)
{
	struct stat	 st;
	EVP_PKEY	*pk;
	char		*text;
	size_t		 len = 0;
	int		 fd;

	/* O_NONBLOCK: a FIFO in place of a key must not hang the milter. */
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC |
	    O_NONBLOCK)) < 0) {
		errf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		errf(err, errlen, "not a regular file");
		close(fd);
		return NULL;
	}
	if (check && dkimkey_check_key(&st, owner, group, err, errlen) < 0) {
		close(fd);
		return NULL;
	}
	text = read_text(fd, &len, err, errlen);
	close(fd);
	if (text == NULL)
		return NULL;
	pk = parse_pem(text, len, err, errlen);
	if (pk != NULL && pem != NULL) {
		*pem = text;
		*pemlen = len;
		return pk;
	}
	OPENSSL_cleanse(text, len);
	free(text);
	return pk;
}

EVP_PKEY *
dkimkey_generate(int alg, char *err, size_t errlen)
{
	EVP_PKEY	*pk = NULL;
	char		 why[256];

	if (alg == DKIMKEY_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else if (alg == DKIMKEY_ED25519)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	else {
		errf(err, errlen, "unknown key algorithm %d", alg);
		return NULL;
	}
	if (pk == NULL)
		errf(err, errlen, "key generation failed: %s",
		    ssl_error(why, sizeof(why)));
	return pk;
}

/* PEM of pk into the open file fd; 0 / -1. */
static int
write_pem(int fd, EVP_PKEY *pk)
{
	BIO	*bio;
	int	 rc;

	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL)
		return -1;
	rc = PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
	if (rc == 1 && BIO_flush(bio) != 1)
		rc = 0;
	BIO_free(bio);
	return rc == 1 ? 0 : -1;
}

int
dkimkey_writeat(int dfd, const char *name, EVP_PKEY *pk, uid_t uid,
    gid_t gid, char *err, size_t errlen)
{
	char	 tmp[DKIMKEY_SELMAX + 32], why[256];
	int	 fd, saved;

	/* O_EXCL|O_NOFOLLOW in dfd: a planted name is never followed. */
	if ((fd = dkimkey_tmpfileat(dfd, name, tmp, sizeof(tmp), err,
	    errlen)) < 0)
		return -1;
	if (fchmod(fd, 0600) < 0 ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0)) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto bad;
	}
	if (write_pem(fd, pk) < 0 || fsync(fd) < 0) {
		errf(err, errlen, "%s: write failed: %s", tmp,
		    errno ? strerror(errno) : ssl_error(why, sizeof(why)));
		goto bad;
	}
	close(fd);
	fd = -1;
	/* linkat never replaces an existing key, nor follows a symlink. */
	if (linkat(dfd, tmp, dfd, name, 0) < 0) {
		errf(err, errlen, "%s: %s", name, strerror(errno));
		goto bad;
	}
	unlinkat(dfd, tmp, 0);
	return 0;
bad:
	saved = errno;
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	errno = saved;
	return -1;
}

int
dkimkey_write(const char *path, EVP_PKEY *pk, uid_t uid, gid_t gid,
    char *err, size_t errlen)
{
	char		 dir[4096];
	const char	*slash = strrchr(path, '/');
	int		 dfd, rc, saved;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((dfd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	rc = dkimkey_writeat(dfd, slash ? slash + 1 : path, pk, uid, gid, err,
	    errlen);
	saved = errno;
	close(dfd);
	errno = saved;
	return rc;
}

static char *
base64(const unsigned char *in, size_t len)
{
	char	*out;

	if ((out = malloc(4 * ((len + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	return out;
}

int
dkimkey_txt_value(EVP_PKEY *pk, char **txt, char *err, size_t errlen)
{
	unsigned char	 raw[64], *der = NULL;
	size_t		 rawlen = sizeof(raw);
	char		*b64, why[256];
	int		 alg = dkimkey_alg(pk), len;

	*txt = NULL;
	if (alg == DKIMKEY_RSA) {
		if ((len = i2d_PUBKEY(pk, &der)) <= 0)
			return errf(err, errlen, "public key: %s",
			    ssl_error(why, sizeof(why)));
		b64 = base64(der, (size_t)len);
		OPENSSL_free(der);
	} else if (alg == DKIMKEY_ED25519) {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 ||
		    rawlen != 32)
			return errf(err, errlen, "public key: %s",
			    ssl_error(why, sizeof(why)));
		b64 = base64(raw, rawlen);
	} else
		return errf(err, errlen, "unsupported key type");
	if (b64 == NULL ||
	    asprintf(txt, "v=DKIM1; k=%s; p=%s", dkimkey_alg_name(alg),
	    b64) < 0) {
		free(b64);
		*txt = NULL;
		return errf(err, errlen, "out of memory");
	}
	free(b64);
	return 0;
}

char *
dkimkey_txt_quote(const char *value, size_t chunk)
{
	size_t	 len = strlen(value), nchunks, i, k, o = 0;
	char	*out;

	if (chunk == 0 || strpbrk(value, "\"\\") != NULL) {
		errno = EINVAL;
		return NULL;
	}
	nchunks = len ? (len + chunk - 1) / chunk : 1;
	if ((out = malloc(len + 3 * nchunks + 5)) == NULL)
		return NULL;
	out[o++] = '(';
	for (i = 0; i < nchunks; i++) {
		k = len - i * chunk < chunk ? len - i * chunk : chunk;
		out[o++] = ' ';
		out[o++] = '"';
		memcpy(out + o, value + i * chunk, k);
		o += k;
		out[o++] = '"';
	}
	memcpy(out + o, " )", 3);
	return out;
}

int
dkimkey_dns_record(EVP_PKEY *pk, const char *domain, const char *sel,
    char **rec, char *err, size_t errlen)
{
	char	*txt, *quoted;
	int	 rc;

	*rec = NULL;
	if (dkimkey_txt_value(pk, &txt, err, errlen) < 0)
		return -1;
	quoted = dkimkey_txt_quote(txt, DKIMKEY_TXT_CHUNK);
	free(txt);
	if (quoted == NULL)
		return errf(err, errlen, "out of memory");
	rc = asprintf(rec, "%s._domainkey.%s. IN TXT %s", sel, domain, quoted);
	free(quoted);
	if (rc < 0) {
		*rec = NULL;
		return errf(err, errlen, "out of memory");
	}
	return 0;
}
