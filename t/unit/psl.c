/*
 * Unit test of lib/psl: a small inline list (plain rules, a wildcard
 * with its exception, a Unicode rule kept as A-labels, rules the parser
 * must skip), then a few well-known names against the system's list
 * (skipped when the publicsuffix package is not installed).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "psl.h"
#include "../tap.h"

static const char small[] =
	"// comment line\n"
	"\n"
	"com\n"
	"uk\n"
	"co.uk   trailing words are ignored\n"
	"  jp\n"
	"*.kawasaki.jp\n"
	"!city.kawasaki.jp\n"
	"\xe5\x85\xac\xe5\x8f\xb8.cn\n"		/* 公司.cn */
	"cn\n"
	"*.ck\n"
	"!www.ck\n"
	"// ===BEGIN PRIVATE DOMAINS===\n"
	"github.io\n"
	"CAPS.Example\n"
	/* skipped: empty label, inner wildcard, "!" on a TLD, bad byte */
	"a..b\n"
	"a.*.b\n"
	"!tld\n"
	"bad,char.com\n"
	"*\n";

struct scase {
	const char	*domain;
	const char	*suffix;
	const char	*org;
};

static const struct scase small_cases[] = {
	{ "example.com", "com", "example.com" },
	{ "a.b.example.com", "com", "example.com" },
	{ "com", "com", "com" },
	{ "example.co.uk", "co.uk", "example.co.uk" },
	{ "mail.example.co.uk", "co.uk", "example.co.uk" },
	{ "co.uk", "co.uk", "co.uk" },
	{ "foo.uk", "uk", "foo.uk" },
	{ "x.foo.kawasaki.jp", "foo.kawasaki.jp", "x.foo.kawasaki.jp" },
	{ "foo.kawasaki.jp", "foo.kawasaki.jp", "foo.kawasaki.jp" },
	{ "city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp" },
	{ "a.city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp" },
	{ "kawasaki.jp", "jp", "kawasaki.jp" },
	{ "www.ck", "ck", "www.ck" },
	{ "a.www.ck", "ck", "www.ck" },
	{ "b.other.ck", "other.ck", "b.other.ck" },
	{ "shop.xn--55qx5d.cn", "xn--55qx5d.cn", "shop.xn--55qx5d.cn" },
	{ "alice.github.io", "github.io", "alice.github.io" },
	{ "x.alice.github.io", "github.io", "alice.github.io" },
	{ "foo.caps.example", "caps.example", "foo.caps.example" },
	{ "FOO.Example.COM", "COM", "Example.COM" },
	/* no rule: the implicit "*", the last label */
	{ "a.norule", "norule", "a.norule" },
	{ "b.a.norule", "norule", "a.norule" },
	{ "single", "single", "single" },
};

static void
run_cases(const struct psl *l, const char *what, const struct scase *c,
    size_t n)
{
	char	 name[300];
	size_t	 i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%s: suffix of %s", what,
		    c[i].domain);
		is_str(psl_suffix(l, c[i].domain), c[i].suffix, name);
		snprintf(name, sizeof(name), "%s: org domain of %s", what,
		    c[i].domain);
		is_str(psl_org_domain(l, c[i].domain), c[i].org, name);
	}
}

static void
test_small(void)
{
	struct psl	*l;
	char		 err[256];

	l = psl_parse(small, sizeof(small) - 1, err, sizeof(err));
	if (!ok(l != NULL, "small list parses"))
		diag("%s", err);
	if (l == NULL)
		return;
	is_int((long long)psl_rules(l), 12, "  12 rules kept");
	is_int((long long)psl_skipped(l), 5, "  5 rules skipped");
	run_cases(l, "small", small_cases,
	    sizeof(small_cases) / sizeof(small_cases[0]));
	ok(psl_is_suffix(l, "co.uk"), "co.uk is a suffix");
	ok(!psl_is_suffix(l, "example.co.uk"), "example.co.uk is not");
	psl_free(l);

	ok(psl_parse("// only comments\n\n", 18, err, sizeof(err)) == NULL,
	    "no rule: refused");
	is_str(err, "no public suffix rule found", "  error");
	ok(psl_load("/nonexistent/psl.dat", err, sizeof(err)) == NULL,
	    "missing file refused");
	is_str(err, "/nonexistent/psl.dat: No such file or directory",
	    "  error");
	ok(psl_free(NULL) == NULL, "psl_free(NULL)");
}

/* The pointer returned lies inside the name given. */
static void
test_pointers(void)
{
	struct psl	*l;
	const char	*d = "mail.example.co.uk";
	char		 err[256];

	if ((l = psl_parse(small, sizeof(small) - 1, err, sizeof(err))) ==
	    NULL)
		return;
	ok(psl_suffix(l, d) == d + 13, "suffix is d + 13");
	ok(psl_org_domain(l, d) == d + 5, "org domain is d + 5");
	psl_free(l);
}

static const struct scase real_cases[] = {
	{ "www.example.com", "com", "example.com" },
	{ "mail.example.co.uk", "co.uk", "example.co.uk" },
	{ "a.b.example.org", "org", "example.org" },
	{ "alice.github.io", "github.io", "alice.github.io" },
	{ "x.foo.kawasaki.jp", "foo.kawasaki.jp", "x.foo.kawasaki.jp" },
	{ "www.city.kawasaki.jp", "kawasaki.jp", "city.kawasaki.jp" },
	{ "shop.xn--55qx5d.cn", "xn--55qx5d.cn", "shop.xn--55qx5d.cn" },
};

static void
test_system(void)
{
	const struct psl	*l, *again;
	char			 err[256];

	if (access(PSL_SYSTEM_PATH, R_OK) != 0) {
		ok(1, "# SKIP %s absent", PSL_SYSTEM_PATH);
		return;
	}
	l = psl_system(err, sizeof(err));
	if (!ok(l != NULL, "system list loads"))
		diag("%s", err);
	if (l == NULL)
		return;
	ok(psl_rules(l) > 5000, "  %zu rules (%zu skipped)", psl_rules(l),
	    psl_skipped(l));
	again = psl_system(err, sizeof(err));
	ok(again == l, "  loaded once");
	run_cases(l, "system", real_cases,
	    sizeof(real_cases) / sizeof(real_cases[0]));
}

int
main(void)
{
	test_small();
	test_pointers();
	test_system();
	return done_testing();
}
