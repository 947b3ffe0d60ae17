/*
 * outpostctl domain verify -- the checks themselves: what DNS publishes
 * for a domain against what it should publish (ctl.h, "verify").
 *
 *   DKIM   one check per active selector: SEL._domainkey.DOMAIN must hold
 *          a DKIM key record whose k= is the key file's algorithm and
 *          whose p= is that key's public key (the TXT value domain add
 *          prints).  ok / wrong / missing / DNS error.
 *   SPF    the v=spf1 record of DOMAIN; with relay_addresses, each address
 *          evaluated as a receiver would (verify_spf.c) must give pass.
 *          Without relay_addresses: "not checked".  SPF does not decide
 *          the verified state.
 *   DMARC  the record that governs DOMAIN (its own or its organisational
 *          domain's, lib/dmarc.h) and its policy.
 *
 * Every lookup goes through lib/dns (dns_nameserver, dns_timeout): a
 * timeout or SERVFAIL is "DNS error", never "missing".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "dkimkey.h"
#include "dmarc.h"
#include "dns.h"

int
vctx_init(struct vctx *v, struct ctl *ctl)
{
	char	 err[512];

	memset(v, 0, sizeof(*v));
	if (dom_init(&v->dom, ctl, 0) != 0)
		return EXIT_REFUSED;
	if ((v->dns = dns_new(&ctl->conf, err, sizeof(err))) == NULL)
		return ctl_refuse(ctl, "resolver: %s", err);
	if (dmarc_env_dns(&v->env, v->dns, ctl->conf.dmarc_org_domain, err,
	    sizeof(err)) < 0) {
		v->dns = dns_free(v->dns);
		return ctl_refuse(ctl, "%s", err);
	}
	return 0;
}

void
vctx_free(struct vctx *v)
{
	v->dns = dns_free(v->dns);
	vspf_close(v);
}

/* A new check line of d; NULL when the table is full. */
static struct vcheck *
add_check(struct vdomain *d, const char *what, const char *subject)
{
	struct vcheck	*c;

	if (d->n == VERIFY_MAXCHECKS)
		return NULL;
	c = &d->c[d->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->what, sizeof(c->what), "%s", what);
	snprintf(c->subject, sizeof(c->subject), "%s", subject);
	return c;
}

static void
set(struct vcheck *c, int verdict, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set(struct vcheck *c, int verdict, const char *fmt, ...)
{
	va_list	 ap;

	c->verdict = verdict;
	va_start(ap, fmt);
	vsnprintf(c->found, sizeof(c->found), fmt, ap);
	va_end(ap);
}

/*
 * The value of tag in a DKIM key record ("v=DKIM1; k=rsa; p=..."), white
 * space removed, into out; 1 found, 0 not (or too long).  Pure.
 */
int
vdkim_tag(const char *rec, const char *tag, char *out, size_t outlen)
{
	size_t	 tl = strlen(tag), n;
	const char *p = rec;

	if (outlen == 0)
		return 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (strncmp(p, tag, tl) == 0 && (p[tl] == '=' || p[tl] == ' ' ||
		    p[tl] == '\t')) {
			p += tl;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '=')
				return 0;
			for (p++, n = 0; *p != '\0' && *p != ';'; p++) {
				if (*p == ' ' || *p == '\t' || *p == '\r' ||
				    *p == '\n')
					continue;
				if (n + 1 >= outlen)
					return 0;
				out[n++] = *p;
			}
			out[n] = '\0';
			return 1;
		}
		while (*p != '\0' && *p != ';')
			p++;
	}
	return 0;
}

/* Compare one published DKIM record with the key; 1 match, else 0 with
 * why. */
static int
dkim_match(const char *rec, const char *want_k, const char *want_p,
    char *why, size_t len)
{
	char	 k[32], p[2048];

	if (!vdkim_tag(rec, "k", k, sizeof(k)))
		snprintf(k, sizeof(k), "rsa");		/* RFC 6376 default */
	if (!vdkim_tag(rec, "p", p, sizeof(p))) {
		snprintf(why, len, "a TXT record without p=");
		return 0;
	}
	if (p[0] == '\0') {
		snprintf(why, len, "p= is empty (the key is revoked)");
		return 0;
	}
	if (strcasecmp(k, want_k) != 0) {
		snprintf(why, len, "k=%s, but the key file is %s", k, want_k);
		return 0;
	}
	if (strcmp(p, want_p) != 0) {
		snprintf(why, len, "k=%s with the public key of another "
		    "private key", k);
		return 0;
	}
	return 1;
}

/* A TXT string that means to be a DKIM key record. */
static int
dkim_like(const char *rec)
{
	char	 p[4096];

	while (*rec == ' ' || *rec == '\t')
		rec++;
	return strncmp(rec, "v=DKIM1", 7) == 0 ||
	    vdkim_tag(rec, "p", p, sizeof(p));
}

static void
dkim_one(struct vctx *v, struct vdomain *d, const char *sel, EVP_PKEY *pk)
{
	struct strlist	 txt = { 0, NULL };
	struct vcheck	*c;
	const char	*alg = dkimkey_alg_name(dkimkey_alg(pk));
	char		 name[400], sub[96], err[256], why[256] = "";
	char		 want_p[2048], *want = NULL;
	size_t		 i, dkimlike = 0;
	int		 st;

	snprintf(sub, sizeof(sub), "%s (%s)", sel, alg);
	if ((c = add_check(d, "DKIM", sub)) == NULL)
		return;
	if (dkimkey_txt_value(pk, &want, err, sizeof(err)) < 0 ||
	    !vdkim_tag(want, "p", want_p, sizeof(want_p))) {
		set(c, V_WRONG, "cannot compute the public key: %s", err);
		free(want);
		return;
	}
	free(want);
	dkimkey_dns_record(pk, d->domain, sel, &c->publish, err, sizeof(err));
	snprintf(name, sizeof(name), "%s._domainkey.%s", sel, d->domain);
	st = dns_txt(v->dns, name, &txt, err, sizeof(err));
	if (st == DNS_ERROR) {
		set(c, V_DNSERR, "%s: %s", name, err);
		d->dnserr = 1;
		return;
	}
	for (i = 0; i < txt.n; i++) {
		if (!dkim_like(txt.v[i]))
			continue;
		dkimlike++;
		if (dkim_match(txt.v[i], alg, want_p, why, sizeof(why))) {
			set(c, V_OK, "%s publishes the public key of %s.key",
			    name, sel);
			d->dkim_ok = 1;
			strlist_free(&txt);
			return;
		}
	}
	strlist_free(&txt);
	if (dkimlike == 0)
		set(c, V_MISSING, "%s: %s", name, st == DNS_OK ?
		    "no DKIM key record among its TXT records" :
		    dns_status_name(st));
	else
		set(c, V_WRONG, "%s: %s", name, why);
}

void
vcheck_dkim(struct vctx *v, struct vdomain *d)
{
	struct dkimkey_loaded	 ld;
	struct vcheck		*c;
	char			 err[600];
	size_t			 i;
	int			 rc;

	memset(&ld, 0, sizeof(ld));
	if (dkimkey_path(err, sizeof(err), v->dom.dir, d->domain, NULL) < 0 ||
	    access(err, F_OK) < 0)
		rc = 0;			/* no folder: no keys */
	else
		rc = dkimkey_load_domain(v->dom.dir, d->domain, v->dom.owner,
		    v->dom.group, &ld, err, sizeof(err));
	if (rc <= 0 && (c = add_check(d, "DKIM", "-")) != NULL) {
		if (rc < 0)
			set(c, V_WRONG, "keys unusable: %s", err);
		else
			set(c, V_MISSING, "no active key in %s/%s (outpostctl "
			    "domain add %s)", v->dom.dir, d->domain, d->domain);
	}
	for (i = 0; rc > 0 && i < ld.n; i++)
		dkim_one(v, d, ld.k[i].sel, ld.k[i].pkey);
	dkimkey_loaded_clear(&ld);
}

/* The v=spf1 records among TXT strings: how many, the first in *rec. */
static size_t
spf_records(const struct strlist *txt, const char **rec)
{
	size_t	 i, n = 0;

	*rec = NULL;
	for (i = 0; i < txt->n; i++)
		if (strncasecmp(txt->v[i], "v=spf1", 6) == 0 &&
		    (txt->v[i][6] == '\0' || txt->v[i][6] == ' ')) {
			if (n++ == 0)
				*rec = txt->v[i];
		}
	return n;
}

/* "DOMAIN. IN TXT \"v=spf1 ip4:A ... REST\"": the relay addresses that
 * did not pass put in front of the published terms (or ~all). */
static char *
spf_publish(const char *domain, const char *rec, const char *add)
{
	const char	*rest = rec != NULL ? rec + 6 : " ~all";
	char		*out;

	while (*rest == ' ')
		rest++;
	if (asprintf(&out, "%s. IN TXT \"v=spf1%s %s\"", domain, add,
	    *rest ? rest : "~all") < 0)
		return NULL;
	return out;
}

/* Each relay address through the SPF evaluator; fills c. */
static void
spf_eval_all(struct vctx *v, struct vdomain *d, struct vcheck *c,
    const char *rec)
{
	const struct strlist	*ra = &v->dom.ctl->conf.relay_addresses;
	char			 res[32], err[256], add[1024] = "";
	char			 got[600] = "";
	size_t			 i;
	int			 bad = 0, dnserr = 0;

	for (i = 0; i < ra->n; i++) {
		if (vspf_eval(v, ra->v[i], d->domain, res, sizeof(res), err,
		    sizeof(err)) < 0) {
			set(c, V_UNCHECKED, "\"%s\": not evaluated: %s", rec,
			    err);
			return;
		}
		snprintf(got + strlen(got), sizeof(got) - strlen(got),
		    "%s%s %s", i ? ", " : "", ra->v[i], res);
		if (strcmp(res, "pass") == 0)
			continue;
		dnserr |= strcmp(res, "temperror") == 0;
		bad = 1;
		snprintf(add + strlen(add), sizeof(add) - strlen(add),
		    " %s:%s", strchr(ra->v[i], ':') ? "ip6" : "ip4", ra->v[i]);
	}
	if (!bad) {
		set(c, V_OK, "\"%s\": %s", rec, got);
		return;
	}
	set(c, dnserr ? V_DNSERR : V_WRONG, "\"%s\": %s", rec, got);
	if (!dnserr)
		c->publish = spf_publish(d->domain, rec, add);
}

void
vcheck_spf(struct vctx *v, struct vdomain *d)
{
	const struct strlist	*ra = &v->dom.ctl->conf.relay_addresses;
	struct strlist		 txt = { 0, NULL };
	struct vcheck		*c;
	const char		*rec;
	char			 err[256], add[1024] = "";
	size_t			 n, i;
	int			 st;

	if ((c = add_check(d, "SPF", "-")) == NULL)
		return;
	if ((st = dns_txt(v->dns, d->domain, &txt, err, sizeof(err))) ==
	    DNS_ERROR) {
		set(c, V_DNSERR, "%s: %s", d->domain, err);
		return;
	}
	n = spf_records(&txt, &rec);
	if (n > 1)
		set(c, V_WRONG, "%zu v=spf1 records (receivers: permerror); "
		    "publish one", n);
	else if (ra->n == 0)
		set(c, V_UNCHECKED, "%s%s%s; relay_addresses is empty: not "
		    "checked", rec ? "\"" : "", rec ? rec : "no SPF record",
		    rec ? "\"" : "");
	else if (n == 0) {
		for (i = 0; i < ra->n; i++)
			snprintf(add + strlen(add), sizeof(add) - strlen(add),
			    " %s:%s", strchr(ra->v[i], ':') ? "ip6" : "ip4",
			    ra->v[i]);
		set(c, V_MISSING, "%s: no SPF record (%s)", d->domain,
		    dns_status_name(st));
		c->publish = spf_publish(d->domain, NULL, add);
	} else
		spf_eval_all(v, d, c, rec);
	strlist_free(&txt);
}

void
vcheck_dmarc(struct vctx *v, struct vdomain *d)
{
	struct dmarc_lookup	 res;
	struct vcheck		*c;
	char			 err[512];

	if ((c = add_check(d, "DMARC", "-")) == NULL)
		return;
	if (dmarc_policy_lookup(&v->env, d->domain, &res, err,
	    sizeof(err)) < 0) {
		set(c, V_DNSERR, "%s", err);
		d->dnserr = 1;
		return;
	}
	if (!res.found) {
		set(c, V_MISSING, "no DMARC record at _dmarc.%s%s%s", d->domain,
		    strcmp(res.org_domain, d->domain) != 0 ? " nor at its "
		    "organisational domain " : "", strcmp(res.org_domain,
		    d->domain) != 0 ? res.org_domain : "");
		if (asprintf(&c->publish, "_dmarc.%s. IN TXT \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc-reports@%s\"", d->domain, d->domain) < 0)
			c->publish = NULL;
		return;
	}
	d->dmarc_ok = 1;
	snprintf(d->policy, sizeof(d->policy), "%s",
	    dmarc_policy_name(res.effective));
	set(c, V_OK, "%s=%s at _dmarc.%s%s%s%s", res.which == DMARC_USE_P ?
	    "p" : res.which == DMARC_USE_SP ? "sp" : "np",
	    dmarc_policy_name(res.policy), res.record_domain,
	    strcmp(res.record_domain, d->domain) != 0 ?
	    " (organisational domain)" : "", res.rec.testing ? ", t=y: "
	    "receivers apply " : "", res.rec.testing ?
	    dmarc_policy_name(res.effective) : "");
}
