/*
 * Unit test of milter/dkimsign, judged by implementations we did not write
 * (the canonicalisation vectors are in t/unit/dkimcanon.c).
 *  1. A 9 MB body streamed: its relaxed bh against one computed here.
 *  2. Every message case signed with RSA-2048 and Ed25519 keys made here,
 *     in all four c= modes, verified with libopendkim (DKIM_SIG_CHECK)
 *     and with dkimpy through t/lib/verify-dkimpy.py --short.
 *  3. Tampering: body, a signed header, an added oversigned header must
 *     fail; an added unsigned header and (relaxed body only) trailing
 *     whitespace must still pass.
 *  4. Errors, the h= list, folding; a CPU diag for dual signing of 4 KB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dkim.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../../milter/dkimsign.h"
#include "../tap.h"

#define DOMAIN	"example.com"
#define TS	1700000000LL
#define NHDR	12

struct hdr { const char *name, *value; };
struct mcase {
	const char	*label;
	struct hdr	 h[NHDR];
	const char	*body;
	int		 gen;	/* 1: long body line, 2: long folded header */
};

static const char *const sign_list[] = { "from", "reply-to", "subject",
    "date", "message-id", "to", "cc", "mime-version", "content-type",
    "content-transfer-encoding", "references", "in-reply-to", "from" };
static const char *const over_list[] = { "from", "to", "cc", "subject",
    "date", "message-id", "reply-to", "mime-version", "content-type" };
#define NSIGN	(sizeof(sign_list) / sizeof(sign_list[0]))
#define NOVER	(sizeof(over_list) / sizeof(over_list[0]))

#define STD_HDRS \
	{ "From", " Alice <alice@example.com>" }, \
	{ "To", " Bob <bob@example.org>" }, \
	{ "Subject", " Hello" }, \
	{ "Date", " Tue, 28 Nov 2023 10:00:00 +0000" }, \
	{ "Message-ID", " <1@example.com>" }

static const struct mcase cases[] = {
	{ "plain", { STD_HDRS, { "MIME-Version", " 1.0" },
	    { "Content-Type", " text/plain; charset=utf-8" } },
	    "Hello Bob,\r\n\r\nSee you.\r\n", 0 },
	{ "empty body", { STD_HDRS }, "", 0 },
	{ "blank lines only", { STD_HDRS }, "\r\n\r\n\r\n\r\n", 0 },
	{ "trailing wsp", { STD_HDRS },
	    "line one   \r\n\tindented\t \r\n \r\n\r\n", 0 },
	{ "dots", { STD_HDRS }, ".\r\n..two dots\r\n.end\r\n", 0 },
	{ "8-bit", { { "From", " J\xc3\xbcrgen <j@example.com>" },
	    { "Subject", " caf\xc3\xa9 \xe2\x82\xac" }, { "To", " x@example.org" } },
	    "gr\xc3\xbc\xc3\x9f  dich \xe2\x82\xac\t\r\n\xff\xfe\x80\r\n", 0 },
	{ "long line", { STD_HDRS }, NULL, 1 },
	{ "odd case", { { "fROM", " a@example.com" }, { "SUBJECT", " S" },
	    { "message-ID", " <2@example.com>" }, { "tO", " b@example.org" } },
	    "x\r\n", 0 },
	{ "duplicates", { { "Received", " from a by b; 1" },
	    { "Received", " from c by d; 2" }, { "From", " a@example.com" },
	    { "To", " b@example.org" }, { "Cc", " c@example.org" },
	    { "To", " d@example.org" }, { "Subject", " dup" },
	    { "Cc", " e@example.org" }, { "Received", " from e by f; 3" } },
	    "dup\r\n", 0 },
	{ "folded", { { "From", " a@example.com" },
	    { "To", " one@example.org,\r\n\ttwo@example.org,\r\n  three@example.org" },
	    { "Subject", " folded with\n bare LF\n\tand tab" },
	    { "Date", "  Tue, 28 Nov 2023\t10:00:00 +0000  " } }, "b\r\n", 2 },
	{ "no leading space", { { "From", "a@example.com" }, { "Subject", "x" },
	    { "To", "\tb@example.org" } }, "body\r\n", 0 },
	{ "bare LF body", { STD_HDRS }, "a \nb\n\n  c\t\n\n", 0 },
	{ "no final newline", { STD_HDRS }, "last line  ", 0 },
};
#define NCASES	(sizeof(cases) / sizeof(cases[0]))

static EVP_PKEY	*rsa_key, *ed_key;
static char	 rsa_txt[1024], ed_txt[1024], tmpdir[64];
static int	 have_dkimpy;
static DKIM_LIB	*odkim;

/* ---- dkimpy batch: messages written now, judged at the end ---------- */
struct pyjob { char label[160]; int want[2]; };
static struct pyjob	 pyjobs[256];
static size_t		 npy;

/* ---- keys and DNS -------------------------------------------------- */

static void
b64(const unsigned char *p, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

static int
make_keys(void)
{
	unsigned char	 der[600], *q = der, raw[32];
	char		 b[800];
	size_t		 rl = sizeof(raw);
	int		 n;

	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (rsa_key == NULL || ed_key == NULL)
		return -1;
	if ((n = i2d_PUBKEY(rsa_key, &q)) <= 0 || (size_t)n > sizeof(der))
		return -1;
	b64(der, (size_t)n, b);
	snprintf(rsa_txt, sizeof(rsa_txt), "v=DKIM1; k=rsa; p=%s", b);
	if (EVP_PKEY_get_raw_public_key(ed_key, raw, &rl) != 1)
		return -1;
	b64(raw, rl, b);
	snprintf(ed_txt, sizeof(ed_txt), "v=DKIM1; k=ed25519; p=%s", b);
	return 0;
}

static DKIM_CBSTAT
key_lookup(DKIM *d, DKIM_SIGINFO *sig, unsigned char *buf, size_t len)
{
	const char	*sel = (const char *)dkim_sig_getselector(sig);
	const char	*txt;

	(void)d;
	txt = strcmp(sel, "rsa") == 0 ? rsa_txt :
	    strcmp(sel, "ed") == 0 ? ed_txt : NULL;
	if (txt == NULL)
		return DKIM_CBSTAT_NOTFOUND;
	snprintf((char *)buf, len, "%s", txt);
	return DKIM_CBSTAT_CONTINUE;
}

/* libopendkim's verdict per algorithm: got[0] RSA, got[1] Ed25519. */
static void
odkim_verify(const char *msg, size_t len, int got[2])
{
	DKIM_SIGINFO	**sigs;
	DKIM_STAT	 st;
	DKIM		*v;
	dkim_alg_t	 alg;
	int		 i, n;

	got[0] = got[1] = 0;
	if ((v = dkim_verify(odkim, (const unsigned char *)"t", NULL, &st)) == NULL)
		return;
	dkim_chunk(v, (unsigned char *)msg, len);
	dkim_chunk(v, NULL, 0);
	dkim_eom(v, NULL);
	if (dkim_getsiglist(v, &sigs, &n) == DKIM_STAT_OK) {
		for (i = 0; i < n; i++) {
			if (dkim_sig_getsignalg(sigs[i], &alg) != DKIM_STAT_OK)
				continue;
			if (alg == DKIM_SIGN_RSASHA256)
				got[0] = DKIM_SIG_CHECK(sigs[i]);
			else if (alg == DKIM_SIGN_ED25519SHA256)
				got[1] = DKIM_SIG_CHECK(sigs[i]);
		}
	}
	dkim_free(v);
}

/* ---- building, signing and checking messages ----------------------- */

/* Writes bytes with every bare LF turned into CRLF (the wire form). */
static void
put_wire(FILE *fp, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			fputc('\r', fp);
		fputc(p[i], fp);
	}
}

struct msg {
	struct hdr	 h[NHDR + 1];
	size_t		 nh;
	char		*body;
	size_t		 blen;
	char		*sig[2];
};

static void
msg_load(struct msg *m, const struct mcase *c, char *genbuf, size_t gl)
{
	memset(m, 0, sizeof(*m));
	for (m->nh = 0; m->nh < NHDR && c->h[m->nh].name; m->nh++)
		m->h[m->nh] = c->h[m->nh];
	m->body = (char *)(c->body ? c->body : "");
	if (c->gen == 1) {
		memset(genbuf, 'x', gl - 8);
		memcpy(genbuf + gl - 8, " \t \r\nz\r\n", 8);
		m->body = genbuf;
	} else if (c->gen == 2) {
		for (size_t i = 0; i + 1 < gl; i++)
			genbuf[i] = i % 60 == 59 ? '\n' : i % 60 == 0 ? '\t' :
			    "<ref@example.com> "[i % 18];
		genbuf[0] = ' ';
		genbuf[gl - 1] = '\0';
		m->h[m->nh].name = "References";
		m->h[m->nh++].value = genbuf;
	}
	m->blen = c->gen == 1 ? gl : strlen(m->body);
}

/* Signs m with both keys; 0 or -1 (reported). */
static int
msg_sign(struct msg *m, int rh, int rb, const char *label)
{
	struct dsig	*s = dsig_new(rh, rb);
	char		 err[256];
	size_t		 i;
	int		 rc = -1;

	for (i = 0; s && i < m->nh; i++)
		if (dsig_header(s, m->h[i].name, m->h[i].value) < 0)
			goto out;
	if (s == NULL || dsig_body(s, (const unsigned char *)m->body,
	    m->blen) < 0 || dsig_finish_body(s) < 0)
		goto out;
	if (dsig_sign(s, rsa_key, DOMAIN, "rsa", sign_list, NSIGN, over_list,
	    NOVER, TS, &m->sig[0], err, sizeof(err)) < 0 ||
	    dsig_sign(s, ed_key, DOMAIN, "ed", sign_list, NSIGN, over_list,
	    NOVER, TS, &m->sig[1], err, sizeof(err)) < 0) {
		diag("%s: %s", label, err);
		goto out;
	}
	rc = 0;
out:
	dsig_free(s);
	return rc;
}

/* The message as a receiver sees it, with an optional extra header
 * line on top and an optional replacement body. */
static char *
msg_wire(const struct msg *m, const char *top, const char *body,
    size_t *len)
{
	char	*buf;
	FILE	*fp = open_memstream(&buf, len);
	size_t	 i;

	for (i = 0; i < 2; i++)
		fprintf(fp, "DKIM-Signature: %s\r\n", m->sig[i]);
	if (top)
		fputs(top, fp);
	for (i = 0; i < m->nh; i++) {
		fprintf(fp, "%s:", m->h[i].name);
		put_wire(fp, m->h[i].value, strlen(m->h[i].value));
		fputs("\r\n", fp);
	}
	fputs("\r\n", fp);
	if (body)
		fputs(body, fp);
	else
		put_wire(fp, m->body, m->blen);
	if (!body && m->blen > 0 && m->body[m->blen - 1] != '\n')
		fputs("\r\n", fp);
	fclose(fp);
	return buf;
}

/* Checks a verdict with libopendkim now and queues it for dkimpy. */
static void
judge(const char *msg, size_t len, int want, const char *label)
{
	char	 path[128];
	FILE	*fp;
	int	 got[2];

	odkim_verify(msg, len, got);
	ok(got[0] == want && got[1] == want, "libopendkim %s: rsa %s, "
	    "ed25519 %s", label, got[0] ? "pass" : "fail",
	    got[1] ? "pass" : "fail");
	if (!have_dkimpy || npy >= sizeof(pyjobs) / sizeof(pyjobs[0]))
		return;
	snprintf(path, sizeof(path), "%s/m%03zu", tmpdir, npy);
	if ((fp = fopen(path, "wb")) == NULL)
		return;
	fwrite(msg, 1, len, fp);
	fclose(fp);
	snprintf(pyjobs[npy].label, sizeof(pyjobs[npy].label), "%s", label);
	pyjobs[npy].want[0] = pyjobs[npy].want[1] = want;
	npy++;
}

/* Folding: lines <= 78 (first after "DKIM-Signature: "), "\r\n\t" folds. */
static int
well_folded(const char *v)
{
	size_t	 col = strlen("DKIM-Signature: ");

	if (*v == ' ' || strncmp(v, "v=1; a=", 7) != 0)
		return 0;
	for (; *v; v++) {
		if (*v == '\r') {
			if (v[1] != '\n' || v[2] != '\t')
				return 0;
			v += 2;
			col = 1;
		} else if (*v == '\n' || ++col > 78)
			return 0;
	}
	return v[-1] != ' ' && v[-1] != '\t';
}

static void
sign_matrix(void)
{
	static char	 gen[20000];
	static const char *mode[] = { "simple", "relaxed" };
	struct msg	 m;
	char		 label[160], *w;
	size_t		 i, len;
	int		 rh, rb;

	for (i = 0; i < NCASES; i++) {
		for (rh = 0; rh < 2; rh++) {
			for (rb = 0; rb < 2; rb++) {
				snprintf(label, sizeof(label), "%s %s/%s",
				    cases[i].label, mode[rh], mode[rb]);
				msg_load(&m, &cases[i], gen, sizeof(gen));
				if (!ok(msg_sign(&m, rh, rb, label) == 0 &&
				    well_folded(m.sig[0]) &&
				    well_folded(m.sig[1]), "sign %s", label)) {
					diag("rsa: %s", m.sig[0] ? m.sig[0] : "-");
					free(m.sig[0]);
					free(m.sig[1]);
					continue;
				}
				w = msg_wire(&m, NULL, NULL, &len);
				judge(w, len, 1, label);
				free(w);
				free(m.sig[0]);
				free(m.sig[1]);
			}
		}
	}
}

static void
tamper(void)
{
	static const struct { const char *label, *top, *body; int rb, want; }
	    t[] = {
		{ "body altered", NULL, "Hello Bob,\r\n\r\nSee you!\r\n", 1, 0 },
		{ "second From added", "From: Mallory <m@example.net>\r\n",
		    NULL, 1, 0 },
		{ "Reply-To added (oversigned, absent)",
		    "Reply-To: m@example.net\r\n", NULL, 1, 0 },
		{ "second To added (oversigned)", "To: m@example.net\r\n",
		    NULL, 0, 0 },
		{ "unsigned header added (control)", "X-Added: 1\r\n", NULL,
		    1, 1 },
		{ "trailing WSP added, relaxed body (control)", NULL,
		    "Hello Bob,  \r\n\r\nSee you.\t\r\n\r\n", 1, 1 },
		{ "trailing WSP added, simple body", NULL,
		    "Hello Bob,  \r\n\r\nSee you.\t\r\n\r\n", 0, 0 },
	};
	struct msg	 m;
	char		 label[160], *w;
	size_t		 i, len;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		msg_load(&m, &cases[0], NULL, 0);
		if (msg_sign(&m, 1, t[i].rb, t[i].label) < 0) {
			ok(0, "tamper %s: sign", t[i].label);
			continue;
		}
		w = msg_wire(&m, t[i].top, t[i].body, &len);
		snprintf(label, sizeof(label), "tamper %s", t[i].label);
		judge(w, len, t[i].want, label);
		free(w);
		free(m.sig[0]);
		free(m.sig[1]);
	}
	/* A signed header altered: Subject. */
	msg_load(&m, &cases[0], NULL, 0);
	if (msg_sign(&m, 0, 0, "subject") == 0) {
		m.h[2].value = " Hello!";
		w = msg_wire(&m, NULL, NULL, &len);
		judge(w, len, 0, "tamper signed Subject altered simple/simple");
		free(w);
		free(m.sig[0]);
		free(m.sig[1]);
	}
}

/* ---- a 9 MB body, streamed ----------------------------------------- */

#define BIG_LINES	560001	/* the last one not blank */

static void
big_body(void)
{
	static const struct mcase c = { "9 MB", { STD_HDRS }, NULL, 0 };
	unsigned char	 d[32];
	char		 want[64], line[32], *w;
	EVP_MD_CTX	*md = EVP_MD_CTX_new();
	FILE		*fp;
	struct msg	 m;
	size_t		 i, len, off, n;
	struct dsig	*s;
	int		 good = 1;

	/* Raw lines "line NNNNNNN  \t" with a blank line every 100th and a
	 * WSP-only one every 1000th, three empty lines at the end; the
	 * expected relaxed form is built here line by line. */
	fp = open_memstream(&m.body, &m.blen);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	for (i = 0; i < BIG_LINES; i++) {
		if (i % 100 == 99) {
			fputs(i % 1000 == 999 ? " \t \r\n" : "\r\n", fp);
			EVP_DigestUpdate(md, "\r\n", 2);
			continue;
		}
		n = (size_t)snprintf(line, sizeof(line), "line %07zu", i);
		fprintf(fp, "%s  \t\r\n", line);
		EVP_DigestUpdate(md, line, n);
		EVP_DigestUpdate(md, "\r\n", 2);
	}
	fputs("\r\n \r\n\r\n", fp);
	fclose(fp);
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	b64(d, 32, want);

	s = dsig_new(1, 1);
	for (off = 0; off < m.blen; off += n) {
		n = m.blen - off < 65521 ? m.blen - off : 65521;
		if (dsig_body(s, (unsigned char *)m.body + off, n) < 0)
			good = 0;
	}
	good = good && dsig_finish_body(s) == 0;
	is_str(good ? dsig_bh(s) : "error", want, "9 MB body streamed in "
	    "65521-byte chunks: relaxed bh");
	dsig_free(s);

	w = m.body;
	len = m.blen;
	msg_load(&m, &c, NULL, 0);
	m.body = w;
	m.blen = len;
	if (ok(msg_sign(&m, 1, 1, "9 MB") == 0, "9 MB body signed")) {
		w = msg_wire(&m, NULL, NULL, &len);
		judge(w, len, 1, "9 MB body relaxed/relaxed");
		free(w);
	}
	free(m.body);
	free(m.sig[0]);
	free(m.sig[1]);
}

/* ---- h=, tags, errors ---------------------------------------------- */

static char *
unfold(const char *v)
{
	char	*u = strdup(v), *p, *q;

	/* A fold replaced the space between tags; elsewhere it is extra. */
	for (p = q = u; *p; p++) {
		if (strncmp(p, "\r\n\t", 3) != 0) {
			*q++ = *p;
			continue;
		}
		if (q > u && q[-1] == ';')
			*q++ = ' ';
		p += 2;
	}
	*q = '\0';
	return u;
}

static void
h_lists(void)
{
	static const struct { int c, rh; const char *h; } t[] = {
		{ 0, 1, "h=from:subject:date:message-id:to:mime-version:"
		    "content-type:from:to:cc:subject:date:message-id:reply-to:"
		    "mime-version:content-type;" },
		{ 8, 1, "h=from:subject:to:to:cc:cc:from:to:cc:subject:date:"
		    "message-id:reply-to:mime-version:content-type;" },
		{ 7, 0, "h=fROM:SUBJECT:message-ID:tO:from:to:cc:subject:date:"
		    "message-id:reply-to:mime-version:content-type;" },
	};
	struct msg	 m;
	char		*u, *p, want[128];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		msg_load(&m, &cases[t[i].c], NULL, 0);
		if (msg_sign(&m, t[i].rh, 1, "h=") < 0) {
			ok(0, "h= of %s", cases[t[i].c].label);
			continue;
		}
		u = unfold(m.sig[0]);
		p = strstr(u, "h=");
		ok(p && strncmp(p, t[i].h, strlen(t[i].h)) == 0,
		    "h= of %s: %s", cases[t[i].c].label, t[i].h);
		snprintf(want, sizeof(want), "v=1; a=rsa-sha256; c=%s/relaxed; "
		    "d=example.com; s=rsa; t=1700000000; h=",
		    t[i].rh ? "relaxed" : "simple");
		ok(strncmp(u, want, strlen(want)) == 0, "tags of %s in order",
		    cases[t[i].c].label);
		free(u);
		free(m.sig[0]);
		free(m.sig[1]);
	}
}

static void
errors(void)
{
	struct dsig	*s = dsig_new(1, 1);
	EVP_PKEY	*ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	const char	*bad_name[] = { "from", "x;y" };
	char		 err[256] = "", *v = NULL, *u;

	ok(dsig_bh(s) == NULL, "no bh before finish");
	ok(dsig_sign(s, ed_key, DOMAIN, "ed", sign_list, NSIGN, NULL, 0, TS,
	    &v, err, sizeof(err)) < 0 && v == NULL &&
	    strstr(err, "not finished"), "sign before finish: %s", err);
	dsig_header(s, "From", " a@example.com");
	dsig_finish_body(s);
	ok(dsig_body(s, (const unsigned char *)"x", 1) < 0,
	    "body after finish refused");
	ok(dsig_sign(s, ec, DOMAIN, "ec", sign_list, NSIGN, NULL, 0, TS, &v,
	    err, sizeof(err)) < 0 && strstr(err, "unsupported key type"),
	    "EC key refused: %s", err);
	ok(dsig_sign(s, ed_key, "exa mple.com", "ed", sign_list, NSIGN, NULL,
	    0, TS, &v, err, sizeof(err)) < 0 && strstr(err, "domain"),
	    "bad domain refused: %s", err);
	ok(dsig_sign(s, ed_key, DOMAIN, "e;d", sign_list, NSIGN, NULL, 0, TS,
	    &v, err, sizeof(err)) < 0 && strstr(err, "selector"),
	    "bad selector refused: %s", err);
	ok(dsig_sign(s, ed_key, DOMAIN, "ed", bad_name, 2, NULL, 0, TS, &v,
	    err, sizeof(err)) < 0 && strstr(err, "header name"),
	    "bad header name refused: %s", err);
	ok(dsig_sign(s, ed_key, DOMAIN, "ed", sign_list + 1, 2, NULL, 0, TS,
	    &v, err, sizeof(err)) < 0 && strstr(err, "h="),
	    "nothing to sign refused: %s", err);
	if (ok(dsig_sign(s, ed_key, DOMAIN, "ed", sign_list, NSIGN, NULL, 0,
	    -1, &v, err, sizeof(err)) == 0, "t= omitted for timestamp -1")) {
		u = unfold(v);
		ok(strstr(u, "t=") == NULL && strstr(u, "; h=from; bh=") &&
		    strstr(u, dsig_bh(s)), "no t=, h=from, bh= is dsig_bh: %s",
		    u);
		free(u);
	}
	free(v);
	ok(dsig_free(s) == NULL && dsig_free(NULL) == NULL, "dsig_free");
	EVP_PKEY_free(ec);
}

/* ---- contexts reused across messages (dkimsign.c keeps them) ------- */

static char *
sign_one(EVP_PKEY *key)
{
	struct dsig	*s = dsig_new(1, 1);
	char		 err[256], *v = NULL;

	if (s == NULL || dsig_header(s, "From", " a@example.com") < 0 ||
	    dsig_body(s, (const unsigned char *)"pool\r\n", 6) < 0 ||
	    dsig_finish_body(s) < 0 || dsig_sign(s, key, DOMAIN, "p",
	    sign_list, NSIGN, NULL, 0, TS, &v, err, sizeof(err)) < 0)
		v = NULL;
	dsig_free(s);
	return v;
}

static void
pooled(void)
{
	EVP_PKEY	*k2 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY	*k3;
	char		*a1 = sign_one(rsa_key), *b = sign_one(k2);
	char		*a2 = sign_one(rsa_key), *e1 = sign_one(ed_key);
	char		*e2 = sign_one(ed_key), *c;

	ok(a1 && a2 && b && strcmp(a1, a2) == 0 && strcmp(a1, b) != 0,
	    "same key, same message: same signature again; other key: other");
	ok(e1 && e2 && strcmp(e1, e2) == 0, "Ed25519 signs alike again");
	/* A new key where a freed one was: never the old key's context. */
	EVP_PKEY_free(k2);
	k3 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	c = sign_one(k3);
	ok(c && b && strcmp(c, b) != 0, "a key made after another was "
	    "freed signs with its own key");
	EVP_PKEY_free(k3);
	free(a1);
	free(a2);
	free(b);
	free(c);
	free(e1);
	free(e2);
}

/* ---- dkimpy, the second independent verifier ---------------------- */

static void
run_dkimpy(void)
{
	char		 path[128], line[512], *cmd, *p;
	int		 got[256][2], nsig[256] = { 0 };
	size_t		 i, len;
	FILE		*fp, *mem;

	snprintf(path, sizeof(path), "%s/dns", tmpdir);
	if ((fp = fopen(path, "w")) == NULL)
		return;
	fprintf(fp, "rsa._domainkey.%s\t%s\ned._domainkey.%s\t%s\n", DOMAIN,
	    rsa_txt, DOMAIN, ed_txt);
	fclose(fp);
	mem = open_memstream(&cmd, &len);
	fputs("/usr/bin/python3 t/lib/verify-dkimpy.py --short", mem);
	for (i = 0; i < npy; i++)
		fprintf(mem, " %s/m%03zu", tmpdir, i);
	fprintf(mem, " %s", path);
	fclose(mem);
	memset(got, 0, sizeof(got));
	if ((fp = popen(cmd, "r")) != NULL) {
		while (fgets(line, sizeof(line), fp)) {
			if ((p = strstr(line, "/m")) == NULL ||
			    (i = strtoul(p + 2, &p, 10)) >= npy || nsig[i] > 1)
				continue;
			got[i][nsig[i]++] = strncmp(p, ": pass\n", 7) == 0;
			if (strncmp(p, ": pass", 6) != 0 && pyjobs[i].want[0])
				diag("dkimpy %s: %s", pyjobs[i].label, p + 2);
		}
		pclose(fp);
	}
	free(cmd);
	for (i = 0; i < npy; i++)
		ok(nsig[i] == 2 && got[i][0] == pyjobs[i].want[0] &&
		    got[i][1] == pyjobs[i].want[1], "dkimpy %s: rsa %s, "
		    "ed25519 %s", pyjobs[i].label, got[i][0] ? "pass" : "fail",
		    got[i][1] ? "pass" : "fail");
}

static void
cleanup(void)
{
	char	 path[128];
	size_t	 i;

	for (i = 0; i < npy; i++) {
		snprintf(path, sizeof(path), "%s/m%03zu", tmpdir, i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/dns", tmpdir);
	unlink(path);
	rmdir(tmpdir);
}

/* ---- CPU per message (a diag, not a test) --------------------------- */

static double
cpu_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void
timing(void)
{
	static char	 body[4096];
	struct msg	 m;
	struct dsig	*s;
	char		*v[2], err[256];
	double		 t0, t1, t2;
	size_t		 i, j, k, n = 300;

	for (i = 0; i < sizeof(body); i++)
		body[i] = i % 72 == 70 ? '\r' : i % 72 == 71 ? '\n' :
		    "The quick brown fox jumps over the lazy dog. "[i % 45];
	msg_load(&m, &cases[0], NULL, 0);
	t0 = cpu_us();
	for (k = t1 = t2 = 0; k < n; k++) {
		double a = cpu_us(), b;

		s = dsig_new(1, 1);
		for (j = 0; j < m.nh; j++)
			dsig_header(s, m.h[j].name, m.h[j].value);
		dsig_body(s, (const unsigned char *)body, sizeof(body));
		dsig_finish_body(s);
		b = cpu_us();
		t1 += b - a;
		dsig_sign(s, rsa_key, DOMAIN, "rsa", sign_list, NSIGN,
		    over_list, NOVER, TS, &v[0], err, sizeof(err));
		a = cpu_us();
		t2 += a - b;
		dsig_sign(s, ed_key, DOMAIN, "ed", sign_list, NSIGN,
		    over_list, NOVER, TS, &v[1], err, sizeof(err));
		free(v[0]);
		free(v[1]);
		dsig_free(s);
	}
	t0 = cpu_us() - t0;
	diag("CPU per 4 KB message, dual RSA-2048 + Ed25519: %.1f us "
	    "(headers+body %.1f, RSA signature %.1f, Ed25519 %.1f; %zu runs)",
	    t0 / n, t1 / n, t2 / n, (t0 - t1 - t2) / n, n);
}

int
main(void)
{
	const char	*td = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/dkimsign.XXXXXX",
	    td && *td && strlen(td) < 40 ? td : "/tmp");
	if (make_keys() < 0 || mkdtemp(tmpdir) == NULL ||
	    (odkim = dkim_init(NULL, NULL)) == NULL) {
		ok(0, "setup: keys, temporary directory, libopendkim");
		return done_testing();
	}
	dkim_set_key_lookup(odkim, key_lookup);
	have_dkimpy = system("/usr/bin/python3 -c 'import dkim' "
	    ">/dev/null 2>&1") == 0;

	sign_matrix();
	tamper();
	big_body();
	h_lists();
	errors();
	pooled();
	if (have_dkimpy)
		run_dkimpy();
	else
		ok(1, "# skip /usr/bin/python3 has no dkim module (dkimpy)");
	cleanup();
	timing();

	dkim_close(odkim);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ed_key);
	return done_testing();
}
