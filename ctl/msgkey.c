/*
 * outpostctl verify --key SELECTOR._domainkey.DOMAIN=FILE -- a retired
 * key given by hand, answering the verifier's key lookups for that name
 * instead of DNS (ctl.h, "msgkey").  A PEM public key becomes the record
 * text a signer would have published (dkimkey_txt_value: RSA p= is the
 * SubjectPublicKeyInfo DER, Ed25519 p= the raw 32-byte key with
 * k=ed25519); a file without "-----BEGIN" is a DKIM key record's text,
 * bare ("v=DKIM1; k=rsa; p=...", lines joined) or as quoted strings
 * (a zone-file line: the strings between the quotes are joined).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/decoder.h>
#include <openssl/evp.h>

#include "ctl.h"
#include "dns.h"
#include "errf.h"

#define MKEY_FILE_MAX	(64 * 1024)

/* The file's text, NUL-terminated, malloc'd; NULL with err set. */
static char *
read_small(const char *path, char *err, size_t errlen)
{
	FILE	*fp;
	char	*buf;
	size_t	 n;

	if ((fp = fopen(path, "r")) == NULL) {
		errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(MKEY_FILE_MAX + 1)) == NULL) {
		fclose(fp);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, MKEY_FILE_MAX + 1, fp);
	if (ferror(fp) || n > MKEY_FILE_MAX) {
		errf(err, errlen, "%s: %s", path, ferror(fp) ? strerror(errno) :
		    "larger than 64 KB: not a key");
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		errf(err, errlen, "%s: holds a NUL byte: not a key", path);
		free(buf);
		return NULL;
	}
	return buf;
}

/* A PEM public key as DKIM record text; malloc'd, NULL with err. */
static char *
pem_to_txt(const char *path, const char *text, char *err, size_t errlen)
{
	OSSL_DECODER_CTX	*dc;
	EVP_PKEY		*pk = NULL;
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 len = strlen(text);
	char			*txt = NULL, why[256];

	dc = OSSL_DECODER_CTX_new_for_pkey(&pk, "PEM", NULL, NULL,
	    EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dc == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if (OSSL_DECODER_from_data(dc, &p, &len) != 1 || pk == NULL)
		errf(err, errlen, "%s: not a PEM RSA or Ed25519 public key",
		    path);
	else if (dkimkey_txt_value(pk, &txt, why, sizeof(why)) < 0)
		errf(err, errlen, "%s: %s", path, why);
	EVP_PKEY_free(pk);
	OSSL_DECODER_CTX_free(dc);
	return txt;
}

/*
 * Record text in place: the quoted strings joined when there are quotes,
 * else the lines joined; blanks at both ends removed.
 */
static void
record_text(char *s)
{
	char	*r = s, *w = s;
	int	 quoted = strchr(s, '"') != NULL, in = 0;

	for (; *r != '\0'; r++) {
		if (quoted) {
			if (*r == '"')
				in = !in;
			else if (in)
				*w++ = *r;
		} else if (*r != '\r' && *r != '\n')
			*w++ = *r;
	}
	*w = '\0';
	while (w > s && isspace((unsigned char)w[-1]))
		*--w = '\0';
	for (r = s; isspace((unsigned char)*r); r++)
		;
	memmove(s, r, strlen(r) + 1);
}

/* The key text of one FILE; malloc'd, NULL with err. */
static char *
key_text(const char *path, char *err, size_t errlen)
{
	char	*text, *txt, p[8];

	if ((text = read_small(path, err, errlen)) == NULL)
		return NULL;
	if (strstr(text, "-----BEGIN") != NULL) {
		txt = pem_to_txt(path, text, err, errlen);
		free(text);
		return txt;
	}
	record_text(text);
	/* p= may be empty (a revoked key): the verifier says so. */
	if (!vdkim_tag(text, "p", p, sizeof(p)) && strstr(text, "p=") == NULL) {
		errf(err, errlen, "%s: neither a PEM public key nor a DKIM "
		    "key record (no p= tag)", path);
		free(text);
		return NULL;
	}
	return text;
}

/* "SEL._domainkey.DOMAIN" lower-cased into k->name; 0 / -1. */
static int
key_name(struct mkey *k, const char *opt, size_t len, char *err,
    size_t errlen)
{
	const char	*dk;
	size_t		 i;

	dk = memmem(opt, len, "._domainkey.", 12);
	if (dk == NULL || dk == opt || (size_t)(dk - opt) + 12 >= len ||
	    len >= sizeof(k->name))
		return errf(err, errlen, "--key %.*s: want "
		    "SELECTOR._domainkey.DOMAIN=FILE", (int)len, opt);
	for (i = 0; i < len; i++)
		k->name[i] = (char)tolower((unsigned char)opt[i]);
	k->name[len] = '\0';
	if (k->name[len - 1] == '.')
		k->name[len - 1] = '\0';
	return 0;
}

int
mkeys_load(struct mkeys *ks, const char *const *opts, int n, char *err,
    size_t errlen)
{
	const char	*eq;
	struct mkey	*k;
	int		 i;

	for (i = 0; i < n && ks->n < CTL_MAX_KEYS; i++) {
		k = &ks->k[ks->n];
		memset(k, 0, sizeof(*k));
		if ((eq = strchr(opts[i], '=')) == NULL || eq[1] == '\0')
			return errf(err, errlen, "--key %s: want "
			    "SELECTOR._domainkey.DOMAIN=FILE", opts[i]);
		if (key_name(k, opts[i], (size_t)(eq - opts[i]), err,
		    errlen) < 0)
			return -1;
		if (mkeys_find_name(ks, k->name) != NULL)
			return errf(err, errlen, "--key %s given twice",
			    k->name);
		k->file = eq + 1;
		if ((k->txt = key_text(k->file, err, errlen)) == NULL)
			return -1;
		ks->n++;
	}
	return 0;
}

struct mkey *
mkeys_find_name(struct mkeys *ks, const char *name)
{
	size_t	 i, len = strlen(name);

	if (len > 0 && name[len - 1] == '.')
		len--;
	for (i = 0; i < ks->n; i++)
		if (strncasecmp(ks->k[i].name, name, len) == 0 &&
		    ks->k[i].name[len] == '\0')
			return &ks->k[i];
	return NULL;
}

struct mkey *
mkeys_find(struct mkeys *ks, const char *sel, const char *domain)
{
	char	 name[sizeof(ks->k[0].name)];

	if (snprintf(name, sizeof(name), "%s._domainkey.%s", sel, domain) >=
	    (int)sizeof(name))
		return NULL;
	return mkeys_find_name(ks, name);
}

int
mkeys_txt(void *arg, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	struct mkeys	*ks = arg;
	struct mkey	*k;

	out->n = 0, out->v = NULL;
	if ((k = mkeys_find_name(ks, name)) == NULL)
		return dns_txt(ks->dns, name, out, err, errlen);
	if ((out->v = malloc(sizeof(*out->v))) == NULL ||
	    (out->v[0] = strdup(k->txt)) == NULL) {
		free(out->v);
		out->v = NULL;
		errf(err, errlen, "out of memory");
		return DNS_ERROR;
	}
	out->n = 1;
	k->used = 1;
	return DNS_OK;
}

void
mkeys_free(struct mkeys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++) {
		free(ks->k[i].txt);
		ks->k[i].txt = NULL;
	}
	ks->n = 0;
}
