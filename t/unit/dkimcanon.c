/*
 * Unit test of the canonicalisation in milter/dkimsign, against vectors
 * from implementations we did not write (signing and verification are in
 * t/unit/dkimsign.c).
 *  1. Body hashes computed with dkimpy's canonicalisation code
 *     (dkim.canonicalization, python3-dkim 1.1.4), each body fed whole,
 *     byte by byte and in 2- and 3-byte chunks, simple and relaxed.
 *  2. Header canonical forms per RFC 6376 3.4.1/3.4.2, read back with
 *     dsig_canon_header.
 * The signer's canonicalisation is lib/dkimcanon, shared with the
 * verifier; its own extras are tested directly:
 *  3. The l= limit: the hash of the first N canonical bytes equals the
 *     hash of the full canonical form cut at N (computed by OpenSSL
 *     here), and the length reported is the uncut one.
 *  4. Base64 decoding with FWS, padding rules and capacity.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "../../lib/dkimcanon.h"
#include "../../milter/dkimsign.h"
#include "../tap.h"

static const struct { const char *label, *body, *simple, *relaxed; } bodies[] = {
	{ "empty", "", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "crlf", "\r\n", "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "blank lines", "\r\n\r\n\r\n",
	    "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "wsp only lines", " \r\n\t\r\n  \t \r\n",
	    "VdfXpykmMG76jrT6EGmdfmK8oVbEjyMkdtLcBR9mqkY=",
	    "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
	{ "one line", "abc\r\n", "VSuraGTHp7aaUC7RhUuSRcDhow8AiqoLKB2mJYX9sCU=",
	    "VSuraGTHp7aaUC7RhUuSRcDhow8AiqoLKB2mJYX9sCU=" },
	{ "no final crlf", "abc", "VSuraGTHp7aaUC7RhUuSRcDhow8AiqoLKB2mJYX9sCU=",
	    "VSuraGTHp7aaUC7RhUuSRcDhow8AiqoLKB2mJYX9sCU=" },
	{ "RFC 6376 3.4.5", " C \r\nD \t E\r\n\r\n\r\n",
	    "NOeivbQlDH9TmNKJUw7D53wZfsk8YMZ/hTuVVwTgi8s=",
	    "unak6JHq0wL+Q1HP7dW1tjBx9FLA6DffoZ0qrLwbbpo=" },
	{ "trailing wsp", "a  b \t\r\n\t c\t\r\n\r\n  \r\n",
	    "LV0Tpo8m8PSePyhZvYYK5xd0102gWGdiIPEeYcz/wpE=",
	    "xpXH+feV/9T/DWyWdGwgaMbbsCmXG26XAOy8QFNIBfU=" },
	{ "dots", ".\r\n..two\r\n.\r\n",
	    "w4WPlJLHuzgKhofV8WzAEZ1Af5AWBntfJCWgI2A2xRU=",
	    "w4WPlJLHuzgKhofV8WzAEZ1Af5AWBntfJCWgI2A2xRU=" },
	{ "utf-8", "h\xc3\xa9llo  w\xc3\xb6rld \xe2\x82\xac\r\n\xff\xfe\r\n",
	    "wKWoN298MRcjKg1rj6CAXKeA6JgQZ5fVKGAj/u//qPs=",
	    "6DGiV8PnMyxBlBjw7XB+0kNw1VuCbvTjzhDU9JfeFiw=" },
	{ "bare lf", "a \nb\n\n", "ji1DED2E9RNxX9nPEm8ieCA+8Ile87WVdRLFbPPKMNw=",
	    "WAVb3Mc3h+uIx4028LSTnpxdwcOtF+JcyFpoM88aDKs=" },
	{ "mixed ends", "a\r\nb\n \r\n\n",
	    "6xACGxITFYKolyHb5UcTUMKQIX/WLXULM8D6R0sfMFI=",
	    "WAVb3Mc3h+uIx4028LSTnpxdwcOtF+JcyFpoM88aDKs=" },
	{ "inner blank lines", "a\r\n\r\n\r\nb\r\n\r\n",
	    "SFh8erZISrt6Jo0tTtk8EO/1BfDisAl/Ht6k37OJmgk=",
	    "SFh8erZISrt6Jo0tTtk8EO/1BfDisAl/Ht6k37OJmgk=" },
	{ "leading wsp", "   x\r\n\t\ty  z\r\n",
	    "Vf6+GtPRc1XPB9Kw29lNADuNyX3I9VsnLrgJx01L8Wo=",
	    "TJhFka96tu3sYzbiTNSNnl6k6NUniHeFje9D13s3Zl0=" },
};

/* bh of body fed in chunks of step bytes (0: all at once). */
static int
bh_of(const char *body, size_t len, int rb, size_t step, char *out)
{
	struct dsig	*s = dsig_new(1, rb);
	size_t		 i, n;
	int		 rc = -1;

	for (i = 0; s && i < len; i += n) {
		n = step == 0 || len - i < step ? len - i : step;
		if (dsig_body(s, (const unsigned char *)body + i, n) < 0)
			goto out;
	}
	if (s && dsig_finish_body(s) == 0) {
		snprintf(out, 64, "%s", dsig_bh(s));
		rc = 0;
	}
out:
	dsig_free(s);
	return rc;
}

static void
body_vectors(void)
{
	static const size_t steps[] = { 0, 1, 2, 3 };
	char		 got[64];
	const char	*want;
	size_t		 i, j;
	int		 rb, good;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		for (rb = 0; rb < 2; rb++) {
			want = rb ? bodies[i].relaxed : bodies[i].simple;
			good = 1;
			for (j = 0; j < sizeof(steps) / sizeof(steps[0]); j++) {
				if (bh_of(bodies[i].body, strlen(bodies[i].body),
				    rb, steps[j], got) < 0 || strcmp(got, want)) {
					diag("step %zu: got %s", steps[j], got);
					good = 0;
				}
			}
			ok(good, "bh %s body \"%s\" (whole, 1/2/3-byte chunks)",
			    rb ? "relaxed" : "simple", bodies[i].label);
		}
	}
}

static void
header_vectors(void)
{
	static const struct { const char *name, *value, *simple, *relaxed; }
	    h[] = {
		{ "Subject", " Hello  World ", "Subject: Hello  World \r\n",
		    "subject:Hello World\r\n" },
		{ "SUBJECT", "x", "SUBJECT:x\r\n", "subject:x\r\n" },
		{ "To", " a@x,\r\n\tb@y", "To: a@x,\r\n\tb@y\r\n",
		    "to:a@x, b@y\r\n" },
		{ "To", " a@x,\n b@y\n\tc", "To: a@x,\r\n b@y\r\n\tc\r\n",
		    "to:a@x, b@y c\r\n" },
		{ "X-Empty", "", "X-Empty:\r\n", "x-empty:\r\n" },
		{ "X-Wsp", "  \t ", "X-Wsp:  \t \r\n", "x-wsp:\r\n" },
		{ "X-8bit", " caf\xc3\xa9 \t\r\n  ok \t",
		    "X-8bit: caf\xc3\xa9 \t\r\n  ok \t\r\n",
		    "x-8bit:caf\xc3\xa9 ok\r\n" },
		{ "Subject ", " x", "Subject : x\r\n", "subject:x\r\n" },
	};
	struct dsig	*s[2] = { dsig_new(0, 0), dsig_new(1, 1) };
	const char	*c;
	size_t		 i, len;
	int		 k;

	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++)
		for (k = 0; k < 2; k++)
			dsig_header(s[k], h[i].name, h[i].value);
	for (i = 0; i < sizeof(h) / sizeof(h[0]); i++) {
		for (k = 0; k < 2; k++) {
			c = dsig_canon_header(s[k], i, &len);
			ok(c && len == strlen(k ? h[i].relaxed : h[i].simple) &&
			    memcmp(c, k ? h[i].relaxed : h[i].simple, len) == 0,
			    "%s header %zu \"%s\"", k ? "relaxed" : "simple", i,
			    h[i].name);
		}
	}
	ok(dsig_canon_header(s[0], i, &len) == NULL, "index out of range");
	dsig_free(s[0]);
	dsig_free(s[1]);
}

static void
limit_vectors(void)
{
	static const char	 body[] = "a  b \r\n\r\nc\td\r\n\r\n\r\n";
	static const char	 canon[] = "a b\r\n\r\nc d\r\n";	/* relaxed */
	unsigned char		 got[32], want[32];
	unsigned int		 wl;
	struct dkimc_body	*b;
	long long		 l;
	int			 good = 1;

	for (l = 0; l <= (long long)strlen(canon) + 3; l++) {
		b = dkimc_body_new(1, l);
		dkimc_body_update(b, (const unsigned char *)body, 9);
		dkimc_body_update(b, (const unsigned char *)body + 9,
		    strlen(body) - 9);
		EVP_Digest(canon, (size_t)l > strlen(canon) ? strlen(canon) :
		    (size_t)l, want, &wl, EVP_sha256(), NULL);
		if (dkimc_body_finish(b, got) < 0 || memcmp(got, want, 32) ||
		    dkimc_body_length(b) != strlen(canon)) {
			diag("l=%lld differs", l);
			good = 0;
		}
		dkimc_body_free(b);
	}
	ok(good, "l= 0..%zu: SHA-256 of the canonical body cut at l, "
	    "length uncut", strlen(canon) + 3);
}

static void
b64_vectors(void)
{
	static const struct { const char *in, *out; int rc; size_t cap; } v[] = {
		{ "aGVsbG8=", "hello", 0, 16 },
		{ " aGV\r\n\tsbG8 = ", "hello", 0, 16 },
		{ "aGVsbG8", "hello", 0, 16 },
		{ "aGVsbA==", "hell", 0, 16 },
		{ "", "", 0, 16 },
		{ "aGVsbG8=", NULL, -1, 4 },
		{ "aGVs!G8=", NULL, -1, 16 },
		{ "aGVsbG8=x", NULL, -1, 16 },
		{ "aGVsb", NULL, -1, 16 },
		{ "aGVsbA=", NULL, -1, 16 },
	};
	unsigned char	 out[16];
	size_t		 i, n;
	int		 rc;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		rc = dkimc_b64decode(v[i].in, strlen(v[i].in), out, v[i].cap,
		    &n);
		ok(rc == v[i].rc && (rc < 0 || (n == strlen(v[i].out) &&
		    memcmp(out, v[i].out, n) == 0)), "base64 \"%s\" -> %s",
		    tap_name(v[i].in), v[i].out ? v[i].out : "error");
	}
}

int
main(void)
{
	body_vectors();
	header_vectors();
	limit_vectors();
	b64_vectors();
	return done_testing();
}
