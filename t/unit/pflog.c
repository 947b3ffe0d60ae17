/*
 * Unit test of lib/pflog: golden files (every line of t/unit/pflog/
 * lines.in parsed and printed must equal the same line of lines.ok;
 * lines.in holds lines of a real Postfix 3.7 run followed by hand-made
 * ones of the shapes a test bed does not produce), then direct checks of
 * the fields a consumer relies on, the time stamps, the bounds, and a
 * timing (printed, not asserted).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pflog.h"
#include "../tap.h"

#define GOLDEN "t/unit/pflog/lines"

static struct pflog_rec	 R;

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*buf;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = calloc(1, (size_t)n + 1);
	if (fread(buf, 1, (size_t)n, fp) != (size_t)n)
		buf[0] = '\0';
	fclose(fp);
	return buf;
}

static void
golden(void)
{
	char	*in = slurp(GOLDEN ".in"), *want = slurp(GOLDEN ".ok");
	char	*p, *nl, *w, *wnl, *got;
	size_t	 len;
	FILE	*mem;
	int	 n = 0, bad = 0;

	if (!ok(in != NULL && want != NULL, "golden files readable"))
		return;
	for (p = in, w = want; *p != '\0'; p = nl + 1, w = wnl + 1) {
		n++;
		nl = strchr(p, '\n');
		wnl = strchr(w, '\n');
		if (nl == NULL || wnl == NULL)
			break;
		mem = open_memstream(&got, &len);
		pflog_parse(&R, p, (size_t)(nl - p), 2026, 0);
		pflog_print(&R, mem);
		fclose(mem);
		if (len != (size_t)(wnl - w + 1) || memcmp(got, w, len) != 0) {
			bad++;
			diag("line %d:\n#      got: %s#   expected: %.*s", n,
			    got, (int)(wnl - w), w);
		}
		free(got);
	}
	ok(bad == 0 && n > 100, "golden: %d lines, %d differ", n, bad);
	free(in);
	free(want);
}

static void
parse(const char *line)
{
	pflog_parse(&R, line, strlen(line), 2026, 0);
}

static void
delivery_fields(void)
{
	parse("Dec  2 05:31:14 mx postfix/smtp[6043]: 4jfRFF5vG5z1bnpv: "
	    "to=<gmail@example.org>, relay=mx.example[2001:db8::1]:25, "
	    "delay=0.66, delays=0.18/0.15/0.02/0.31, dsn=5.1.1, "
	    "status=bounced (host mx.example[2001:db8::1] said: 550-5.1.1 "
	    "The email account that you tried to reach does not exist. "
	    "(in reply to RCPT TO command))\n");
	is_int(R.kind, PFLOG_DELIVERY, "gmail: delivery");
	is_str(R.qid, "4jfRFF5vG5z1bnpv", "gmail: long queue id");
	is_str(R.relay, "mx.example", "gmail: relay host");
	is_str(R.relay_addr, "2001:db8::1", "gmail: IPv6 relay address");
	is_int(R.relay_port, 25, "gmail: relay port");
	is_int(R.st, PFLOG_ST_BOUNCED, "gmail: status bounced");
	is_int(R.code, 550, "gmail: code from 550-");
	is_str(R.enh, "5.1.1", "gmail: enhanced code");
	is_int(R.stage, PFLOG_STAGE_RCPT, "gmail: stage RCPT");
	is_str(R.reply, "550-5.1.1 The email account that you tried to "
	    "reach does not exist.", "gmail: reply without the trailer");
	ok(R.delay > 0.659 && R.delay < 0.661, "gmail: delay 0.66");
	is_int(R.time, 1796189474, "classic stamp, year 2026, UTC");
	parse("Dec 02 05:31:14 mx postfix/smtp[1]: ABCDE12345: removed");
	is_int(R.time, 1796189474, "Postfix maillog_file stamp \"Dec 02\"");
	pflog_parse(&R, "Dec 02 05:31:14 mx postfix/smtp[1]: ABCDE12345: "
	    "removed", 48, 2026, 3600);
	is_int(R.time, 1796189474 - 3600, "tzoff 3600: an hour earlier UTC");
	parse("2026-12-02T06:31:14.5+01:00 mx postfix-out/qmgr[7]: "
	    "ABCDE12345: removed");
	ok(R.time == 1796189474 && R.usec == 500000,
	    "RFC 3339 with offset and fraction");
	is_str(R.service, "postfix-out/qmgr", "multi-instance service");
	is_str(R.daemon, "qmgr", "its daemon");
	is_int(R.kind, PFLOG_REMOVED, "removed");
}

/* Local submissions (pickup) and soft_bounce = yes. */
static void
pickup_softbounce(void)
{
	parse("Dec 02 09:22:05 mx postfix/pickup[813]: 4jfXMd6sk5z1bvrd: "
	    "uid=1000 from=<alice@example.org>");
	is_int(R.kind, PFLOG_PICKUP, "pickup: kind");
	is_int(R.uid, 1000, "pickup: uid");
	is_str(R.from, "alice@example.org", "pickup: from, brackets off");
	ok(R.orig_id == NULL, "pickup: no orig_id");
	parse("Dec 02 09:22:05 mx postfix/pickup[813]: 4jfXMd6sk5z1bvrd: "
	    "uid=0 from=<> orig_id=4jfXMf34Cnz1bvsc");
	is_str(R.orig_id, "4jfXMf34Cnz1bvsc", "pickup: orig_id (postsuper -r)");
	is_str(R.from, "", "pickup: null sender");
	parse("Dec 02 09:22:05 mx postfix/pickup[813]: 4jfXMd6sk5z1bvrd: "
	    "uid=-3 from=<root>");
	is_int(R.kind, PFLOG_OTHER, "pickup: a uid that is no number");
	parse("Dec 02 09:22:14 mx postfix/smtp[1102]: 4jfXMp1BSZz1bvsj: "
	    "to=<u@example.org>, relay=none, delay=0.4, dsn=4.1.1, "
	    "status=SOFTBOUNCE (host said: 550 5.1.1 no)");
	is_int(R.st, PFLOG_ST_SOFTBOUNCE, "status=SOFTBOUNCE");
	is_str(pflog_status_name(R.st), "softbounce", "its name");
}

static void
bounds(void)
{
	static char	 big[3 * PFLOG_LINE_MAX];
	const char	*pre = "Dec  2 05:31:14 mx postfix/smtp[1]: "
	    "ABCDE12345: ";
	size_t		 n = strlen(pre);

	memcpy(big, pre, n);
	while (n + 6 < sizeof(big) - 1) {
		memcpy(big + n, "to=a, ", 6);
		n += 6;
	}
	big[n] = '\0';
	pflog_parse(&R, big, n, 2026, 0);
	ok(R.truncated && R.used <= sizeof(R.arena) && R.to != NULL,
	    "repeated fields past PFLOG_LINE_MAX: truncated, arena bounded");
	memset(big, '(', sizeof(big) - 1);
	pflog_parse(&R, big, sizeof(big) - 1, 2026, 0);
	is_int(R.kind, PFLOG_UNKNOWN, "garbage of parentheses: unknown");
	parse("");
	ok(R.kind == PFLOG_UNKNOWN && R.host == NULL && R.time == -1,
	    "empty line: unknown, nothing set");
}

static void
timing(void)
{
	char		*in = slurp(GOLDEN ".in"), *p, *nl;
	struct timespec	 a, b;
	long		 lines = 0, i;
	double		 ns;

	if (in == NULL)
		return;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (i = 0; i < 2000; i++)
		for (p = in; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			pflog_parse(&R, p, (size_t)(nl - p), 2026, 0);
			lines++;
		}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	diag("timing: %ld lines of lines.in, %.0f ns CPU per line", lines,
	    ns / (double)lines);
	free(in);
}

int
main(void)
{
	golden();
	pickup_softbounce();
	delivery_fields();
	bounds();
	timing();
	return done_testing();
}
