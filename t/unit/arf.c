/*
 * Unit test of lib/arf.  Golden files: each t/unit/arf/NAME.eml is parsed
 * and every field found is printed, one per line; the print must equal
 * t/unit/arf/NAME.ok byte for byte (so a field set wrongly, or set when
 * it should be absent, fails).  Then the attribution facts a caller
 * relies on, asserted one by one: the queue ID picked by the by-host
 * list, the redaction flag, the size limit, byte-level edge cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arf.h"
#include "../tap.h"

#define GOLDEN "t/unit/arf"

static const char *const samples[] = {
	"rfc5965", "yahoo", "aol", "jmrp", "redacted", "base64", "qp",
	"crlf", "bounce", "truncated", "received3", "report-only",
	"text-third", "fastmail",
};

static char *
slurp(const char *path, size_t *len)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		n = 0;
	fclose(fp);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

static void
field(FILE *o, const char *name, const char *v)
{
	if (v != NULL)
		fprintf(o, "%s: %s\n", name, v);
}

static void
flags(FILE *o, unsigned int f)
{
	static const char *const names[] = {
		"no-report", "no-original", "orig-headers", "orig-text",
		"orig-decoded", "no-type", "truncated", "cut", "limit",
		"bad-encoding", "loose", "rcpt-redacted"
	};
	size_t	 i;
	int	 first = 1;

	fputs("flags:", o);
	if (f == 0)
		fputs(" -", o);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & (1u << i)) {
			fprintf(o, "%s%s", first ? " " : ",", names[i]);
			first = 0;
		}
	fputc('\n', o);
}

static void
dump(FILE *o, const struct arf_report *r)
{
	static const char *const kinds[] = { "none", "arf", "jmrp" };
	const struct arf_original *g = &r->orig;
	size_t	 i;

	fprintf(o, "kind: %s\nis_arf: %d\n", kinds[r->kind], r->is_arf);
	field(o, "why", r->why[0] ? r->why : NULL);
	flags(o, r->flags);
	field(o, "report_from", r->report_from);
	field(o, "report_subject", r->report_subject);
	if (r->type != ARF_TYPE_NONE)
		fprintf(o, "type: %s\n", arf_type_name(r->type));
	field(o, "feedback_type", r->feedback_type);
	field(o, "user_agent", r->user_agent);
	field(o, "version", r->version);
	field(o, "mail_from", r->mail_from);
	for (i = 0; i < r->nrcpt_to; i++)
		fprintf(o, "rcpt_to[%zu]: %s\n", i, r->rcpt_to[i]);
	field(o, "arrival_date", r->arrival_date);
	field(o, "source_ip", r->source_ip);
	field(o, "reported_domain", r->reported_domain);
	for (i = 0; i < r->nreported_uri; i++)
		fprintf(o, "reported_uri[%zu]: %s\n", i, r->reported_uri[i]);
	field(o, "auth_results", r->auth_results);
	field(o, "auth_failure", r->auth_failure);
	field(o, "incidents", r->incidents);
	field(o, "envelope_id", r->envelope_id);
	field(o, "reporting_mta", r->reporting_mta);
	field(o, "orig.message_id", g->message_id);
	field(o, "orig.from", g->from);
	field(o, "orig.from_addr", g->from_addr);
	field(o, "orig.to", g->to);
	field(o, "orig.to_addr", g->to_addr);
	field(o, "orig.subject", g->subject);
	field(o, "orig.date", g->date);
	field(o, "orig.return_path", g->return_path);
	field(o, "orig.ms_rcpt", g->ms_rcpt);
	for (i = 0; i < g->nreceived; i++)
		fprintf(o, "orig.received[%zu]: by=%s id=%s\n", i,
		    g->received[i].by ? g->received[i].by : "-",
		    g->received[i].id ? g->received[i].id : "-");
	for (i = 0; i < g->ndkim; i++)
		fprintf(o, "orig.dkim_d[%zu]: %s\n", i, g->dkim_d[i]);
}

static void
golden(const char *name)
{
	char			 in[512], okf[512], err[256], *msg, *got, *want;
	struct arf_report	 r;
	FILE			*mem;
	size_t			 len, glen;

	snprintf(in, sizeof(in), "%s/%s.eml", GOLDEN, name);
	snprintf(okf, sizeof(okf), "%s/%s.ok", GOLDEN, name);
	if ((msg = slurp(in, &len)) == NULL) {
		ok(0, "%s: cannot read %s", name, in);
		return;
	}
	mem = open_memstream(&got, &glen);
	if (arf_parse(msg, len, 0, &r, err, sizeof(err)) < 0)
		fprintf(mem, "error: %s\n", err);
	else
		dump(mem, &r);
	fclose(mem);
	arf_report_free(&r);
	want = slurp(okf, NULL);
	is_str(got, want ? want : "(missing .ok file)", name);
	free(got);
	free(want);
	free(msg);
}

static int
parse_file(const char *name, size_t max, struct arf_report *r)
{
	char	 path[512], err[256], *msg;
	size_t	 len;
	int	 rc;

	snprintf(path, sizeof(path), "%s/%s.eml", GOLDEN, name);
	if ((msg = slurp(path, &len)) == NULL)
		return -1;
	rc = arf_parse(msg, len, max, r, err, sizeof(err));
	free(msg);
	return rc;
}

/* The caller's own MTA names pick its hop among the Received fields. */
static void
queue_ids(void)
{
	struct arf_report	 r;
	const char		*ours[] = { "mx.example" };
	const char		*two[] = { "nowhere.example", "FILTER.bigmail.example" };
	const char		*none[] = { "other.example" };

	is_int(parse_file("received3", 0, &r), 0, "received3 parses");
	is_int((long long)r.orig.nreceived, 3, "received3: 3 hops");
	is_str(arf_queue_id(&r, ours, 1), "4ZkQ3R4S5Tz6UV7",
	    "our hop picked (by host compared without case)");
	is_str(arf_queue_id(&r, two, 2), "222BBB", "second host of the list");
	ok(arf_queue_id(&r, none, 1) == NULL, "no hop of ours: NULL");
	ok(arf_queue_id(&r, ours, 0) == NULL, "empty list: NULL");
	arf_report_free(&r);

	is_int(parse_file("crlf", 0, &r), 0, "crlf parses");
	is_str(arf_queue_id(&r, ours, 1), "4ZhZz00001z1NO8",
	    "crlf: queue ID without the CR");
	arf_report_free(&r);

	is_int(parse_file("text-third", 0, &r), 0, "text-third parses");
	is_str(arf_queue_id(&r, ours, 1), "4ZmM1N2O3Pz4QR5",
	    "local-pickup hop (\"by mx.example (Postfix, from userid 0) id\")");
	arf_report_free(&r);
}

static void
redaction(void)
{
	struct arf_report	 r;

	parse_file("redacted", 0, &r);
	ok(r.flags & ARF_F_RCPT_REDACTED, "To: xxxxx and no Original-Rcpt-To");
	arf_report_free(&r);
	parse_file("aol", 0, &r);
	ok(r.flags & ARF_F_RCPT_REDACTED, "To: redacted@aol.example");
	arf_report_free(&r);
	parse_file("yahoo", 0, &r);
	ok(!(r.flags & ARF_F_RCPT_REDACTED), "yahoo names the recipient");
	arf_report_free(&r);
	parse_file("jmrp", 0, &r);
	ok(!(r.flags & ARF_F_RCPT_REDACTED), "jmrp: X-HmXmrOriginalRecipient");
	arf_report_free(&r);
}

/* The size limit cuts; the report's fields before the cut survive. */
static void
limits(void)
{
	struct arf_report	 r;
	char			*big, err[64];
	size_t			 i, n;

	is_int(parse_file("yahoo", 1200, &r), 0, "yahoo cut at 1200 bytes");
	ok((r.flags & ARF_F_CUT) && (r.flags & ARF_F_TRUNCATED),
	    "cut and truncated flagged");
	is_str(r.user_agent, "Yahoo!-Mail-Feedback/2.0", "report part kept");
	ok(r.orig.message_id == NULL, "original beyond the cut not read");
	arf_report_free(&r);

	/* 100 Received fields: 32 kept, the limit flagged */
	n = 100 * 64 + 256;
	big = calloc(1, n);
	strcpy(big, "Content-Type: multipart/report; report-type="
	    "feedback-report; boundary=b\n\n--b\nContent-Type: "
	    "message/rfc822\n\n");
	for (i = 0; i < 100; i++)
		sprintf(big + strlen(big), "Received: by h%zu.example id Q%zu\n",
		    i, i);
	strcat(big, "\n--b--\n");
	is_int(arf_parse(big, strlen(big), 0, &r, err, sizeof(err)), 0,
	    "100 Received fields parse");
	is_int((long long)r.orig.nreceived, ARF_MAX_RECEIVED, "32 kept");
	ok(r.flags & ARF_F_LIMIT, "limit flagged");
	is_str(r.orig.received[31].id, "Q31", "in order");
	arf_report_free(&r);
	free(big);
}

static void
edges(void)
{
	struct arf_report	 r;
	char			 err[64];
	static const char	 nul[] = "Content-Type: text/plain\n\nx\0y";
	static const char	 deep[] =
	    "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	    "Content-Type: message/feedback-report\n\n"
	    "Feedback-Type: FRAUD\nFeedback-Type: abuse\n--a--\n";

	is_int(arf_parse(NULL, 0, 0, &r, err, sizeof(err)), 0, "NULL input");
	is_str(r.why, "empty message", "empty: why");
	ok(r.kind == ARF_KIND_NONE && r.is_arf == 0, "empty: not ARF");
	arf_report_free(&r);
	arf_report_free(&r);
	arf_report_free(NULL);

	is_int(arf_parse(nul, sizeof(nul) - 1, 0, &r, err, sizeof(err)), 0,
	    "NUL byte in the body");
	is_str(r.why, "Content-Type text/plain, not multipart/report",
	    "plain mail: why");
	arf_report_free(&r);

	is_int(arf_parse(deep, sizeof(deep) - 1, 0, &r, err, sizeof(err)), 0,
	    "feedback-report in multipart/mixed");
	ok(r.is_arf && (r.flags & ARF_F_LOOSE), "loose ARF");
	is_str(r.feedback_type, "fraud", "first Feedback-Type, lower case");
	ok(r.type == ARF_TYPE_FRAUD, "type fraud");
	ok(r.flags & ARF_F_NO_ORIGINAL, "no original");
	arf_report_free(&r);

	/* a quoted boundary holding ';' and a quoted-pair; bad base64 */
	{
		static const char q[] =
		    "Content-Type: multipart/report; boundary=\"x;\\\"y\";\n"
		    "  report-type=\"feedback-report\"\n\n"
		    "--x;\"y\n"
		    "Content-Type: message/feedback-report\n\n"
		    "Feedback-Type: virus\n"
		    "--x;\"y\n"
		    "Content-Type: message/rfc822\n"
		    "Content-Transfer-Encoding: BASE64\n\n"
		    "TWVzc2FnZS1JRDog!PGFAYj4K\n"
		    "--x;\"y--\n";

		is_int(arf_parse(q, sizeof(q) - 1, 0, &r, err, sizeof(err)),
		    0, "quoted boundary with ';' and '\\\"'");
		ok(r.is_arf && !(r.flags & ARF_F_LOOSE), "strict ARF");
		ok(r.type == ARF_TYPE_VIRUS, "virus");
		is_str(r.orig.message_id, "<a@b>", "base64 decoded past a bad byte");
		ok((r.flags & ARF_F_BAD_ENCODING) && (r.flags & ARF_F_ORIG_DECODED),
		    "bad-encoding and orig-decoded flagged");
		arf_report_free(&r);
	}

	is_str(arf_type_name(ARF_TYPE_NOT_SPAM), "not-spam", "type name");
	is_str(arf_type_name(ARF_TYPE_AUTH_FAILURE), "auth-failure",
	    "type name auth-failure");
}

/* "arf.t NAME" prints what NAME.eml parses to: a new .ok file, to review. */
static int
print_one(const char *name)
{
	char			 in[512], err[256], *msg;
	struct arf_report	 r;
	size_t			 len;

	snprintf(in, sizeof(in), "%s/%s.eml", GOLDEN, name);
	if ((msg = slurp(in, &len)) == NULL)
		return 1;
	if (arf_parse(msg, len, 0, &r, err, sizeof(err)) < 0)
		printf("error: %s\n", err);
	else
		dump(stdout, &r);
	arf_report_free(&r);
	free(msg);
	return 0;
}

int
main(int argc, char **argv)
{
	size_t	 i;

	if (argc == 2)
		return print_one(argv[1]);
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		golden(samples[i]);
	queue_ids();
	redaction();
	limits();
	edges();
	return done_testing();
}
