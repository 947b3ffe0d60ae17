/*
 * Unit test of lib/dmarc: the record parser, the RFC 9989 tree walk and
 * the PSL walk against an in-memory DNS (the fixture below: a table of
 * TXT answers, a list of names that exist, a log of the queries made),
 * alignment, the prediction for outbound mail, and the evaluation of
 * received mail (the author domain from From fields, dmarc_evaluate).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "psl.h"
#include "spfhelper.h"
#include "../tap.h"

/* ---- the fake DNS ----------------------------------------------------- */

struct zrec {
	const char	*name;		/* queried name */
	int		 status;	/* enum dns_status */
	const char	*txt[3];	/* DNS_OK: the TXT strings */
};

static const struct zrec zone[] = {
	{ "_dmarc.example.com", DNS_OK, { "v=DMARC1; p=reject; "
	    "sp=quarantine; np=reject; rua=mailto:d@example.com" } },
	{ "_dmarc.own.example.com", DNS_OK, { "some other text",
	    "v=DMARC1; p=none" } },
	{ "_dmarc.example.co.uk", DNS_OK,
	    { "v=DMARC1; p=reject; adkim=s; aspf=s" } },
	{ "_dmarc.co.uk", DNS_OK, { "v=DMARC1; p=none; psd=y" } },
	{ "_dmarc.example.net", DNS_OK, { "v=DMARC1; p=reject" } },
	{ "_dmarc.corp.example.net", DNS_OK,
	    { "v=DMARC1; p=quarantine; psd=n" } },
	{ "_dmarc.bank", DNS_OK, { "v=DMARC1; p=reject; psd=y" } },
	{ "_dmarc.example.org", DNS_OK, { "v=DMARC1; p=quarantine" } },
	{ "_dmarc.multi.example.org", DNS_OK,
	    { "v=DMARC1; p=none", "v=DMARC1; p=reject" } },
	{ "_dmarc.twice.test", DNS_OK,
	    { "v=DMARC1; p=reject", "v=DMARC1; p=reject" } },
	{ "_dmarc.bad.example.org", DNS_OK, { "v=DMARC1; p=bogus" } },
	{ "_dmarc.broken.example.com", DNS_ERROR, { NULL } },
	{ "_dmarc.x.errabove.test", DNS_OK, { "v=DMARC1; p=reject" } },
	{ "_dmarc.errabove.test", DNS_ERROR, { NULL } },
	{ "_dmarc.testing.example", DNS_OK, { "v=DMARC1; p=reject; t=y" } },
	{ "_dmarc.soft.example", DNS_OK, { "v=DMARC1; p=quarantine; t=y" } },
	{ "_dmarc.nop.example", DNS_OK,
	    { "v=DMARC1; rua=mailto:r@nop.example" } },
	{ "_dmarc.test", DNS_NODATA, { NULL } },
};

/* Names that exist (for np=); "dnsfail.example.com" answers an error. */
static const char *const existing[] = {
	"example.com", "mail.example.com", "own.example.com", "example.net",
};

struct fakedns {
	int	 queries;
	char	 log[1024];	/* queried names, space-separated */
	int	 exists_calls;
};

static int
fake_txt(void *arg, const char *name, struct strlist *out, char *err,
    size_t errlen)
{
	struct fakedns	*f = arg;
	size_t		 i, k;

	f->queries++;
	if (strlen(f->log) + strlen(name) + 2 < sizeof(f->log)) {
		if (f->log[0] != '\0')
			strcat(f->log, " ");
		strcat(f->log, name);
	}
	out->n = 0;
	out->v = NULL;
	for (i = 0; i < sizeof(zone) / sizeof(zone[0]); i++) {
		if (strcmp(zone[i].name, name) != 0)
			continue;
		if (zone[i].status == DNS_ERROR) {
			snprintf(err, errlen, "SERVFAIL");
			return DNS_ERROR;
		}
		for (k = 0; k < 3 && zone[i].txt[k] != NULL; k++)
			;
		out->v = calloc(k, sizeof(char *));
		for (out->n = 0; out->n < k; out->n++)
			out->v[out->n] = strdup(zone[i].txt[out->n]);
		return zone[i].status;
	}
	return DNS_NXDOMAIN;
}

static int
fake_exists(void *arg, const char *name, char *err, size_t errlen)
{
	struct fakedns	*f = arg;
	size_t		 i;

	f->exists_calls++;
	if (strcmp(name, "dnsfail.example.com") == 0) {
		snprintf(err, errlen, "timed out");
		return DNS_ERROR;
	}
	for (i = 0; i < sizeof(existing) / sizeof(existing[0]); i++)
		if (strcmp(existing[i], name) == 0)
			return DNS_OK;
	return DNS_NXDOMAIN;
}

static struct fakedns	 fdns;
static struct dmarc_env	 walkenv = { fake_txt, fake_exists, &fdns,
			    ORG_TREEWALK, NULL };

static void
fake_reset(void)
{
	memset(&fdns, 0, sizeof(fdns));
}

/* ---- records ---------------------------------------------------------- */

struct rcase {
	const char	*txt;
	const char	*err;		/* NULL: valid */
	int		 p, sp, np, adkim_s, aspf_s, t, psd, pct;
	unsigned	 flags;
	const char	*rua;
	const char	*note;
};

/* An invalid record and its error. */
#define BAD(txt, err)	{ txt, err, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL }

static const struct rcase records[] = {
	{ "v=DMARC1; p=reject", NULL, DMARC_REJECT, -1, -1, 0, 0, 0,
	    DMARC_PSD_U, 100, 0, "", "" },
	{ "v=DMARC1;p=quarantine;sp=none;np=reject;adkim=s;aspf=s;t=y;"
	    "psd=n;pct=20;rua=mailto:a@x.example,mailto:b@y.example;",
	    NULL, DMARC_QUARANTINE, DMARC_NONE, DMARC_REJECT, 1, 1, 1,
	    DMARC_PSD_N, 20, 0, "mailto:a@x.example,mailto:b@y.example", "" },
	{ "  v = DMARC1 ;  P = Reject ; ADKIM = S ", NULL, DMARC_REJECT, -1,
	    -1, 1, 0, 0, DMARC_PSD_U, 100, 0, "", "" },
	{ "v=DMARC1; psd=y; p=none", NULL, DMARC_NONE, -1, -1, 0, 0, 0,
	    DMARC_PSD_Y, 100, 0, "", "" },
	{ "v=DMARC1; p=none; psd=u", NULL, DMARC_NONE, -1, -1, 0, 0, 0,
	    DMARC_PSD_U, 100, 0, "", "" },
	/* RFC 9989: no p= is p=none */
	{ "v=DMARC1; rua=mailto:r@x.example", NULL, DMARC_NONE, -1, -1, 0, 0,
	    0, DMARC_PSD_U, 100, DMARC_REC_NO_P, "mailto:r@x.example",
	    "no p=: taken as p=none" },
	{ "v=DMARC1", NULL, DMARC_NONE, -1, -1, 0, 0, 0, DMARC_PSD_U, 100,
	    DMARC_REC_NO_P, "", "no p=: taken as p=none" },
	/* bad p/sp/np with a valid rua: as p=none throughout */
	{ "v=DMARC1; p=rejectt; rua=mailto:r@x.example", NULL, DMARC_NONE, -1,
	    -1, 0, 0, 0, DMARC_PSD_U, 100, DMARC_REC_DOWNGRADED,
	    "mailto:r@x.example",
	    "invalid p= value 'rejectt': taken as p=none" },
	{ "v=DMARC1; p=reject; sp=quarantin; rua=mailto:r@x.example", NULL,
	    DMARC_NONE, -1, -1, 0, 0, 0, DMARC_PSD_U, 100,
	    DMARC_REC_DOWNGRADED, "mailto:r@x.example",
	    "invalid sp= value 'quarantin': taken as p=none" },
	/* other bad values are ignored, defaults kept, named in the note */
	{ "v=DMARC1; p=reject; adkim=x; pct=101; t=maybe; foo=bar", NULL,
	    DMARC_REJECT, -1, -1, 0, 0, 0, DMARC_PSD_U, 100, 0, "",
	    "invalid adkim= value 'x' ignored; invalid pct= value '101' "
	    "ignored; invalid t= value 'maybe' ignored; unknown tag 'foo' "
	    "ignored" },
	{ "v=DMARC1; p=none; fo=1; ri=86400; rf=afrf", NULL, DMARC_NONE, -1,
	    -1, 0, 0, 0, DMARC_PSD_U, 100, 0, "", "" },
	{ "v=DMARC1; p=none; rua=mailto:a@b\x01x", NULL, DMARC_NONE, -1, -1,
	    0, 0, 0, DMARC_PSD_U, 100, 0, "mailto:a@b?x", "" },
	/* invalid records */
	BAD("v=DMARC1; p=bogus", "invalid p= value 'bogus' (and no valid rua=)"),
	BAD("v=DMARC1; p=bogus; rua=nouri", "invalid p= value 'bogus' (and no "
	    "valid rua=)"),
	BAD("v=DMARC1; np=all; rua=:x", "invalid np= value 'all' (and no valid "
	    "rua=)"),
	BAD("p=reject; v=DMARC1", "not a DMARC record (must start with "
	    "v=DMARC1)"),
	BAD("v=dmarc1; p=reject", "not a DMARC record (must start with "
	    "v=DMARC1)"),
	BAD("v=DMARC2; p=reject", "not a DMARC record (must start with "
	    "v=DMARC1)"),
	BAD("v=spf1 -all", "not a DMARC record (must start with v=DMARC1)"),
	BAD("", "not a DMARC record (must start with v=DMARC1)"),
	BAD("v=DMARC1; p=reject; p=none", "tag 'p' appears twice"),
	BAD("v=DMARC1; p reject", "tag without '=': 'p reject'"),
	BAD("v=DMARC1; 1p=reject", "bad tag name in '1p=reject'"),
	BAD("v=DMARC1; =reject", "bad tag name in '=reject'"),
};

static void
test_records(void)
{
	struct dmarc_record	 r;
	char			 err[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(records) / sizeof(records[0]); i++) {
		const struct rcase *c = &records[i];
		err[0] = '\0';
		rc = dmarc_record_parse(c->txt, &r, err, sizeof(err));
		if (c->err != NULL) {
			is_int(rc, -1, tap_name(c->txt));
			is_str(err, c->err, "  error");
			continue;
		}
		if (!is_int(rc, 0, tap_name(c->txt))) {
			diag("error: %s", err);
			continue;
		}
		ok(r.p == c->p && r.sp == c->sp && r.np == c->np,
		    "  p=%d sp=%d np=%d", r.p, r.sp, r.np);
		ok(r.adkim_strict == c->adkim_s && r.aspf_strict == c->aspf_s &&
		    r.testing == c->t && r.psd == c->psd && r.pct == c->pct,
		    "  adkim %d aspf %d t %d psd %d pct %d", r.adkim_strict,
		    r.aspf_strict, r.testing, r.psd, r.pct);
		is_int(r.flags, c->flags, "  flags");
		is_str(r.rua, c->rua, "  rua");
		is_str(r.note, c->note, "  note");
	}
	ok(dmarc_record_is_dmarc("v=DMARC1"), "is_dmarc: bare v=DMARC1");
	ok(!dmarc_record_is_dmarc("v=DMARC10; p=none"), "is_dmarc: DMARC10");
	ok(!dmarc_record_is_dmarc(NULL), "is_dmarc: NULL");
}

/* ---- tree walk ---------------------------------------------------------- */

struct lcase {
	const char	*domain;
	int		 rc;		/* 0 / -1 */
	int		 found;
	const char	*record_domain;
	const char	*org;
	int		 which, policy, effective;
	const char	*log;		/* the queries, in order */
	const char	*errnote;	/* err (rc -1) or note */
};

static const struct lcase lookups[] = {
	/* record at the From domain: p */
	{ "example.com", 0, 1, "example.com", "example.com", DMARC_USE_P,
	    DMARC_REJECT, DMARC_REJECT,
	    "_dmarc.example.com _dmarc.com", "" },
	/* at an ancestor, subdomain exists: sp */
	{ "mail.example.com", 0, 1, "example.com", "example.com",
	    DMARC_USE_SP, DMARC_QUARANTINE, DMARC_QUARANTINE,
	    "_dmarc.mail.example.com _dmarc.example.com _dmarc.com", "" },
	/* subdomain that does not exist: np */
	{ "ghost.example.com", 0, 1, "example.com", "example.com",
	    DMARC_USE_NP, DMARC_REJECT, DMARC_REJECT,
	    "_dmarc.ghost.example.com _dmarc.example.com _dmarc.com", "" },
	/* a subdomain with its own record: its p, org still example.com */
	{ "own.example.com", 0, 1, "own.example.com", "example.com",
	    DMARC_USE_P, DMARC_NONE, DMARC_NONE,
	    "_dmarc.own.example.com _dmarc.example.com _dmarc.com", "" },
	/* psd=y at co.uk: the walk stops there, org one label below */
	{ "a.example.co.uk", 0, 1, "example.co.uk", "example.co.uk",
	    DMARC_USE_SP, DMARC_REJECT, DMARC_REJECT,
	    "_dmarc.a.example.co.uk _dmarc.example.co.uk _dmarc.co.uk", "" },
	{ "other.co.uk", 0, 1, "co.uk", "other.co.uk", DMARC_USE_SP,
	    DMARC_NONE, DMARC_NONE, "_dmarc.other.co.uk _dmarc.co.uk", "" },
	/* psd=y at a TLD, no record of the organisation itself */
	{ "x.shop.bank", 0, 1, "bank", "shop.bank", DMARC_USE_SP,
	    DMARC_REJECT, DMARC_REJECT,
	    "_dmarc.x.shop.bank _dmarc.shop.bank _dmarc.bank", "" },
	{ "bank", 0, 1, "bank", "bank", DMARC_USE_P, DMARC_REJECT,
	    DMARC_REJECT, "_dmarc.bank", "" },
	/* psd=n: org is where it is, the walk stops there */
	{ "x.corp.example.net", 0, 1, "corp.example.net", "corp.example.net",
	    DMARC_USE_SP, DMARC_QUARANTINE, DMARC_QUARANTINE,
	    "_dmarc.x.corp.example.net _dmarc.corp.example.net", "" },
	{ "y.example.net", 0, 1, "example.net", "example.net", DMARC_USE_SP,
	    DMARC_REJECT, DMARC_REJECT,
	    "_dmarc.y.example.net _dmarc.example.net _dmarc.net", "" },
	/* several records at one name: none valid, the walk goes on */
	{ "multi.example.org", 0, 1, "example.org", "example.org",
	    DMARC_USE_SP, DMARC_QUARANTINE, DMARC_QUARANTINE,
	    "_dmarc.multi.example.org _dmarc.example.org _dmarc.org",
	    "several DMARC records at _dmarc.multi.example.org: none used" },
	{ "twice.test", 0, 0, "", "twice.test", 0, 0, 0,
	    "_dmarc.twice.test _dmarc.test",
	    "several DMARC records at _dmarc.twice.test: none used" },
	{ "bad.example.org", 0, 1, "example.org", "example.org", DMARC_USE_SP,
	    DMARC_QUARANTINE, DMARC_QUARANTINE,
	    "_dmarc.bad.example.org _dmarc.example.org _dmarc.org",
	    "invalid DMARC record at _dmarc.bad.example.org: not used" },
	/* nothing anywhere: the domain is its own org domain */
	{ "a.norecord.test", 0, 0, "", "a.norecord.test", 0, 0, 0,
	    "_dmarc.a.norecord.test _dmarc.norecord.test _dmarc.test", "" },
	/* eleven labels: the full name, then seven labels and down (and
	 * the name does not exist: np=) */
	{ "a.b.c.d.e.f.g.h.i.example.com", 0, 1, "example.com",
	    "example.com", DMARC_USE_NP, DMARC_REJECT, DMARC_REJECT,
	    "_dmarc.a.b.c.d.e.f.g.h.i.example.com _dmarc.e.f.g.h.i.example.com "
	    "_dmarc.f.g.h.i.example.com _dmarc.g.h.i.example.com "
	    "_dmarc.h.i.example.com _dmarc.i.example.com _dmarc.example.com "
	    "_dmarc.com", "" },
	/* DNS errors: never "no record" */
	{ "sub.broken.example.com", -1, 0, "", "", 0, 0, 0,
	    "_dmarc.sub.broken.example.com _dmarc.broken.example.com",
	    "DNS error looking up _dmarc.broken.example.com TXT: SERVFAIL" },
	{ "x.errabove.test", -1, 0, "", "", 0, 0, 0,
	    "_dmarc.x.errabove.test _dmarc.errabove.test",
	    "DNS error looking up _dmarc.errabove.test TXT: SERVFAIL" },
	{ "dnsfail.example.com", -1, 1, "example.com", "example.com", 0, 0, 0,
	    "_dmarc.dnsfail.example.com _dmarc.example.com _dmarc.com",
	    "DNS error checking whether dnsfail.example.com exists: "
	    "timed out" },
	/* t=y lowers the effective policy one step */
	{ "testing.example", 0, 1, "testing.example", "testing.example",
	    DMARC_USE_P, DMARC_REJECT, DMARC_QUARANTINE,
	    "_dmarc.testing.example _dmarc.example", "" },
	{ "soft.example", 0, 1, "soft.example", "soft.example", DMARC_USE_P,
	    DMARC_QUARANTINE, DMARC_NONE, "_dmarc.soft.example _dmarc.example",
	    "" },
	{ "nop.example", 0, 1, "nop.example", "nop.example", DMARC_USE_P,
	    DMARC_NONE, DMARC_NONE, "_dmarc.nop.example _dmarc.example", "" },
	/* malformed input */
	{ "a..example.com", -1, 0, "", "", 0, 0, 0, "",
	    "bad domain 'a..example.com': empty or long label" },
	{ "", -1, 0, "", "", 0, 0, 0, "", "bad domain: empty" },
};

static void
test_lookups(void)
{
	struct dmarc_lookup	 res;
	char			 err[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
		const struct lcase *c = &lookups[i];
		fake_reset();
		err[0] = '\0';
		rc = dmarc_policy_lookup(&walkenv, c->domain, &res, err,
		    sizeof(err));
		if (!is_int(rc, c->rc, tap_name(c->domain)))
			diag("err: %s", err);
		is_str(fdns.log, c->log, "  queries");
		ok(fdns.queries <= DMARC_WALK_MAX && res.queries ==
		    fdns.queries, "  %d queries", fdns.queries);
		if (rc < 0) {
			is_str(err, c->errnote, "  error");
			continue;
		}
		is_int(res.found, c->found, "  found");
		is_str(res.record_domain, c->record_domain, "  record at");
		is_str(res.org_domain, c->org, "  org domain");
		is_str(res.note, c->errnote, "  note");
		if (!c->found)
			continue;
		ok(res.which == c->which && res.policy == c->policy &&
		    res.effective == c->effective,
		    "  which %d policy %s effective %s", res.which,
		    dmarc_policy_name(res.policy),
		    dmarc_policy_name(res.effective));
	}
}

/* 20 labels, no record anywhere: still eight queries at most. */
static void
test_walk_bound(void)
{
	const char	*deep = "l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11.l12.l13.l14."
			    "l15.l16.l17.l18.l19.nowhere";
	char		 org[DMARC_NAME_MAX], err[256];

	fake_reset();
	is_int(dmarc_org_domain(&walkenv, deep, org, sizeof(org), err,
	    sizeof(err)), 0, "org domain of 20 labels");
	is_int(fdns.queries, DMARC_WALK_MAX, "  eight queries");
	is_str(org, deep, "  no record: the name itself");
	ok(strstr(fdns.log, "_dmarc.l14.l15.l16.l17.l18.l19.nowhere ") != NULL,
	    "  second query at seven labels");
}

/* ---- alignment ---------------------------------------------------------- */

struct acase {
	const char	*a, *b;
	int		 strict;
	int		 want;		/* 1, 0, -1 */
	int		 queries;	/* -1: any */
};

static const struct acase walk_aligns[] = {
	/* the cases libopendmarc 1.4.2 gets wrong */
	{ "example.co.uk", "mail.example.co.uk", 1, 0, 0 },
	{ "a.example.co.uk", "b.example.co.uk", 1, 0, 0 },
	{ "a.example.co.uk", "b.example.co.uk", 0, 1, -1 },
	{ "example.co.uk", "mail.example.co.uk", 0, 1, -1 },
	{ "Example.COM", "example.com", 1, 1, 0 },
	{ "mail.example.com", "example.com", 0, 1, -1 },
	{ "example.co.uk", "other.co.uk", 0, 0, -1 },
	{ "example.com", "example.net", 0, 0, 0 },
	{ "x.corp.example.net", "y.example.net", 0, 0, -1 },
	{ "x.corp.example.net", "corp.example.net", 0, 1, -1 },
	{ "a.shop.bank", "b.shop.bank", 0, 1, -1 },
	{ "shop.bank", "other.bank", 0, 0, -1 },
	/* RFC 9989: without any record each name is its own org domain */
	{ "a.norecord.test", "b.norecord.test", 0, 0, -1 },
	{ "sub.broken.example.com", "example.com", 0, -1, -1 },
};

static void
run_aligns(const struct dmarc_env *env, const char *mode,
    const struct acase *c, size_t n)
{
	char	 err[256], name[300];
	size_t	 i;
	int	 rc;

	for (i = 0; i < n; i++) {
		fake_reset();
		err[0] = '\0';
		rc = dmarc_aligned(env, c[i].a, c[i].b, c[i].strict, err,
		    sizeof(err));
		snprintf(name, sizeof(name), "%s: %s vs %s %s", mode, c[i].a,
		    c[i].b, c[i].strict ? "strict" : "relaxed");
		if (!is_int(rc, c[i].want, name))
			diag("err: %s", err);
		if (c[i].queries >= 0)
			is_int(fdns.queries, c[i].queries, "  DNS queries");
	}
}

static const char psl_text[] =
	"// a small list\n"
	"com\nnet\norg\nuk\nco.uk\n"
	"*.ck\n!www.ck\n"
	"// ===BEGIN PRIVATE DOMAINS===\n"
	"blogspot.com\n";

static const struct acase psl_aligns[] = {
	{ "example.co.uk", "mail.example.co.uk", 1, 0, 0 },
	{ "example.co.uk", "mail.example.co.uk", 0, 1, 0 },
	{ "a.example.co.uk", "b.example.co.uk", 1, 0, 0 },
	{ "a.example.co.uk", "b.example.co.uk", 0, 1, 0 },
	{ "a.norecord.test", "b.norecord.test", 0, 1, 0 },
	{ "x.foo.ck", "y.foo.ck", 0, 0, 0 },
	{ "www.ck", "a.www.ck", 0, 1, 0 },
	{ "alice.blogspot.com", "bob.blogspot.com", 0, 0, 0 },
	{ "example.co.uk", "other.co.uk", 0, 0, 0 },
};

static void
test_aligns(void)
{
	struct dmarc_env	 env = walkenv;
	struct dmarc_lookup	 res;
	struct psl		*l;
	char			 err[256];

	run_aligns(&walkenv, "treewalk", walk_aligns,
	    sizeof(walk_aligns) / sizeof(walk_aligns[0]));
	if ((l = psl_parse(psl_text, sizeof(psl_text) - 1, err,
	    sizeof(err))) == NULL) {
		ok(0, "psl_parse: %s", err);
		return;
	}
	env.org_mode = ORG_PSL;
	env.psl = l;
	run_aligns(&env, "psl", psl_aligns,
	    sizeof(psl_aligns) / sizeof(psl_aligns[0]));

	/* PSL discovery: the domain, then the org domain, nothing more */
	fake_reset();
	is_int(dmarc_policy_lookup(&env, "mail.example.co.uk", &res, err,
	    sizeof(err)), 0, "psl lookup mail.example.co.uk");
	is_str(fdns.log, "_dmarc.mail.example.co.uk _dmarc.example.co.uk",
	    "  queries");
	ok(res.found && res.which == DMARC_USE_SP &&
	    res.policy == DMARC_REJECT, "  sp (absent) -> p=reject");
	is_str(res.org_domain, "example.co.uk", "  org domain");
	env.psl = NULL;
	is_int(dmarc_policy_lookup(&env, "example.com", &res, err,
	    sizeof(err)), -1, "psl mode without a list");
	is_str(err, "no public suffix list loaded", "  error");
	psl_free(l);
}

/* ---- prediction --------------------------------------------------------- */

struct pcase {
	const char	*from, *dkim, *env;
	int		 spf;
	int		 pass, policy;
	const char	*reason;
};

static const struct pcase predictions[] = {
	{ "example.com", "example.com", "bounce.other.example",
	    DMARC_SPF_UNCHECKED, 1, DMARC_NONE,
	    "passes DMARC at example.com: aligned DKIM signature "
	    "(d=example.com)" },
	{ "mail.example.com", "example.com", NULL, DMARC_SPF_UNCHECKED, 1,
	    DMARC_NONE, "passes DMARC at mail.example.com: aligned DKIM "
	    "signature (d=example.com)" },
	{ "example.com", NULL, "bounces.example.com", DMARC_SPF_PASS, 1,
	    DMARC_NONE, "passes DMARC at example.com: SPF of envelope domain "
	    "bounces.example.com aligns and passes for the relay addresses" },
	/* adkim=s: d=example.co.uk does not align with mail.example.co.uk */
	{ "mail.example.co.uk", "example.co.uk", "mail.example.co.uk",
	    DMARC_SPF_PASS, 1, DMARC_NONE, "passes DMARC at "
	    "mail.example.co.uk: SPF of envelope domain mail.example.co.uk "
	    "aligns and passes for the relay addresses" },
	{ "mail.example.co.uk", "example.co.uk", "example.co.uk",
	    DMARC_SPF_PASS, 0, DMARC_REJECT, "would fail DMARC at "
	    "mail.example.co.uk (p=reject): no aligned DKIM signature "
	    "(signed d=example.co.uk, adkim=s), SPF not aligned (envelope "
	    "domain example.co.uk, aspf=s)" },
	{ "example.com", NULL, "example.com", DMARC_SPF_UNCHECKED, 0,
	    DMARC_REJECT, "would fail DMARC at example.com (p=reject): no "
	    "DKIM signature, SPF not checked (envelope domain example.com "
	    "aligns; no relay_addresses)" },
	{ "example.com", NULL, "example.com", DMARC_SPF_NOT_PASS, 0,
	    DMARC_REJECT, "would fail DMARC at example.com (p=reject): no "
	    "DKIM signature, SPF of example.com does not pass for the relay "
	    "addresses" },
	/* null sender: DKIM alone */
	{ "example.com", "other.example", "", DMARC_SPF_PASS, 0, DMARC_REJECT,
	    "would fail DMARC at example.com (p=reject): no aligned DKIM "
	    "signature (signed d=other.example), null envelope sender: "
	    "judged on DKIM alone" },
	{ "example.com", "example.com", "", DMARC_SPF_UNCHECKED, 1,
	    DMARC_NONE, "passes DMARC at example.com: aligned DKIM signature "
	    "(d=example.com)" },
	{ "example.com", "other.example", "x.example", DMARC_SPF_PASS, 0,
	    DMARC_REJECT, "would fail DMARC at example.com (p=reject): no "
	    "aligned DKIM signature (signed d=other.example), SPF not aligned "
	    "(envelope domain x.example)" },
	{ "mail.example.com", "other.example", "x.example", DMARC_SPF_PASS, 0,
	    DMARC_QUARANTINE, "would fail DMARC at mail.example.com "
	    "(sp=quarantine): no aligned DKIM signature (signed "
	    "d=other.example), SPF not aligned (envelope domain x.example)" },
	{ "ghost.example.com", NULL, NULL, DMARC_SPF_UNCHECKED, 0,
	    DMARC_REJECT, "would fail DMARC at ghost.example.com (np=reject): "
	    "no DKIM signature, null envelope sender: judged on DKIM alone" },
	{ "testing.example", "other.example", NULL, DMARC_SPF_UNCHECKED, 0,
	    DMARC_QUARANTINE, "would fail DMARC at testing.example (p=reject, "
	    "t=y: quarantine): no aligned DKIM signature (signed "
	    "d=other.example), null envelope sender: judged on DKIM alone" },
	{ "a.norecord.test", "other.example", "x.example", DMARC_SPF_PASS, 1,
	    DMARC_NONE, "no DMARC record governs a.norecord.test: nothing to "
	    "fail" },
};

static void
test_predictions(void)
{
	struct dmarc_lookup	 res;
	struct dmarc_predict_in	 in;
	struct dmarc_prediction	 out;
	char			 err[256];
	size_t			 i;

	for (i = 0; i < sizeof(predictions) / sizeof(predictions[0]); i++) {
		const struct pcase *c = &predictions[i];
		fake_reset();
		if (dmarc_policy_lookup(&walkenv, c->from, &res, err,
		    sizeof(err)) < 0) {
			ok(0, "lookup %s: %s", c->from, err);
			continue;
		}
		in.from_domain = c->from;
		in.dkim_domain = c->dkim;
		in.envelope_domain = c->env;
		in.spf = c->spf;
		in.policy = &res;
		if (!is_int(dmarc_predict(&walkenv, &in, &out, err,
		    sizeof(err)), 0, tap_name(c->reason)))
			diag("err: %s", err);
		ok(out.pass == c->pass && out.policy == c->policy,
		    "  pass %d policy %s", out.pass,
		    dmarc_policy_name(out.policy));
		is_str(out.reason, c->reason, "  reason");
	}
}

/* ---- author domain ------------------------------------------------------ */

struct fcase {
	const char	*v[3];		/* the From values */
	size_t		 n;
	int		 rc;
	const char	*want;		/* domain (rc 0) or why (rc -1) */
};

static const struct fcase froms[] = {
	{ { "Alice <alice@Example.COM>" }, 1, 0, "example.com" },
	{ { " alice@example.com\r\n (comment)" }, 1, 0, "example.com" },
	{ { "\"Bob\" <b@Bücher.example>" }, 1, 0, "xn--bcher-kva.example" },
	/* several addresses of one domain: that domain */
	{ { "a@example.com,\r\n\tB <b@EXAMPLE.com>" }, 1, 0, "example.com" },
	{ { "team: a@x.example, b@x.example;" }, 1, 0, "x.example" },
	/* CVE-2019-16378: two domains is never the first one's pass */
	{ { "a@good.example, b@evil.example" }, 1, -1,
	    "From has addresses in 2 domains (good.example, evil.example)" },
	{ { "a@a.example, b@b.example, c@a.example, d@c.example, "
	    "e@d.example, f@e.example" }, 1, -1, "From has addresses in more "
	    "than 3 domains (a.example, b.example, c.example, ...)" },
	{ { NULL }, 0, -1, "no From field" },
	{ { "a@x.example", "b@x.example" }, 2, -1, "2 From fields" },
	{ { "a@x.example", "a@x.example", "a@x.example" }, 3, -1,
	    "3 From fields" },
	{ { "a@b@c.example" }, 1, -1, "From cannot be parsed: expected ',' "
	    "or end of value after address, found '@' at offset 3" },
	{ { "" }, 1, -1, "From cannot be parsed: no address in value" },
	{ { "Alice <alice@" }, 1, -1, "From cannot be parsed: expected "
	    "domain after '@', found end of value at offset 13" },
	{ { "alice" }, 1, -1, "From address has no domain (expected '@' or "
	    "'<', found end of value at offset 5)" },
	{ { "Alice <alice>" }, 1, -1, "From address has no domain (expected "
	    "'@' in address, found '>' at offset 12)" },
	{ { "a@[192.0.2.1]" }, 1, -1, "From address has no domain name "
	    "(address literal [192.0.2.1])" },
	{ { "undisclosed-senders:;" }, 1, -1, "From has no address" },
	{ { "a@-bad.example" }, 1, -1, "From domain '-bad.example' is not "
	    "valid: domain label starts or ends with '-'" },
};

static void
test_author_domain(void)
{
	char	 out[DMARC_NAME_MAX], why[256], name[600];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		const struct fcase *c = &froms[i];
		why[0] = '\0';
		strcpy(out, "junk");
		rc = dmarc_author_domain(c->v, c->n, out, sizeof(out), why,
		    sizeof(why));
		snprintf(name, sizeof(name), "From %s (%zu)",
		    c->v[0] != NULL ? tap_name(c->v[0]) : "-", c->n);
		if (!is_int(rc, c->rc, name))
			diag("why: %s, out %s", why, out);
		is_str(rc == 0 ? out : why, c->want, rc == 0 ? "  domain" :
		    "  why");
		if (rc < 0)
			is_str(out, "", "  no domain given");
	}
	is_int(dmarc_author_domain(froms[0].v, 1, out, 5, why, sizeof(why)),
	    -1, "domain longer than the buffer");
}

/* ---- evaluation ---------------------------------------------------------- */

#define SIGS_MAX	3

struct ecase {
	const char		*name;
	const char		*from;
	struct dmarc_dkim_in	 dkim[SIGS_MAX];
	size_t			 ndkim;
	const char		*spf_domain;
	int			 spf;
	int			 rc;
	int			 result;
	int			 policy, which, enforce;
	int			 dkim_al, spf_al;
	const char		*dkim_domain;
	const char		*reason;	/* or err when rc -1 */
};

#define NOSIG	{ { NULL, 0 } }, 0

static const struct ecase evals[] = {
	{ "aligned DKIM pass, relaxed: subdomain d=", "example.com",
	    { { "mail.example.com", DKIMV_PASS } }, 1, "other.example",
	    SPFR_FAIL, 0, DMARC_R_PASS, DMARC_NONE, DMARC_USE_P, DMARC_NONE,
	    1, 0, "mail.example.com",
	    "aligned DKIM pass (d=mail.example.com)" },
	{ "adkim=s: subdomain d= does not align", "example.co.uk",
	    { { "mail.example.co.uk", DKIMV_PASS } }, 1, NULL, SPFR_NONE, 0,
	    DMARC_R_FAIL, DMARC_REJECT, DMARC_USE_P, DMARC_REJECT, 0, 0, "",
	    "no aligned DKIM pass (d=mail.example.co.uk not aligned), "
	    "no SPF identity" },
	{ "adkim=s: the same d= passes", "example.co.uk",
	    { { "mail.example.co.uk", DKIMV_PASS },
	    { "example.co.uk", DKIMV_PASS } }, 2, NULL, SPFR_NONE, 0,
	    DMARC_R_PASS, DMARC_NONE, DMARC_USE_P, DMARC_NONE, 1, 0,
	    "example.co.uk", "aligned DKIM pass (d=example.co.uk)" },
	{ "aspf=s: SPF pass of a subdomain does not align", "example.co.uk",
	    NOSIG, "mail.example.co.uk", SPFR_PASS, 0, DMARC_R_FAIL,
	    DMARC_REJECT, DMARC_USE_P, DMARC_REJECT, 0, 0, "",
	    "no DKIM signature, SPF pass for mail.example.co.uk not aligned" },
	{ "aspf=s: SPF pass of the From domain", "example.co.uk", NOSIG,
	    "example.co.uk", SPFR_PASS, 0, DMARC_R_PASS, DMARC_NONE,
	    DMARC_USE_P, DMARC_NONE, 0, 1, "",
	    "aligned SPF pass (example.co.uk)" },
	{ "relaxed SPF: subdomain envelope aligns", "example.com", NOSIG,
	    "bounces.example.com", SPFR_PASS, 0, DMARC_R_PASS, DMARC_NONE,
	    DMARC_USE_P, DMARC_NONE, 0, 1, "",
	    "aligned SPF pass (bounces.example.com)" },
	{ "SPF pass, not aligned", "example.com", NOSIG, "other.example",
	    SPFR_PASS, 0, DMARC_R_FAIL, DMARC_REJECT, DMARC_USE_P,
	    DMARC_REJECT, 0, 0, "",
	    "no DKIM signature, SPF pass for other.example not aligned" },
	{ "DKIM pass not aligned, SPF fail: fail with p=", "example.com",
	    { { "other.example", DKIMV_PASS } }, 1, "example.com", SPFR_FAIL,
	    0, DMARC_R_FAIL, DMARC_REJECT, DMARC_USE_P, DMARC_REJECT, 0, 0,
	    "", "no aligned DKIM pass (d=other.example not aligned), SPF fail "
	    "for example.com" },
	{ "aligned DKIM that failed does not pass", "example.com",
	    { { "example.com", DKIMV_FAIL }, { "example.com", DKIMV_POLICY },
	    { "example.com", DKIMV_PERMERROR } }, 3, "example.com",
	    SPFR_SOFTFAIL, 0, DMARC_R_FAIL, DMARC_REJECT, DMARC_USE_P,
	    DMARC_REJECT, 0, 0, "", "no aligned DKIM pass (d=example.com "
	    "fail, d=example.com policy, d=example.com permerror), SPF "
	    "softfail for example.com" },
	{ "record at the org domain: sp= for a subdomain", "mail.example.com",
	    { { "other.example", DKIMV_PASS } }, 1, NULL, SPFR_NONE, 0,
	    DMARC_R_FAIL, DMARC_QUARANTINE, DMARC_USE_SP, DMARC_QUARANTINE,
	    0, 0, "", "no aligned DKIM pass (d=other.example not aligned), "
	    "no SPF identity" },
	{ "sp= subdomain still passes with the org domain's d=",
	    "mail.example.com", { { "example.com", DKIMV_PASS } }, 1, NULL,
	    SPFR_NONE, 0, DMARC_R_PASS, DMARC_NONE, DMARC_USE_P, DMARC_NONE,
	    1, 0, "example.com", "aligned DKIM pass (d=example.com)" },
	{ "sp= absent: p= applies, tag p", "y.example.net", NOSIG,
	    "y.example.net", SPFR_NEUTRAL, 0, DMARC_R_FAIL, DMARC_REJECT,
	    DMARC_USE_P, DMARC_REJECT, 0, 0, "",
	    "no DKIM signature, SPF neutral for y.example.net" },
	{ "np= for a subdomain that does not exist", "ghost.example.com",
	    NOSIG, "ghost.example.com", SPFR_NONE, 0, DMARC_R_FAIL,
	    DMARC_REJECT, DMARC_USE_NP, DMARC_REJECT, 0, 0, "",
	    "no DKIM signature, SPF none for ghost.example.com" },
	{ "no record: none", "a.norecord.test",
	    { { "a.norecord.test", DKIMV_FAIL } }, 1, "a.norecord.test",
	    SPFR_FAIL, 0, DMARC_R_NONE, DMARC_NONE, DMARC_USE_P, DMARC_NONE,
	    0, 0, "", "no DMARC record governs a.norecord.test" },
	{ "aligned DKIM temperror: temperror", "example.com",
	    { { "other.example", DKIMV_PASS },
	    { "example.com", DKIMV_TEMPERROR } }, 2, "example.com",
	    SPFR_FAIL, 0, DMARC_R_TEMPERROR, DMARC_NONE, DMARC_USE_P,
	    DMARC_NONE, 0, 0, "", "DNS failure on an aligned identifier: "
	    "no aligned DKIM pass (d=other.example not aligned, "
	    "d=example.com temperror), SPF fail for example.com" },
	{ "aligned SPF temperror: temperror", "example.com", NOSIG,
	    "example.com", SPFR_TEMPERROR, 0, DMARC_R_TEMPERROR, DMARC_NONE,
	    DMARC_USE_P, DMARC_NONE, 0, 0, "",
	    "DNS failure on an aligned identifier: no DKIM signature, SPF "
	    "temperror for example.com" },
	{ "temperror not aligned: fail", "example.com",
	    { { "other.example", DKIMV_TEMPERROR } }, 1, "other.example",
	    SPFR_TEMPERROR, 0, DMARC_R_FAIL, DMARC_REJECT, DMARC_USE_P,
	    DMARC_REJECT, 0, 0, "", "no aligned DKIM pass (d=other.example "
	    "temperror), SPF temperror for other.example not aligned" },
	{ "aligned temperror but another pass: pass", "example.com",
	    { { "example.com", DKIMV_TEMPERROR },
	    { "example.com", DKIMV_PASS } }, 2, NULL, SPFR_NONE, 0,
	    DMARC_R_PASS, DMARC_NONE, DMARC_USE_P, DMARC_NONE, 1, 0,
	    "example.com", "aligned DKIM pass (d=example.com)" },
	{ "t=y: fail with the policy, nothing enforced", "testing.example",
	    { { "other.example", DKIMV_PASS } }, 1, NULL, SPFR_NONE, 0,
	    DMARC_R_FAIL, DMARC_REJECT, DMARC_USE_P, DMARC_NONE, 0, 0, "",
	    "no aligned DKIM pass (d=other.example not aligned), no SPF "
	    "identity (t=y: not enforced)" },
	{ "no p= but rua=: p=none", "nop.example", NOSIG, "nop.example",
	    SPFR_FAIL, 0, DMARC_R_FAIL, DMARC_NONE, DMARC_USE_P, DMARC_NONE,
	    0, 0, "", "no DKIM signature, SPF fail for nop.example" },
	{ "DNS error aligning, nothing else passes: -1", "example.com",
	    { { "sub.broken.example.com", DKIMV_PASS } }, 1, NULL, SPFR_NONE,
	    -1, DMARC_R_TEMPERROR, DMARC_NONE, DMARC_USE_P, DMARC_NONE, 0, 0,
	    "", "DNS error looking up _dmarc.broken.example.com TXT: "
	    "SERVFAIL" },
	{ "DNS error aligning one, SPF passes aligned: pass", "example.com",
	    { { "sub.broken.example.com", DKIMV_PASS } }, 1, "example.com",
	    SPFR_PASS, 0, DMARC_R_PASS, DMARC_NONE, DMARC_USE_P, DMARC_NONE,
	    0, 1, "", "aligned SPF pass (example.com)" },
};

static void
test_evaluate(void)
{
	struct dmarc_lookup	 res;
	struct dmarc_eval_in	 in;
	struct dmarc_eval	 out;
	char			 err[256];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(evals) / sizeof(evals[0]); i++) {
		const struct ecase *c = &evals[i];
		fake_reset();
		if (dmarc_policy_lookup(&walkenv, c->from, &res, err,
		    sizeof(err)) < 0) {
			ok(0, "lookup %s: %s", c->from, err);
			continue;
		}
		in.from_domain = c->from;
		in.dkim = c->dkim;
		in.ndkim = c->ndkim;
		in.spf_domain = c->spf_domain;
		in.spf = c->spf;
		in.policy = &res;
		err[0] = '\0';
		rc = dmarc_evaluate(&walkenv, &in, &out, err, sizeof(err));
		if (!is_int(rc, c->rc, c->name))
			diag("err: %s", err);
		is_str(dmarc_result_name(out.result),
		    dmarc_result_name(c->result), "  result");
		ok(out.policy == c->policy && out.which == c->which &&
		    out.enforce == c->enforce, "  policy %s which %d enforce %s",
		    dmarc_policy_name(out.policy), out.which,
		    dmarc_policy_name(out.enforce));
		ok(out.dkim_aligned == c->dkim_al && out.spf_aligned ==
		    c->spf_al, "  aligned dkim %d spf %d", out.dkim_aligned,
		    out.spf_aligned);
		is_str(out.dkim_domain, c->dkim_domain, "  d=");
		is_str(rc < 0 ? err : out.reason, c->reason, rc < 0 ?
		    "  error" : "  reason");
	}
}

/* Errors of the policy lookup stay the caller's; bad input is refused. */
static void
test_evaluate_edges(void)
{
	struct dmarc_lookup	 res;
	struct dmarc_eval_in	 in;
	struct dmarc_eval	 out;
	char			 err[256];

	fake_reset();
	is_int(dmarc_policy_lookup(&walkenv, "sub.broken.example.com", &res,
	    err, sizeof(err)), -1,
	    "DNS error on the policy lookup: -1 (the caller's temperror)");
	memset(&in, 0, sizeof(in));
	is_int(dmarc_evaluate(&walkenv, &in, &out, err, sizeof(err)), -1,
	    "evaluate without From domain or policy: -1");
	is_str(dmarc_result_name(out.result), "none", "  result none");
	is_str(dmarc_result_name(DMARC_R_PASS), "pass", "name pass");
	is_str(dmarc_result_name(DMARC_R_FAIL), "fail", "name fail");
	is_str(dmarc_result_name(DMARC_R_TEMPERROR), "temperror",
	    "name temperror");
	is_str(dmarc_result_name(DMARC_R_PERMERROR), "permerror",
	    "name permerror");
	is_str(dmarc_result_name(99), "?", "name of nonsense");
}

int
main(void)
{
	test_records();
	test_lookups();
	test_walk_bound();
	test_aligns();
	test_predictions();
	test_author_domain();
	test_evaluate();
	test_evaluate_edges();
	return done_testing();
}
