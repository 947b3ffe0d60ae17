/*
 * libFuzzer target for lib/dkimverify (with lib/dkimcanon and the tag
 * parsers of lib/dkimverify_tags.c): arbitrary header fields and body
 * verified against a fixed in-memory key table.
 *
 * Input: byte 0 = max_signatures (mod 70, so 0 and > DKIMV_SIGS_MAX are
 * tried too); then header lines up to an empty line, each "name:value"
 * (a line starting with SP or TAB continues the previous value, kept with
 * its "\n"), a line without ':' is a field with an empty value; the rest
 * is the body, fed in two chunks split at its middle.  The key table
 * answers selectors "r" (an RSA-1024 key), "e" (Ed25519), "bad" (junk),
 * "rev" (revoked), "two" (two records), "tf" (DNS error); any other name
 * NXDOMAIN.  Keys are made once; the input chooses signatures, so they
 * rarely verify, but every path up to the crypto is taken.
 *
 * Invariants (abort() on violation): dkimv_verify returns 0; one entry
 * per DKIM-Signature field; every status is one of the six, every
 * "why" NUL-terminated and non-empty, verified entries at most
 * max_signatures; PASS only with a key (key_bits > 0).
 */
// fuzz-sources: lib/dkimverify.c lib/dkimverify_decide.c lib/dkimverify_tags.c lib/dkimverify_crypto.c lib/dkimcanon.c lib/errf.c lib/confval.c
// fuzz-pkgs: libcrypto
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "conf.h"
#include "dkimverify.h"
#include "dns.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
	abort(); } } while (0)

static char	 rsa_txt[600], ed_txt[100];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	EVP_PKEY	*k;
	unsigned char	 der[400], *q = der, raw[32];
	char		 b[600];
	size_t		 rl = 32;
	int		 n;

	(void)argc;
	(void)argv;
	k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	CHECK(k != NULL && (n = i2d_PUBKEY(k, &q)) > 0);
	EVP_EncodeBlock((unsigned char *)b, der, n);
	snprintf(rsa_txt, sizeof(rsa_txt), "v=DKIM1; k=rsa; p=%s", b);
	EVP_PKEY_free(k);
	k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	CHECK(k != NULL && EVP_PKEY_get_raw_public_key(k, raw, &rl) == 1);
	EVP_EncodeBlock((unsigned char *)b, raw, 32);
	snprintf(ed_txt, sizeof(ed_txt), "v=DKIM1; k=ed25519; p=%s", b);
	EVP_PKEY_free(k);
	return 0;
}

static void
put(struct strlist *out, const char *a, const char *b)
{
	out->n = b ? 2 : 1;
	out->v = calloc(out->n, sizeof(char *));
	CHECK(out->v != NULL);
	out->v[0] = strdup(a);
	if (b)
		out->v[1] = strdup(b);
}

static int
txt(void *arg, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	const char	*dot = strchr(name, '.');
	size_t		 sl = dot ? (size_t)(dot - name) : strlen(name);

	(*(int *)arg)++;
#define SEL(s) (sl == strlen(s) && strncasecmp(name, s, sl) == 0)
	if (SEL("r"))
		put(out, rsa_txt, "v=spf1 -all");
	else if (SEL("e"))
		put(out, ed_txt, NULL);
	else if (SEL("bad"))
		put(out, "v=DKIM1; k=rsa; p=AAAA;;", NULL);
	else if (SEL("rev"))
		put(out, "v=DKIM1; p=", NULL);
	else if (SEL("two"))
		put(out, rsa_txt, ed_txt);
	else if (SEL("tf")) {
		snprintf(err, errlen, "timed out");
		return DNS_ERROR;
	} else
		return DNS_NXDOMAIN;
	return DNS_OK;
}

/* "DKIM-Signature" with any trailing SP/TAB, any case. */
static int
is_sig_name(const char *n)
{
	size_t	 l = strlen(n);

	while (l > 0 && (n[l - 1] == ' ' || n[l - 1] == '\t'))
		l--;
	return l == 14 && strncasecmp(n, "DKIM-Signature", 14) == 0;
}

/* Header lines of data[0..len) into v; returns where the body starts. */
static size_t
headers(struct dkimv *v, const uint8_t *d, size_t len, size_t *nsig)
{
	char	*buf = malloc(len + 1), *p, *e, *line, *colon;
	size_t	 body;

	CHECK(buf != NULL);
	memcpy(buf, d, len);
	buf[len] = '\0';
	for (p = buf; *p != '\0' && *p != '\n'; p = e) {
		for (e = p; (e = strchr(e, '\n')) != NULL &&
		    (e[1] == ' ' || e[1] == '\t'); e++)
			;
		if (e == NULL)
			e = p + strlen(p);
		line = p;
		if (*e == '\n')
			*e++ = '\0';
		if ((colon = strchr(line, ':')) != NULL)
			*colon++ = '\0';
		else
			colon = line + strlen(line);
		if (is_sig_name(line))
			(*nsig)++;
		CHECK(dkimv_header(v, line, colon) == 0);
	}
	body = (size_t)(p - buf) + (*p == '\n');
	free(buf);
	return body > len ? len : body;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct dkimv_result	*r;
	struct dkimv			*v;
	size_t				 max, off, half, nsig = 0, i, nv = 0;
	int				 asked = 0;

	if (size == 0)
		return 0;
	max = data[0] % 70;
	CHECK((v = dkimv_new(max)) != NULL);
	off = 1 + headers(v, data + 1, size - 1, &nsig);
	if (off > size)
		off = size;
	half = (size - off) / 2;
	CHECK(dkimv_body(v, data + off, half) == 0);
	CHECK(dkimv_body(v, data + off + half, size - off - half) == 0);
	CHECK(dkimv_verify(v, txt, &asked, (time_t)1700000000) == 0);
	CHECK(dkimv_count(v) == nsig);
	for (i = 0; i < dkimv_count(v); i++) {
		r = dkimv_result(v, i);
		CHECK(r->status >= DKIMV_PASS && r->status <= DKIMV_PERMERROR);
		CHECK(memchr(r->why, '\0', sizeof(r->why)) && r->why[0]);
		CHECK(r->status != DKIMV_PASS || r->key_bits > 0);
		nv += r->status != DKIMV_PERMERROR && r->verified;
	}
	CHECK(nv <= (max < 1 ? 1 : max > DKIMV_SIGS_MAX ? DKIMV_SIGS_MAX :
	    max));
	CHECK(dkimv_result(v, dkimv_count(v)) == NULL);
	dkimv_free(v);
	return 0;
}
