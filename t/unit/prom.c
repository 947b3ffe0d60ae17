/*
 * Unit test of lib/prom: the registry's refusals, then the rendered text
 * parsed line by line here against the rules of the text exposition
 * format 0.0.4: each family's "# HELP" (escapes \\ \n only) and
 * "# TYPE" once, before its samples, its samples contiguous; sample
 * names of the family (counter names ending in _total, a histogram's
 * _bucket/_sum/_count); label values quoted with the escapes \\ \" \n
 * only; every value a float; histogram buckets cumulative with increasing
 * le, ending at le="+Inf" equal to _count; no series twice.  Then the
 * values themselves, escaping round trips, and exact counts under four
 * threads.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"
#include "../tap.h"

#define MAXS	256

struct sample {
	char	 fam[128], name[128], labels[512], le[64];
	double	 v;
};

struct parsed {
	struct sample	 s[MAXS];
	int		 n;
	char		 help[32][512], helpfam[32][128], type[32][16];
	int		 nhelp;
	char		 err[256];
};

/* Unescape a HELP text (\\ \n) or label value (also \"): -1 on others. */
static int
unescape(const char **pp, char *out, size_t len, int quoted)
{
	const char	*p = *pp;
	size_t		 n = 0;

	for (; *p != '\0' && !(quoted && *p == '"'); p++) {
		char	 c = *p;

		if (c == '\\') {
			p++;
			if (*p == 'n')
				c = '\n';
			else if (*p == '\\' || (quoted && *p == '"'))
				c = *p;
			else
				return -1;
		}
		if (n + 1 >= len)
			return -1;
		out[n++] = c;
	}
	out[n] = '\0';
	*pp = p;
	return 0;
}

static int
metric_name(const char **pp, char *out, size_t len, int colon)
{
	const char	*p = *pp;
	size_t		 n = 0;

	while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	    *p == '_' || (colon && *p == ':') ||
	    (n > 0 && *p >= '0' && *p <= '9')) {
		if (n + 1 >= len)
			return -1;
		out[n++] = *p++;
	}
	out[n] = '\0';
	*pp = p;
	return n > 0 ? 0 : -1;
}

/* {a="x",b="y"} into s->labels as a="x"|b="y" (unescaped), le aside. */
static int
parse_labels(const char **pp, struct sample *s)
{
	const char	*p = *pp;
	char		 ln[128], lv[256];

	if (*p != '{')
		return 0;
	for (p++; *p != '}'; p++) {
		if (metric_name(&p, ln, sizeof(ln), 0) < 0 || *p++ != '=' ||
		    *p++ != '"' || unescape(&p, lv, sizeof(lv), 1) < 0 ||
		    *p++ != '"')
			return -1;
		if (strcmp(ln, "le") == 0)
			snprintf(s->le, sizeof(s->le), "%.63s", lv);
		else
			snprintf(s->labels + strlen(s->labels),
			    sizeof(s->labels) - strlen(s->labels), "%s%s=%s",
			    s->labels[0] ? "|" : "", ln, lv);
		if (*p != ',')
			break;
	}
	if (*p != '}')
		return -1;
	*pp = p + 1;
	return 0;
}

static int
fail(struct parsed *ps, int line, const char *why)
{
	snprintf(ps->err, sizeof(ps->err), "line %d: %s", line, why);
	return -1;
}

static int
sample_of_family(const char *name, const char *fam, const char *type)
{
	size_t	 k = strlen(fam);

	if (strcmp(type, "histogram") != 0)
		return strcmp(name, fam) == 0;
	return strncmp(name, fam, k) == 0 && (strcmp(name + k, "_bucket") ==
	    0 || strcmp(name + k, "_sum") == 0 || strcmp(name + k, "_count") ==
	    0);
}

static int
parse_comment(struct parsed *ps, const char *p, int ln, char *fam,
    char *type, int *typed)
{
	char	 name[128];

	if (strncmp(p, "# HELP ", 7) == 0) {
		p += 7;
		if (metric_name(&p, name, sizeof(name), 1) < 0 || *p++ != ' ')
			return fail(ps, ln, "bad HELP");
		if (ps->nhelp == 32 || unescape(&p, ps->help[ps->nhelp],
		    sizeof(ps->help[0]), 0) < 0)
			return fail(ps, ln, "bad HELP escape");
		snprintf(ps->helpfam[ps->nhelp++], 128, "%s", name);
		snprintf(fam, 128, "%s", name);
		*typed = 0;
		return 0;
	}
	if (strncmp(p, "# TYPE ", 7) != 0)
		return fail(ps, ln, "comment neither HELP nor TYPE");
	p += 7;
	if (metric_name(&p, name, sizeof(name), 1) < 0 || *p++ != ' ' ||
	    strcmp(name, fam) != 0 || *typed)
		return fail(ps, ln, "TYPE not right after its HELP");
	if (strcmp(p, "counter") != 0 && strcmp(p, "gauge") != 0 &&
	    strcmp(p, "histogram") != 0)
		return fail(ps, ln, "unknown TYPE");
	if (strcmp(p, "counter") == 0 && (strlen(name) < 6 ||
	    strcmp(name + strlen(name) - 6, "_total") != 0))
		return fail(ps, ln, "counter not named _total");
	snprintf(type, 16, "%s", p);
	snprintf(ps->type[ps->nhelp - 1], 16, "%s", p);
	*typed = 1;
	return 0;
}

static int
parse_sample(struct parsed *ps, const char *p, int ln, const char *fam,
    const char *type)
{
	struct sample	*s;
	char		*end;
	int		 i;

	if (ps->n == MAXS)
		return fail(ps, ln, "too many samples");
	s = &ps->s[ps->n];
	memset(s, 0, sizeof(*s));
	if (metric_name(&p, s->name, sizeof(s->name), 1) < 0 ||
	    parse_labels(&p, s) < 0 || *p++ != ' ')
		return fail(ps, ln, "bad sample syntax");
	if (!sample_of_family(s->name, fam, type))
		return fail(ps, ln, "sample outside its family or untyped");
	if ((s->le[0] != '\0') != (strstr(s->name, "_bucket") != NULL &&
	    strcmp(type, "histogram") == 0))
		return fail(ps, ln, "le on a non-bucket or bucket without le");
	s->v = strtod(p, &end);
	if (end == p || *end != '\0')
		return fail(ps, ln, "value not a float (or a timestamp)");
	snprintf(s->fam, sizeof(s->fam), "%s", fam);
	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->s[i].name, s->name) == 0 &&
		    strcmp(ps->s[i].labels, s->labels) == 0 &&
		    strcmp(ps->s[i].le, s->le) == 0)
			return fail(ps, ln, "series twice");
	ps->n++;
	return 0;
}

/* Buckets of fam: le increasing, counts non-decreasing, +Inf = _count. */
static int
check_histogram(struct parsed *ps, const char *fam)
{
	double	 le = -INFINITY, cnt = -1, count = -2;
	char	 bn[160], cn[160];
	int	 i, inf = 0;

	snprintf(bn, sizeof(bn), "%s_bucket", fam);
	snprintf(cn, sizeof(cn), "%s_count", fam);
	for (i = 0; i < ps->n; i++) {
		struct sample	*s = &ps->s[i];
		double		 l;

		if (strcmp(s->name, cn) == 0)
			count = s->v;
		if (strcmp(s->name, bn) != 0)
			continue;
		l = strcmp(s->le, "+Inf") == 0 ? INFINITY : strtod(s->le, NULL);
		if (inf || l <= le || s->v < cnt)
			return fail(ps, 0, "buckets not cumulative/increasing");
		inf = isinf(l);
		le = l;
		cnt = s->v;
	}
	if (!inf || cnt != count)
		return fail(ps, 0, "no +Inf bucket equal to _count");
	return 0;
}

static int
parse(const char *text, struct parsed *ps)
{
	char	*copy, *line, *save = NULL, fam[128] = "", type[16] = "";
	int	 ln = 0, typed = 0, rc = 0, i;

	memset(ps, 0, sizeof(*ps));
	if (*text == '\0' || text[strlen(text) - 1] != '\n')
		return fail(ps, 0, "does not end in a newline");
	if (strstr(text, "\n\n") != NULL)
		return fail(ps, 0, "empty line");
	copy = strdup(text);
	for (line = strtok_r(copy, "\n", &save); line != NULL && rc == 0;
	    line = strtok_r(NULL, "\n", &save)) {
		ln++;
		if (line[0] == '#')
			rc = parse_comment(ps, line, ln, fam, type, &typed);
		else
			rc = parse_sample(ps, line, ln, fam, typed ? type : "");
	}
	free(copy);
	for (i = 0; i < ps->nhelp && rc == 0; i++) {
		int	 j;

		for (j = 0; j < i; j++)
			if (strcmp(ps->helpfam[i], ps->helpfam[j]) == 0)
				return fail(ps, 0, "family twice");
		if (strcmp(ps->type[i], "histogram") == 0 &&
		    check_histogram(ps, ps->helpfam[i]) < 0)
			return -1;
	}
	return rc;
}

static double
value(const struct parsed *ps, const char *name, const char *labels,
    const char *le)
{
	int	 i;

	for (i = 0; i < ps->n; i++)
		if (strcmp(ps->s[i].name, name) == 0 &&
		    strcmp(ps->s[i].labels, labels) == 0 &&
		    strcmp(ps->s[i].le, le ? le : "") == 0)
			return ps->s[i].v;
	return NAN;
}

/* ---- the registry ----------------------------------------------------- */

static const char *const actions[] = { "dunno", "defer", "reject", "error",
    NULL };
static const char *const dirs[] = { "inbound", "outbound", NULL };
static const char *const results[] = { "accept", "tempfail", NULL };
static const char *const odd[] = { "a\\b", "q\"uote", "new\nline", NULL };
static const double bounds[] = { 0.001, 0.01, 0.1, 1 };

struct refusal {
	int		 kind;		/* 0 counter, 1 gauge, 2 histogram */
	const char	*name, *l1, *l2;
	const char	*why;
};

static const struct refusal refusals[] = {
	{ 0, "outpost_x", NULL, NULL, "counter without _total" },
	{ 1, "outpost_x_total", NULL, NULL, "gauge named _total" },
	{ 2, "outpost_x_total", NULL, NULL, "histogram named _total" },
	{ 2, "outpost_x_count", NULL, NULL, "histogram with a reserved suffix" },
	{ 0, "9x_total", NULL, NULL, "name starting with a digit" },
	{ 0, "outpost-x_total", NULL, NULL, "name with a dash" },
	{ 0, "", NULL, NULL, "empty name" },
	{ 0, "outpost_dup_total", NULL, NULL, "name registered twice" },
	{ 0, "outpost_y_total", "bad-label", NULL, "label with a dash" },
	{ 0, "outpost_y_total", "__reserved", NULL, "label starting __" },
	{ 0, "outpost_y_total", "a", "a", "the same label twice" },
	{ 0, "outpost_y_total", NULL, "b", "second label without a first" },
	{ 1, "outpost_y", "x:y", NULL, "label with a colon" },
};

static void
test_refusals(void)
{
	struct prom		*reg = prom_new();
	struct prom_metric	*m;
	const struct refusal	*r;
	const double		 bad[] = { 1, 0.5 };
	char			 err[256];
	size_t			 i;

	ok(prom_counter(reg, "outpost_dup_total", "h", NULL, NULL, NULL, NULL,
	    err, sizeof(err)) != NULL, "a first counter registers");
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		r = &refusals[i];
		err[0] = '\0';
		if (r->kind == 0)
			m = prom_counter(reg, r->name, "h", r->l1, actions,
			    r->l2, dirs, err, sizeof(err));
		else if (r->kind == 1)
			m = prom_gauge(reg, r->name, "h", r->l1, actions, r->l2,
			    dirs, err, sizeof(err));
		else
			m = prom_histogram(reg, r->name, "h", bounds, 4, err,
			    sizeof(err));
		ok(m == NULL && err[0] != '\0', "refused: %s (%s)", r->why,
		    err);
	}
	ok(prom_histogram(reg, "outpost_h", "h", bad, 2, err, sizeof(err)) ==
	    NULL, "refused: decreasing bounds (%s)", err);
	ok(prom_counter(reg, "outpost_z_total", "h", "a", (const char *[])
	    { NULL }, NULL, NULL, err, sizeof(err)) == NULL,
	    "refused: a label without values (%s)", err);
	m = prom_counter(reg, "outpost_ok_total", "h", "action", actions, NULL,
	    NULL, err, sizeof(err));
	is_int(prom_inc(m, "other", NULL), -1, "undeclared value not counted");
	is_int(prom_inc(m, NULL, NULL), -1, "missing label value refused");
	is_int(prom_inc(m, "defer", "x"), -1, "value of an unused label");
	is_int(prom_get(m, "defer", NULL), 0, "nothing counted by refusals");
	is_int(prom_set(m, "defer", NULL, 5), -1, "prom_set of a counter");
	prom_free(reg);
}

/* ---- the text --------------------------------------------------------- */

static void
test_render(void)
{
	struct prom		*reg = prom_new();
	struct prom_metric	*dec, *msg, *lat, *gau, *esc;
	struct parsed		*ps = calloc(1, sizeof(*ps));
	char			 err[256], *text;
	int			 i;

	dec = prom_counter(reg, "outpost_policy_decisions_total",
	    "Policy decisions.", "action", actions, NULL, NULL, err,
	    sizeof(err));
	msg = prom_counter(reg, "outpost_milter_messages_total", "Messages.",
	    "direction", dirs, "result", results, err, sizeof(err));
	lat = prom_histogram(reg, "outpost_policy_latency_seconds",
	    "Latency.", bounds, 4, err, sizeof(err));
	gau = prom_gauge(reg, "outpost_users_paused", "Paused users.", NULL,
	    NULL, NULL, NULL, err, sizeof(err));
	esc = prom_counter(reg, "outpost_odd_total", "Back\\slash and\nnew "
	    "line, \"quotes\" kept.", "v", odd, NULL, NULL, err, sizeof(err));
	ok(dec && msg && lat && gau && esc && prom_process(reg, "1.\"2\"") ==
	    0, "families registered");
	prom_add(dec, "defer", NULL, 3);
	prom_inc(dec, "reject", NULL);
	prom_inc(msg, "outbound", "tempfail");
	prom_add(msg, "inbound", "accept", 7);
	prom_set(gau, NULL, NULL, 42);
	prom_inc(esc, "new\nline", NULL);
	prom_add(esc, "q\"uote", NULL, 2);
	prom_observe(lat, 0.0005);	/* first bucket */
	prom_observe(lat, 0.001);	/* le is inclusive */
	prom_observe(lat, 0.05);
	prom_observe(lat, 5);		/* +Inf only */
	prom_observe(lat, -1);		/* counted as 0 */

	text = prom_render(reg, NULL);
	if (!ok(parse(text, ps) == 0, "output follows the format (%s)",
	    ps->err))
		diag("%s", text);
	ok(value(ps, "outpost_policy_decisions_total", "action=defer", NULL) ==
	    3, "defer counted 3");
	ok(value(ps, "outpost_policy_decisions_total", "action=dunno", NULL) ==
	    0, "declared series present at 0");
	ok(value(ps, "outpost_milter_messages_total",
	    "direction=outbound|result=tempfail", NULL) == 1 &&
	    value(ps, "outpost_milter_messages_total",
	    "direction=inbound|result=accept", NULL) == 7 &&
	    value(ps, "outpost_milter_messages_total",
	    "direction=inbound|result=tempfail", NULL) == 0,
	    "two labels: each combination its own series");
	ok(value(ps, "outpost_users_paused", "", NULL) == 42, "gauge set");
	ok(value(ps, "outpost_odd_total", "v=new\nline", NULL) == 1 &&
	    value(ps, "outpost_odd_total", "v=q\"uote", NULL) == 2 &&
	    value(ps, "outpost_odd_total", "v=a\\b", NULL) == 0,
	    "label values escaped and unescaped back");
	for (i = 0; i < ps->nhelp; i++)
		if (strcmp(ps->helpfam[i], "outpost_odd_total") == 0)
			is_str(ps->help[i], "Back\\slash and\nnew line, "
			    "\"quotes\" kept.", "HELP escaped, quotes left");
	ok(strstr(text, "Back\\\\slash and\\nnew line, \"quotes\"") != NULL,
	    "HELP escapes backslash and newline only");
	ok(value(ps, "outpost_policy_latency_seconds_bucket", "", "0.001") ==
	    3 && value(ps, "outpost_policy_latency_seconds_bucket", "",
	    "0.01") == 3 && value(ps, "outpost_policy_latency_seconds_bucket",
	    "", "0.10000000000000001") == 4 &&
	    value(ps, "outpost_policy_latency_seconds_bucket", "", "+Inf") ==
	    5, "histogram buckets cumulative, le inclusive");
	ok(fabs(value(ps, "outpost_policy_latency_seconds_sum", "", NULL) -
	    5.0515) < 1e-9, "histogram _sum in seconds");
	ok(value(ps, "outpost_policy_latency_seconds_count", "", NULL) == 5,
	    "histogram _count");
	ok(value(ps, "outpost_build_info", "version=1.\"2\"", NULL) == 1,
	    "build_info{version} 1");
	ok(value(ps, "process_open_fds", "", NULL) >= 3 &&
	    value(ps, "process_resident_memory_bytes", "", NULL) > 100000 &&
	    value(ps, "process_cpu_seconds_total", "", NULL) >= 0 &&
	    value(ps, "process_start_time_seconds", "", NULL) > 1.6e9,
	    "process basics read from /proc");
	free(text);
	free(ps);
	prom_free(reg);
}

/* The checker itself: each broken text must be refused. */
static const char *const broken[] = {
	"# HELP a_total x\n# TYPE a_total counter\na_total 1",
	"# HELP a x\n# TYPE a counter\na 1\n",
	"# HELP a_total x\\t\n# TYPE a_total counter\na_total 1\n",
	"# HELP a x\n# TYPE a gauge\na{l=\"x\\y\"} 1\n",
	"# HELP a x\n# TYPE a gauge\na{l=\"x\"\"} 1\n",
	"# HELP a x\n# TYPE a gauge\nb 1\n",
	"a 1\n",
	"# HELP a x\n# TYPE a gauge\na one\n",
	"# HELP a x\n# TYPE a gauge\na 1 1700000000\n",
	"# HELP a x\n# TYPE a gauge\na 1\na 2\n",
	"# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n",
	"# HELP a x\n# TYPE a gauge\na 1\n\n",
	"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
	    "h_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
	"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
	    "h_sum 1\nh_count 1\n",
	"# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
	    "h_sum 1\nh_count 1\n",
	"# HELP a x\n# TYPE a gauge\na 1\n# HELP a x\n# TYPE a gauge\n",
};

static void
test_checker(void)
{
	struct parsed	*ps = calloc(1, sizeof(*ps));
	size_t		 i;

	for (i = 0; i < sizeof(broken) / sizeof(broken[0]); i++)
		ok(parse(broken[i], ps) < 0, "checker refuses %s (%s)",
		    tap_name(broken[i]), ps->err);
	free(ps);
}

/* ---- threads ---------------------------------------------------------- */

#define NTHREADS	4
#define NINCS		100000

static void *
worker(void *arg)
{
	struct prom_metric	*m = arg;
	int			 i;

	for (i = 0; i < NINCS; i++)
		prom_inc(m, i % 2 ? "defer" : "dunno", NULL);
	return NULL;
}

static void
test_threads(void)
{
	struct prom		*reg = prom_new();
	struct prom_metric	*m;
	pthread_t		 t[NTHREADS];
	char			 err[256];
	int			 i;

	m = prom_counter(reg, "outpost_t_total", "h", "action", actions, NULL,
	    NULL, err, sizeof(err));
	for (i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, m);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	is_int(prom_get(m, "dunno", NULL) + prom_get(m, "defer", NULL),
	    NTHREADS * NINCS, "no increment lost across threads");
	prom_free(reg);
}

int
main(void)
{
	test_refusals();
	test_render();
	test_checker();
	test_threads();
	ok(prom_free(NULL) == NULL, "prom_free(NULL)");
	return done_testing();
}
