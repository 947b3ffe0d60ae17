/*
 * Unit test of lib/dlog: which figures an event counts, and the KEYS and
 * ARGV the script is given (the script itself runs in t/feedback.t).
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "dlog.h"
#include "../tap.h"

static void
figures(void)
{
	static const struct {
		const char *status, *cat, *st, *rt;
	} cases[] = {
		{ "delivered", "delivered", "sent delivered", "attempts delivered" },
		{ "bounced", "hard", "sent hard", "attempts hard" },
		{ "bounced", "block", "sent block", "attempts" },
		{ "bounced", "soft", "sent soft", "attempts" },
		{ "expired", "expired", "sent expired", "attempts" },
		{ "deferred", "block", "deferred", "" },
		{ "refused", "refused", "refused", "" },
		{ "bounced", "notice", "", "" },
		{ "delivered", "notice", "", "" },
		{ "deferred", "notice", "", "" },
		{ "weird", NULL, "", "" },
	};
	const char	*st[DLOG_FIG_MAX], *rt[DLOG_FIG_MAX];
	char		 a[128], b[128];
	size_t		 i;
	int		 nst, nrt, j;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dlog_figures(cases[i].status, cases[i].cat, st, &nst, rt, &nrt);
		a[0] = b[0] = '\0';
		for (j = 0; j < nst; j++)
			snprintf(a + strlen(a), sizeof(a) - strlen(a), "%s%s",
			    j ? " " : "", st[j]);
		for (j = 0; j < nrt; j++)
			snprintf(b + strlen(b), sizeof(b) - strlen(b), "%s%s",
			    j ? " " : "", rt[j]);
		is_str(a, cases[i].st, "st fields");
		is_str(b, cases[i].rt, "rt fields");
	}
}

static void
build(struct conf *c)
{
	struct dlog_event	 ev;
	struct dlog_cmd		 cmd;
	char			 err[256], big[3000];
	int			 i;

	memset(&ev, 0, sizeof(ev));
	ev.t = 7200000LL + 5;
	ev.who = "alice";
	ev.rcpt = "bob@example.net";
	ev.from = "";
	ev.qid = "4Xyz";
	ev.status = "bounced";
	ev.category = "hard";
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev.reply = big;
	ev.code = 550;
	ok(dlog_build(c, &ev, &cmd, err, sizeof(err)) == 0, "built");
	is_int(cmd.nkeys, 10,
	    "seq, e:, st, rt, who, schema, all, u, r, q: no f for <>");
	is_str(cmd.argv[2], "outpost:{u:alice}:st:2", "st key of hour 2");
	is_str(cmd.argv[4], "outpost:log:who", "Plog:who");
	is_str(cmd.argv[5], "outpost:schema", "the marker the script checks");
	is_str(cmd.argv[6], "outpost:log:all", "all index");
	is_str(cmd.argv[9], "outpost:log:q:4Xyz", "queue index last");
	is_str(cmd.argv[cmd.nkeys + 7], "alice", "ARGV[8] WHO");
	is_str(cmd.argv[cmd.nkeys + 8], "-3016799995", "ARGV[9] T - 35 days");
	is_str(cmd.argv[cmd.nkeys], "7200005", "ARGV[1] T");
	for (i = cmd.nkeys; i + 1 < cmd.argc; i++)
		if (strcmp(cmd.argv[i], "reply") == 0)
			break;
	ok(i + 1 < cmd.argc && cmd.argvlen[i + 1] == SCHEMA_REPLY_MAX,
	    "reply cut at 2048");
	ev.who = "[10.0.0.1";
	ok(dlog_build(c, &ev, &cmd, err, sizeof(err)) < 0, "bad who refused");
	ev.who = "alice";
	ev.status = NULL;
	ok(dlog_build(c, &ev, &cmd, err, sizeof(err)) < 0, "no status");
	ok(dlog_build_count(c, "alice", 3600000, DLOG_COMPLAINT, &cmd, err,
	    sizeof(err)) == 0 && cmd.nkeys == 6 &&
	    cmd.argc == 6 + 9 + 2, "counters only: 6 keys, 9 + 2 args");
}

int
main(void)
{
	struct conf	 c;

	conf_init(&c);
	figures();
	build(&c);
	conf_free(&c);
	return done_testing();
}
