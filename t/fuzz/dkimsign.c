/*
 * libFuzzer target for milter/dkimsign: a message cut into header fields
 * and body chunks at points the input chooses, signed with a fixed
 * Ed25519 key (generated once; Ed25519 signatures are deterministic).
 *
 * Input: byte 0 = flags (bit 0 relaxed header, bit 1 relaxed body, bits
 * 2-4 number of header fields); per field a name (a length byte: < 8
 * picks a name from a table, else that many bytes minus 8) and a value (a
 * length byte and the bytes; NUL becomes 'x'); a count byte (mod 16) of
 * chunk sizes, the sizes (one byte each, used in turn; none = 1-byte
 * chunks); the rest is the body.
 *
 * Invariants checked (abort() on violation, which libFuzzer reports):
 *   - chunking invariance: the body fed in the chosen chunks, in one
 *     chunk and (up to 4 KB) byte by byte gives the same bh=, the same
 *     canonical length, and the same complete DKIM-Signature value (or
 *     the same refusal);
 *   - bh= equals SHA-256 of the body canonicalised by the plain,
 *     whole-buffer reference below (RFC 6376 3.4.3/3.4.4, with the
 *     line-end rules of dkimsign.h: CRLF or bare LF end a line, a bare CR
 *     is data, a last line without an end gets one);
 *   - each canonical header equals the reference form of 3.4.1/3.4.2;
 *   - a signature value is folded with CRLF TAB, no line over 78
 *     characters (the first counted after "DKIM-Signature: "), and
 *     carries the body hash as bh=.
 */
// fuzz-sources: milter/dkimsign.c lib/dkimcanon.c
// fuzz-pkgs: libcrypto
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "../../milter/dkimsign.h"

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(c) do { if (!(c)) { \
	fprintf(stderr, "invariant failed: %s (line %d)\n", #c, __LINE__); \
	abort(); } } while (0)

#define MAXH	8
#define TS	1795834000LL

static EVP_PKEY	*key;

static const char *const names[8] = {
	"From", "Subject", "to", "DATE", "Message-ID", "X-Other", "Cc ",
	"Reply-To"
};
static const char *const sign_h[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "message-id"
};
static const char *const over_h[] = { "from", "to", "subject" };

struct input {
	const uint8_t	*p;
	size_t		 n;
};

struct msg {
	int		 rh, rb;
	size_t		 nh;
	char		 name[MAXH][32];
	char		 value[MAXH][256];
	uint8_t		 split[16];
	size_t		 nsplit;
	const uint8_t	*body;
	size_t		 blen;
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	CHECK(key != NULL);
	return 0;
}

static int
take(struct input *in)
{
	if (in->n == 0)
		return -1;
	in->n--;
	return *in->p++;
}

/* Up to len bytes into dst as a C string, NUL replaced; the count. */
static size_t
take_str(struct input *in, char *dst, size_t len, int name)
{
	size_t	 i;
	int	 c;

	for (i = 0; i < len && (c = take(in)) >= 0; i++) {
		if (c == 0 || (name && (c == ':' || c <= ' ' || c >= 0x7f)))
			c = 'x';
		dst[i] = (char)c;
	}
	dst[i] = '\0';
	return i;
}

static void
parse(const uint8_t *data, size_t size, struct msg *m)
{
	struct input	 in = { data, size };
	size_t		 i;
	int		 f, c;

	memset(m, 0, sizeof(*m));
	f = take(&in);
	if (f < 0)
		f = 0;
	m->rh = f & 1;
	m->rb = (f >> 1) & 1;
	m->nh = (size_t)(f >> 2) & 7;
	for (i = 0; i < m->nh; i++) {
		c = take(&in);
		if (c < 8)
			snprintf(m->name[i], sizeof(m->name[i]), "%s",
			    names[c < 0 ? 0 : c]);
		else if (take_str(&in, m->name[i], (size_t)(c - 8) % 24, 1) == 0)
			strcpy(m->name[i], "X");
		c = take(&in);
		take_str(&in, m->value[i], c < 0 ? 0 : (size_t)c, 0);
	}
	c = take(&in);
	m->nsplit = c < 0 ? 0 : (size_t)c % 16;
	for (i = 0; i < m->nsplit; i++)
		m->split[i] = (uint8_t)((c = take(&in)) < 0 ? 1 : c);
	m->body = in.p;
	m->blen = in.n;
}

/* 0 chunking: the chosen sizes; 1 one chunk; 2 byte by byte. */
static struct dsig *
hash(const struct msg *m, int how)
{
	struct dsig	*s = dsig_new(m->rh, m->rb);
	size_t		 i, off, n, k = 0;

	CHECK(s != NULL);
	for (i = 0; i < m->nh; i++)
		CHECK(dsig_header(s, m->name[i], m->value[i]) == 0);
	for (off = 0; off < m->blen; off += n) {
		n = m->blen - off;
		if (how == 2 || (how == 0 && m->nsplit == 0))
			n = 1;
		else if (how == 0) {
			size_t	 want = m->split[k++ % m->nsplit];

			if (want == 0) {	/* an empty chunk, then a byte */
				CHECK(dsig_body(s, m->body + off, 0) == 0);
				want = 1;
			}
			if (want < n)
				n = want;
		}
		CHECK(dsig_body(s, m->body + off, n) == 0);
	}
	CHECK(dsig_finish_body(s) == 0);
	CHECK(dsig_body(s, m->body, 1) < 0);
	return s;
}

/* ---- the reference canonicalisation ---------------------------------- */

struct buf {
	unsigned char	*p;
	size_t		 len;
};

static void
bput(struct buf *b, const void *p, size_t n)
{
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static int
wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* One body line (without its end) into b, relaxed or not. */
static void
ref_line(struct buf *b, const uint8_t *p, size_t n, int relaxed)
{
	size_t	 i;
	int	 sp = 0;

	if (!relaxed) {
		bput(b, p, n);
		return;
	}
	for (i = 0; i < n; i++) {
		if (wsp(p[i])) {
			sp = 1;		/* trailing WSP is never written */
			continue;
		}
		if (sp)
			bput(b, " ", 1);
		sp = 0;
		bput(b, p + i, 1);
	}
}

/* Line by line over the whole body, then the trailing empty lines cut. */
static void
ref_body(const uint8_t *p, size_t len, int relaxed, struct buf *b)
{
	size_t	 i, start = 0, keep = 0, before;

	b->p = malloc(2 * len + 3);
	b->len = 0;
	CHECK(b->p != NULL);
	while (start < len) {
		for (i = start; i < len && p[i] != '\n' && !(p[i] == '\r' &&
		    i + 1 < len && p[i + 1] == '\n'); i++)
			;
		before = b->len;
		ref_line(b, p + start, i - start, relaxed);
		bput(b, "\r\n", 2);
		if (b->len > before + 2)
			keep = b->len;		/* not an empty line */
		if (i == len)
			break;			/* a last line without end */
		start = i + (p[i] == '\r' ? 2 : 1);
	}
	b->len = keep;
	if (keep == 0 && !relaxed)
		bput(b, "\r\n", 2);
}

static void
base64_sha256(const unsigned char *p, size_t n, char out[48])
{
	unsigned char	 d[32];
	unsigned int	 dl = 0;

	CHECK(EVP_Digest(p, n, d, &dl, EVP_sha256(), NULL) == 1 && dl == 32);
	EVP_EncodeBlock((unsigned char *)out, d, 32);
}

/* 3.4.1 simple / 3.4.2 relaxed, plus CRLF. */
static size_t
ref_header(const char *name, const char *v, int relaxed, char *out)
{
	size_t	 n = 0, nl = strlen(name);
	int	 sp = 0, started = 0;

	if (!relaxed) {
		n = (size_t)sprintf(out, "%s:", name);
		for (; *v; v++) {
			if (*v == '\n' && (n == 0 || out[n - 1] != '\r'))
				out[n++] = '\r';
			out[n++] = *v;
		}
		memcpy(out + n, "\r\n", 2);
		return n + 2;
	}
	while (nl > 0 && wsp(name[nl - 1]))
		nl--;
	for (; n < nl; n++)
		out[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ?
		    name[n] + 32 : name[n]);
	out[n++] = ':';
	for (; *v; v++) {
		if (*v == '\r' || *v == '\n')
			continue;
		if (wsp(*v)) {
			sp = started;
			continue;
		}
		if (sp)
			out[n++] = ' ';
		sp = 0;
		started = 1;
		out[n++] = *v;
	}
	memcpy(out + n, "\r\n", 2);
	return n + 2;
}

/* ---- checks ---------------------------------------------------------- */

static void
check_folding(const char *v, const char *bh)
{
	size_t	 col = strlen("DKIM-Signature: ");
	char	*flat, *o;

	flat = o = malloc(strlen(v) + 1);
	CHECK(flat != NULL);
	for (; *v; v++) {
		if (*v == '\r') {
			CHECK(v[1] == '\n' && v[2] == '\t');
			v += 2;
			col = 1;
			continue;
		}
		CHECK(*v != '\n');
		CHECK(++col <= 78);
		*o++ = *v;
	}
	*o = '\0';
	/* Folds vanish above: a tag starts after ";" or "; ". */
	o = strstr(flat, "bh=");
	CHECK(o != NULL && o > flat && (o[-1] == ';' || o[-1] == ' '));
	CHECK(strncmp(o + 3, bh, strlen(bh)) == 0 && o[3 + strlen(bh)] == ';');
	free(flat);
}

static char *
sign(struct dsig *s, int *rc)
{
	char	*v = NULL, err[256];

	*rc = dsig_sign(s, key, "example.com", "fz", sign_h,
	    sizeof(sign_h) / sizeof(sign_h[0]), over_h,
	    sizeof(over_h) / sizeof(over_h[0]), TS, &v, err, sizeof(err));
	CHECK(*rc == 0 ? v != NULL : v == NULL && err[0] != '\0');
	return v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg	 m;
	static char		 canon[2 * 256 + 64];
	struct dsig		*s[3] = { NULL, NULL, NULL };
	struct buf		 ref;
	char			 want[48], *v[3] = { NULL, NULL, NULL };
	const char		*c;
	size_t			 i, len, n;
	int			 how, rc[3];

	parse(data, size, &m);
	n = m.blen <= 4096 ? 3 : 2;
	for (how = 0; how < (int)n; how++)
		s[how] = hash(&m, how);
	for (how = 1; how < (int)n; how++) {
		CHECK(strcmp(dsig_bh(s[0]), dsig_bh(s[how])) == 0);
		CHECK(dsig_body_length(s[0]) == dsig_body_length(s[how]));
	}
	CHECK(strlen(dsig_bh(s[0])) == 44);

	ref_body(m.body, m.blen, m.rb, &ref);
	base64_sha256(ref.p, ref.len, want);
	if (strcmp(want, dsig_bh(s[0])) != 0 ||
	    ref.len != dsig_body_length(s[0])) {
		fprintf(stderr, "bh %s (%llu bytes), reference %s (%zu)\n",
		    dsig_bh(s[0]), dsig_body_length(s[0]), want, ref.len);
		CHECK(!"body hash equals the reference");
	}
	free(ref.p);

	for (i = 0; i < m.nh; i++) {
		c = dsig_canon_header(s[0], i, &len);
		n = ref_header(m.name[i], m.value[i], m.rh, canon);
		CHECK(c != NULL && len == n && memcmp(c, canon, n) == 0);
	}
	CHECK(dsig_canon_header(s[0], m.nh, &len) == NULL);

	n = m.blen <= 4096 ? 3 : 2;
	for (how = 0; how < (int)n; how++) {
		v[how] = sign(s[how], &rc[how]);
		CHECK(rc[how] == rc[0]);
		if (rc[0] == 0)
			CHECK(strcmp(v[how], v[0]) == 0);
	}
	if (rc[0] == 0)
		check_folding(v[0], dsig_bh(s[0]));
	for (how = 0; how < 3; how++) {
		free(v[how]);
		s[how] = dsig_free(s[how]);
	}
	return 0;
}
