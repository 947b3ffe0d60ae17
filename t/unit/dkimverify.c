/*
 * Unit test of lib/dkimverify, judged against implementations we did not
 * write.  The key callback is an in-memory table (dkimv_verify's real
 * interface: the milter passes lib/dns's dns_txt the same way).
 *  1. The corpus in t/unit/dkimverify/ (signed by dkimpy, made by its
 *     gen.py; cases.txt holds the expected result of every signature):
 *     our results, fed whole and byte by byte; then each verdict
 *     compared with dkimpy's (t/lib/verify-dkimpy.py) and libopendkim's
 *     (dkim_verify with a key-lookup callback), pass against not pass.
 *     Where they legitimately disagree (the table exceptions[] below,
 *     asserting what each of them says), ours is the RFC answer:
 *       rsa-sha1    dkimpy and libopendkim pass it; RFC 8301 3.1: rsa-sha1
 *                   must not be considered valid: policy.
 *       k-mismatch  libopendkim passes an RSA signature under a key record
 *                   of k=ed25519 (it ignores k=); RFC 6376 6.1.2: a key
 *                   unsuitable for a= and k= is a permanent failure.
 *       pkcs1-key   libopendkim reads only SubjectPublicKeyInfo; RFC 6376
 *                   3.3.1 names the RSAPublicKey form, dkimpy and we
 *                   accept both: pass.
 *       garbage-sig libopendkim gives up on the whole message at a
 *                   malformed DKIM-Signature (no opinion on the other).
 *       dns-error   neither can say "temporary" through these hooks
 *                   (dkimpy gets the odd TXT, libopendkim NOTFOUND): both
 *                   do not pass, ours is temperror (RFC 6376 6.1.2).
 *  2. max_signatures, a thousand signatures, one lookup per key, an
 *     oversized header block, a signature after the body.
 *  3. Signatures by our own signer (milter/dkimsign) verify, RSA and
 *     Ed25519, in all four c= modes; a changed body fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <dkim.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "../../lib/conf.h"
#include "../../lib/dkimverify.h"
#include "../../lib/dns.h"
#include "../../milter/dkimsign.h"
#include "../tap.h"

#define MAXKEYS	32

struct keytab {
	size_t		 n;
	char		*name[MAXKEYS], *txt[MAXKEYS];
	int		 asked;
};

static char	 dir[512];
static struct keytab corpus_keys;
static struct keytab *odkim_keys;

/* ---- the key table --------------------------------------------------- */

static int
key_add(struct keytab *k, const char *name, const char *txt)
{
	if (k->n == MAXKEYS)
		return -1;
	k->name[k->n] = strdup(name);
	k->txt[k->n++] = strdup(txt);
	return 0;
}

static void
key_free(struct keytab *k)
{
	while (k->n > 0) {
		k->n--;
		free(k->name[k->n]);
		free(k->txt[k->n]);
	}
}

static const char *
key_find(const struct keytab *k, const char *name)
{
	size_t	 i;

	for (i = 0; i < k->n; i++)
		if (strcasecmp(k->name[i], name) == 0)
			return k->txt[i];
	return NULL;
}

/* dkimv_txt_fn: "!SERVFAIL" is a failed lookup, a missing name NXDOMAIN. */
static int
txt_cb(void *arg, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	struct keytab	*k = arg;
	const char	*t = key_find(k, name);

	k->asked++;
	if (t == NULL)
		return DNS_NXDOMAIN;
	if (strcmp(t, "!SERVFAIL") == 0) {
		snprintf(err, errlen, "SERVFAIL");
		return DNS_ERROR;
	}
	out->v = calloc(1, sizeof(char *));
	out->v[0] = strdup(t);
	out->n = 1;
	return DNS_OK;
}

static void
load_dns(void)
{
	char	 path[600], line[4096], *tab;
	FILE	*fp;

	snprintf(path, sizeof(path), "%s/dns.txt", dir);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab = '\0';
		key_add(&corpus_keys, line, tab + 1);
	}
	fclose(fp);
}

/* ---- messages -------------------------------------------------------- */

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp = fopen(path, "rb");
	char	*p;
	long	 n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	p = malloc((size_t)n + 1);
	*len = fread(p, 1, (size_t)n, fp);
	p[*len] = '\0';
	fclose(fp);
	return p;
}

/* Feeds a CRLF message: fields split at the colon, then the body in
 * chunks of step bytes (0: whole).  Returns the verifier, verified. */
static struct dkimv *
run(const char *msg, size_t len, size_t max, size_t step, struct keytab *k)
{
	struct dkimv	*v = dkimv_new(max);
	const char	*p = msg, *e = msg + len, *end, *colon;
	char		*name, *val;
	size_t		 i, n;

	while (p < e && !(p[0] == '\r' && p[1] == '\n')) {
		for (end = p; (end = strstr(end, "\r\n")) != NULL &&
		    (end[2] == ' ' || end[2] == '\t'); end += 2)
			;
		colon = memchr(p, ':', (size_t)(end - p));
		name = strndup(p, (size_t)(colon - p));
		val = strndup(colon + 1, (size_t)(end - colon - 1));
		dkimv_header(v, name, val);
		free(name);
		free(val);
		p = end + 2;
	}
	p += 2;
	for (i = 0; p + i < e; i += n) {
		n = step == 0 || (size_t)(e - p) - i < step ?
		    (size_t)(e - p) - i : step;
		dkimv_body(v, (const unsigned char *)p + i, n);
	}
	dkimv_finish_body(v);
	dkimv_verify(v, txt_cb, k, time(NULL));
	return v;
}

/* "pass,fail+testing..." of every entry. */
static void
verdicts(const struct dkimv *v, char *out, size_t len)
{
	const struct dkimv_result	*r;
	size_t				 i, n = 0;

	out[0] = '\0';
	for (i = 0; i < dkimv_count(v) && n < len; i++) {
		r = dkimv_result(v, i);
		n += (size_t)snprintf(out + n, len - n, "%s%s%s", i ? "," : "",
		    dkimv_status_name(r->status), r->testing ? "+testing" : "");
	}
}

/* ---- the other verifiers --------------------------------------------- */

static DKIM_CBSTAT
odkim_lookup(DKIM *d, DKIM_SIGINFO *sig, unsigned char *buf, size_t len)
{
	char		 name[600];
	const char	*t;

	(void)d;
	snprintf(name, sizeof(name), "%s._domainkey.%s",
	    dkim_sig_getselector(sig), dkim_sig_getdomain(sig));
	if ((t = key_find(odkim_keys, name)) == NULL ||
	    strcmp(t, "!SERVFAIL") == 0)
		return DKIM_CBSTAT_NOTFOUND;
	snprintf((char *)buf, len, "%s", t);
	return DKIM_CBSTAT_CONTINUE;
}

/* libopendkim: "P" or "-" per signature, top first. */
static void
odkim(DKIM_LIB *lib, const char *msg, size_t len, char *out)
{
	DKIM_SIGINFO	**sigs;
	DKIM_STAT	 st;
	DKIM		*d;
	int		 i, n = 0;

	out[0] = '\0';
	if ((d = dkim_verify(lib, (const unsigned char *)"t", NULL, &st)) ==
	    NULL)
		return;
	dkim_chunk(d, (unsigned char *)msg, len);
	dkim_chunk(d, NULL, 0);
	dkim_eom(d, NULL);
	if (dkim_getsiglist(d, &sigs, &n) == DKIM_STAT_OK)
		for (i = 0; i < n && i < 15; i++)
			out[i] = DKIM_SIG_CHECK(sigs[i]) ? 'P' : '-';
	out[n < 15 ? n : 15] = '\0';
	dkim_free(d);
}

/* dkimpy: "P" or "-" per signature, top first; "" when not run. */
static void
dkimpy(const char *eml, char *out)
{
	char	 cmd[2400], line[1024];
	FILE	*fp;
	size_t	 n = 0;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/../../lib/"
	    "verify-dkimpy.py --short %s %s/dns.txt 2>/dev/null", dir, eml,
	    dir);
	if ((fp = popen(cmd, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL && n < 15)
		out[n++] = strncmp(line, "pass", 4) == 0 ? 'P' : '-';
	out[n] = '\0';
	pclose(fp);
}

/* Our verdicts as "P"/"-"; the documented exceptions marked. */
static void
ours_pp(const char *want, char *out)
{
	size_t	 n = 0;

	for (; *want; n++) {
		out[n] = strncmp(want, "pass", 4) == 0 ? 'P' : '-';
		want += strcspn(want, ",");
		want += *want == ',';
	}
	out[n] = '\0';
}

/* What the others say where they differ from us: "P" pass, "-" not. */
static const struct { const char *name, *odkim, *dkimpy; } exceptions[] = {
	{ "rsa-sha1", "P", "P" },
	{ "k-mismatch", "P", "-" },
	{ "pkcs1-key", "-", "P" },
	{ "garbage-sig", "", "-P" },
};

static int
exception(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(exceptions) / sizeof(exceptions[0]); i++)
		if (strcmp(exceptions[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
corpus(DKIM_LIB *lib, int have_dkimpy)
{
	char		 path[1024], line[256], got[256], got1[256], pp[16];
	char		 od[16], py[16], *tab, *msg;
	size_t		 len;
	FILE		*fp;
	struct dkimv	*v;
	int		 exc;

	snprintf(path, sizeof(path), "%s/cases.txt", dir);
	if ((fp = fopen(path, "r")) == NULL) {
		ok(0, "corpus %s", path);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((tab = strchr(line, '\t')) == NULL)
			continue;
		*tab++ = '\0';
		snprintf(path, sizeof(path), "%s/%s.eml", dir, line);
		if ((msg = slurp(path, &len)) == NULL) {
			ok(0, "read %s", path);
			continue;
		}
		v = run(msg, len, 8, 0, &corpus_keys);
		verdicts(v, got, sizeof(got));
		dkimv_free(v);
		v = run(msg, len, 8, 1, &corpus_keys);
		verdicts(v, got1, sizeof(got1));
		dkimv_free(v);
		is_str(got, tab, line);
		is_str(got1, tab, "... body byte by byte");
		exc = exception(line);
		ours_pp(tab, pp);
		odkim(lib, msg, len, od);
		is_str(od, exc < 0 ? pp : exceptions[exc].odkim, exc < 0 ?
		    "... libopendkim agrees" : "... libopendkim differs, as "
		    "documented");
		if (have_dkimpy) {
			dkimpy(path, py);
			is_str(py, exc < 0 ? pp : exceptions[exc].dkimpy, exc < 0 ?
			    "... dkimpy agrees" : "... dkimpy as documented");
		}
		free(msg);
	}
	fclose(fp);
}

/* ---- limits ---------------------------------------------------------- */

static char *
corpus_msg(const char *name, size_t *len)
{
	char	 path[700];

	snprintf(path, sizeof(path), "%s/%s.eml", dir, name);
	return slurp(path, len);
}

static void
limits(void)
{
	const struct dkimv_result	*r;
	struct dkimv			*v;
	char				*m, *big, got[64];
	size_t				 len, i, sl, n = 0, pol = 0;

	m = corpus_msg("two-sigs", &len);
	v = run(m, len, 1, 0, &corpus_keys);
	verdicts(v, got, sizeof(got));
	is_str(got, "pass,policy", "max_signatures 1: the second not checked");
	r = dkimv_result(v, 1);
	ok(r && !r->verified && strstr(r->why, "more than 1") &&
	    strcmp(r->domain, "example.com") == 0 && r->selector[0] == 'r',
	    "... listed with its d= and s=, reason \"%s\"", r ? r->why : "");
	ok(dkimv_result(v, 2) == NULL, "... two entries");
	dkimv_free(v);
	free(m);

	/* A thousand copies of one good signature on top. */
	m = corpus_msg("rsa-relaxed", &len);
	sl = (size_t)(strstr(m, "\r\nFrom:") - m) + 2;
	big = malloc(1000 * sl + len + 1);
	for (i = 0; i < 1000; i++)
		memcpy(big + i * sl, m, sl);
	memcpy(big + 1000 * sl, m, len);
	corpus_keys.asked = 0;
	v = run(big, 1000 * sl + len, 8, 0, &corpus_keys);
	for (i = 0; i < dkimv_count(v); i++) {
		n += dkimv_result(v, i)->status == DKIMV_PASS;
		pol += dkimv_result(v, i)->status == DKIMV_POLICY;
	}
	ok(dkimv_count(v) == 1001 && n == 8 && pol == 993,
	    "1001 signatures: 8 verified and pass, 993 policy (%zu/%zu)", n,
	    pol);
	is_int(corpus_keys.asked, 1, "... one key lookup for one key");
	dkimv_free(v);
	free(big);

	/* 5 MB of headers: over DKIMV_HEADER_BYTES. */
	v = dkimv_new(8);
	big = malloc(1000001);
	memset(big, 'x', 1000000);
	big[1000000] = '\0';
	for (i = 0; i < 5; i++)
		dkimv_header(v, "X-Big", big);
	m[sl - 2] = '\0';	/* the first field alone */
	dkimv_header(v, "DKIM-Signature", strchr(m, ':') + 1);
	dkimv_finish_body(v);
	dkimv_verify(v, txt_cb, &corpus_keys, time(NULL));
	r = dkimv_result(v, 0);
	ok(r && r->status == DKIMV_PERMERROR && strstr(r->why, "header block"),
	    "5 MB header block: permerror \"%s\"", r ? r->why : "");
	ok(dkimv_header(v, "DKIM-Signature", " v=1") == -1,
	    "a field after the body: -1");
	dkimv_free(v);
	free(big);
	free(m);

	v = dkimv_new(8);
	dkimv_header(v, "DKIM-Signature", " v=1; a=rsa-sha256; d=Example.COM;"
	    " s=sel; b=; bh=; h=from");
	r = dkimv_result(v, 0);
	ok(r && r->status == DKIMV_PERMERROR &&
	    strcmp(r->domain, "example.com") == 0 &&
	    strcmp(r->selector, "sel") == 0 && strstr(r->why, "b="),
	    "malformed: permerror with d= and s= (\"%s\")", r ? r->why : "");
	dkimv_free(v);
}

/* ---- our own signer -------------------------------------------------- */

static void
own_signer(void)
{
	static const char *const hl[] = { "from", "to", "subject" };
	EVP_PKEY	*key[2];
	struct keytab	 k = { 0 };
	unsigned char	 der[600], *q, raw[32];
	char		 b[900], rec[1000], *val[2], err[128], got[64], name[16];
	size_t		 rl = 32;
	struct dkimv	*v;
	struct dsig	*s;
	int		 c, i, n;

	key[0] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	key[1] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	q = der;
	n = i2d_PUBKEY(key[0], &q);
	EVP_EncodeBlock((unsigned char *)b, der, n);
	snprintf(rec, sizeof(rec), "v=DKIM1; p=%s", b);
	key_add(&k, "r0._domainkey.own.example", rec);
	EVP_PKEY_get_raw_public_key(key[1], raw, &rl);
	EVP_EncodeBlock((unsigned char *)b, raw, 32);
	snprintf(rec, sizeof(rec), "v=DKIM1; k=ed25519; p=%s", b);
	key_add(&k, "r1._domainkey.own.example", rec);
	for (c = 0; c < 4; c++) {
		s = dsig_new(c & 1, c >> 1);
		dsig_header(s, "From", " Alice <a@own.example>");
		dsig_header(s, "To", " b@example.org,\r\n\tc@example.org");
		dsig_header(s, "Subject", "  Hi  there ");
		dsig_body(s, (const unsigned char *)"a  b \r\n\r\n", 9);
		dsig_finish_body(s);
		for (i = 0; i < 2; i++) {
			snprintf(name, sizeof(name), "r%d", i);
			dsig_sign(s, key[i], "own.example", name, hl, 3, hl, 3,
			    (long long)time(NULL), &val[i], err, sizeof(err));
		}
		for (n = 0; n < 2; n++) {
			v = dkimv_new(8);
			for (i = 0; i < 2; i++) {
				snprintf(b, sizeof(b), " %s", val[i]);
				dkimv_header(v, "DKIM-Signature", b);
			}
			dkimv_header(v, "From", " Alice <a@own.example>");
			dkimv_header(v, "To", " b@example.org,\r\n\tc@example.org");
			dkimv_header(v, "Subject", "  Hi  there ");
			dkimv_body(v, (const unsigned char *)(n ? "a  B \r\n" :
			    "a  b \r\n\r\n"), n ? 7 : 9);
			dkimv_verify(v, txt_cb, &k, time(NULL));
			verdicts(v, got, sizeof(got));
			is_str(got, n ? "fail,fail" : "pass,pass", n ?
			    "own signer, body changed: fail" :
			    "own signer: RSA and Ed25519 pass");
			dkimv_free(v);
		}
		diag("c=%s/%s", c & 1 ? "relaxed" : "simple",
		    c >> 1 ? "relaxed" : "simple");
		free(val[0]);
		free(val[1]);
		dsig_free(s);
	}
	EVP_PKEY_free(key[0]);
	EVP_PKEY_free(key[1]);
	key_free(&k);
}

int
main(int argc, char **argv)
{
	const char	*slash = strrchr(argv[0], '/');
	DKIM_LIB	*lib;
	int		 have_dkimpy;

	(void)argc;
	snprintf(dir, sizeof(dir), "%.*s/dkimverify",
	    slash ? (int)(slash - argv[0]) : 1, slash ? argv[0] : ".");
	load_dns();
	ok(corpus_keys.n > 5, "key table %s/dns.txt", dir);
	if ((lib = dkim_init(NULL, NULL)) == NULL)
		return done_testing();
	dkim_set_key_lookup(lib, odkim_lookup);
	odkim_keys = &corpus_keys;
	have_dkimpy = system("/usr/bin/python3 -c 'import dkim' "
	    ">/dev/null 2>&1") == 0;
	if (!have_dkimpy)
		ok(1, "# skip /usr/bin/python3 has no dkim module (dkimpy)");
	corpus(lib, have_dkimpy);
	limits();
	own_signer();
	dkim_close(lib);
	key_free(&corpus_keys);
	return done_testing();
}
