/*
 * outpostctl verify [--key SEL._domainkey.DOMAIN=FILE]... [FILE|-]... --
 * the compliance check of stored messages: every DKIM signature verified
 * (lib/dkimverify.h) against DNS (lib/dns: dns_nameserver, dns_timeout)
 * or against a key given with --key (msgkey.c), and DMARC for the From
 * domain (lib/dmarc.h) with no SPF data: SPF counts as none, so the DMARC
 * result rests on DKIM alone.  Standard input when no FILE or FILE "-".
 *
 * A file passes when one of its signatures passes and its d= is aligned
 * with the From domain as adkim= of the governing DMARC record says
 * (relaxed when no record governs the domain or DNS gave no answer).
 * Exit status: 0 every file passes; 1 some file does not (or the resolver
 * could not start); 2 usage errors, a --key that cannot be used, or a
 * file that cannot be read (the others are still checked and printed).
 * What is printed: msgprint.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ctl.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "dns.h"
#include "json.h"
#include "spfhelper.h"
#include "xmalloc.h"

struct mrun {
	struct ctl		*ctl;
	struct mkeys		 keys;
	struct dmarc_env	 env;
	struct json		*j;
};

static void
oom(void)
{
	fputs("outpostctl: out of memory\n", stderr);
	exit(EXIT_REFUSED);
}

static int
on_header(void *arg, const char *name, const char *value)
{
	struct mfile	*f = arg;

	if (strcasecmp(name, "From") == 0 && f->nfrom++ < MFILE_FROM_MAX)
		f->from[f->nfrom - 1] = xstrdup(value);
	return dkimv_header(f->v, name, value);
}

static int
on_body(void *arg, const char *buf, size_t len)
{
	struct mfile	*f = arg;

	return dkimv_body(f->v, (const unsigned char *)buf, len);
}

/* The message of fp through the parser into f->v; 0, or -1 (f->error). */
static int
read_message(struct mfile *f, FILE *fp)
{
	struct msgp	*m;
	char		 buf[65536];
	size_t		 n;
	int		 rc = 0;

	if ((m = msgp_new(on_header, on_body, f)) == NULL)
		oom();
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		if (msgp_feed(m, buf, n) < 0)
			oom();
	if (ferror(fp)) {
		snprintf(f->error, sizeof(f->error), "read error: %s",
		    strerror(errno));
		rc = -1;
	} else if (msgp_finish(m) < 0 || dkimv_finish_body(f->v) < 0)
		oom();
	msgp_free(m);
	return rc;
}

/* f->pol and f->strict: the DMARC record governing the From domain. */
static void
lookup_policy(struct mrun *r, struct mfile *f)
{
	f->pol_rc = -1;
	if (!f->from_ok)
		return;
	f->pol_rc = dmarc_policy_lookup(&r->env, f->from_domain, &f->pol,
	    f->pol_err, sizeof(f->pol_err));
	f->strict = f->pol_rc == 0 && f->pol.found && f->pol.rec.adkim_strict;
}

/* f->ev: the DMARC result, DKIM alone (spf none, no SPF identity). */
static void
evaluate(struct mrun *r, struct mfile *f)
{
	struct dmarc_dkim_in	*in;
	struct dmarc_eval_in	 ei;
	const struct dkimv_result *res;
	size_t			 i, n = dkimv_count(f->v);

	f->ev_rc = -1;
	if (!f->from_ok || f->pol_rc != 0)
		return;
	in = xcalloc(n + 1, sizeof(*in));
	for (i = 0; i < n; i++) {
		res = dkimv_result(f->v, i);
		in[i].domain = res->domain;
		in[i].status = res->status;
	}
	memset(&ei, 0, sizeof(ei));
	ei.from_domain = f->from_domain;
	ei.dkim = in, ei.ndkim = n;
	ei.spf_domain = NULL, ei.spf = SPFR_NONE;
	ei.policy = &f->pol;
	f->ev_rc = dmarc_evaluate(&r->env, &ei, &f->ev, f->ev_err,
	    sizeof(f->ev_err));
	free(in);
}

/* The verdict: a passing signature aligned with From under f->strict. */
static void
align(struct mrun *r, struct mfile *f)
{
	const struct dkimv_result *res;
	size_t		 i, n = dkimv_count(f->v);
	char		 err[256];
	int		 a;

	f->aligned = xcalloc(n + 1, 1);
	f->pass_i = n;
	for (i = 0; i < n; i++) {
		res = dkimv_result(f->v, i);
		f->aligned[i] = -2;
		if (res->status != DKIMV_PASS || !f->from_ok ||
		    res->domain[0] == '\0')
			continue;
		if (f->pol_rc == 0)
			a = dmarc_aligned_org(&r->env, f->from_domain,
			    f->pol.org_domain, res->domain, f->strict, err,
			    sizeof(err));
		else
			a = dmarc_aligned(&r->env, f->from_domain, res->domain,
			    0, err, sizeof(err));
		f->aligned[i] = (signed char)a;
		if (a == 1 && !f->pass) {
			f->pass = 1;
			f->pass_i = i;
		}
	}
}

/* Every check of one message read from fp. */
static void
check(struct mrun *r, struct mfile *f, FILE *fp)
{
	if ((f->v = dkimv_new((size_t)r->ctl->conf.max_signatures)) == NULL)
		oom();
	if (read_message(f, fp) < 0)
		return;
	if (dkimv_verify(f->v, mkeys_txt, &r->keys, time(NULL)) < 0) {
		fprintf(stderr, "outpostctl: verify: %s: DKIM verification "
		    "failed (out of memory or a libcrypto error)\n", f->name);
		exit(EXIT_REFUSED);
	}
	f->from_ok = dmarc_author_domain((const char *const *)f->from,
	    f->nfrom < MFILE_FROM_MAX ? f->nfrom : MFILE_FROM_MAX,
	    f->from_domain, sizeof(f->from_domain), f->from_why,
	    sizeof(f->from_why)) == 0;
	lookup_policy(r, f);
	evaluate(r, f);
	align(r, f);
}

static void
mfile_clear(struct mfile *f)
{
	size_t	 i;

	for (i = 0; i < MFILE_FROM_MAX && i < f->nfrom; i++)
		free(f->from[i]);
	free(f->aligned);
	f->v = dkimv_free(f->v);
}

/* One file: checked and printed; its exit status. */
static int
one_file(struct mrun *r, const char *path)
{
	struct mfile	 f;
	FILE		*fp;
	int		 rc;

	memset(&f, 0, sizeof(f));
	f.name = strcmp(path, "-") == 0 ? "stdin" : path;
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL)
		snprintf(f.error, sizeof(f.error), "cannot open: %s",
		    strerror(errno));
	if (f.error[0] == '\0') {
		check(r, &f, fp);
		if (fp != stdin)
			fclose(fp);
	}
	if (f.error[0] != '\0')
		fprintf(stderr, "outpostctl: verify: %s: %s\n", f.name,
		    f.error);
	if (r->j != NULL)
		mfile_json(r->j, &f, &r->keys);
	else if (f.error[0] == '\0')
		mfile_print(&f, &r->keys);
	rc = f.error[0] != '\0' ? EXIT_USAGE : f.pass ? EXIT_OK : EXIT_REFUSED;
	mfile_clear(&f);
	return rc;
}

/* --key options unused by every signature: said, not an error. */
static void
unused_keys(struct mkeys *ks)
{
	size_t	 i;

	for (i = 0; i < ks->n; i++)
		if (!ks->k[i].used)
			ctl_warn("verify: --key %s: no signature asked for this "
			    "key", ks->k[i].name);
}

/* The files in turn; the worst exit status (2 over 1 over 0). */
static int
run_files(struct mrun *r, struct ctl_opts *o)
{
	static char	*stdin_only[] = { "-" };
	char		**files = o->nargs ? o->args : stdin_only;
	int		 i, n = o->nargs ? o->nargs : 1, rc = EXIT_OK, frc;

	if (r->j != NULL) {
		json_obj_begin(r->j);
		json_key(r->j, "files");
		json_arr_begin(r->j);
	}
	for (i = 0; i < n; i++) {
		frc = one_file(r, files[i]);
		if (frc == EXIT_USAGE || (frc == EXIT_REFUSED && rc == EXIT_OK))
			rc = frc;
	}
	if (r->j != NULL) {
		json_arr_end(r->j);
		json_kv_bool(r->j, "ok", rc == EXIT_OK);
		json_kv_int(r->j, "exit", rc);
		json_obj_end(r->j);
	}
	return rc;
}

/* "-" given twice would read standard input twice: refused. */
static int
stdin_twice(struct ctl_opts *o)
{
	int	 i, n = 0;

	for (i = 0; i < o->nargs; i++)
		n += strcmp(o->args[i], "-") == 0;
	return n > 1;
}

int
msg_verify(struct ctl *ctl, struct ctl_opts *o)
{
	struct mrun	 r;
	char		 err[512];
	int		 rc;

	memset(&r, 0, sizeof(r));
	r.ctl = ctl;
	if (stdin_twice(o))
		return ctl_bad_usage("verify: \"-\" (standard input) given "
		    "more than once");
	if (mkeys_load(&r.keys, o->keys, o->nkeys, err, sizeof(err)) < 0) {
		mkeys_free(&r.keys);
		fprintf(stderr, "outpostctl: verify: %s\n", err);
		return EXIT_USAGE;
	}
	if ((r.keys.dns = dns_new(&ctl->conf, err, sizeof(err))) == NULL) {
		mkeys_free(&r.keys);
		return ctl_refuse(ctl, "resolver: %s", err);
	}
	if (dmarc_env_dns(&r.env, r.keys.dns, ctl->conf.dmarc_org_domain, err,
	    sizeof(err)) < 0) {
		rc = ctl_refuse(ctl, "%s", err);
	} else {
		if (ctl->json)
			r.j = ctl_json_open(ctl);
		rc = run_files(&r, o);
		unused_keys(&r.keys);
		if (r.j != NULL && ctl_json_close(ctl, r.j) != EXIT_OK)
			rc = EXIT_REFUSED;
	}
	r.keys.dns = dns_free(r.keys.dns);
	mkeys_free(&r.keys);
	return rc;
}
