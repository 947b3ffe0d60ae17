/*
 * Unit test of lib/dlog: which figures an event counts, and the KEYS and
 * ARGV the script is given (the script itself runs in t/feedback.t).
 */
#include <stdio.h>
#include <stdlib.h>
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
	is_int(cmd.nkeys, 12, "seq, e:, st, rt, who, schema, st:*, st:*:d, "
	    "all, u, r, q: no f for <>");
	is_str(cmd.argv[2], "outpost:{log}:st:alice:2", "st key of hour 2");
	is_str(cmd.argv[3], "outpost:{log}:rt:alice", "rt: one hash per user");
	is_str(cmd.argv[4], "outpost:{log}:who", "P{log}:who");
	is_str(cmd.argv[5], "outpost:schema", "the marker the script checks");
	is_str(cmd.argv[6], "outpost:{log}:st:*:2", "the fleet's st of hour 2");
	is_str(cmd.argv[7], "outpost:{log}:st:*:d:0", "the fleet's day 0");
	is_str(cmd.argv[8], "outpost:{log}:all", "all index");
	is_str(cmd.argv[11], "outpost:{log}:q:4Xyz", "queue index last");
	is_str(cmd.argv[cmd.nkeys + 9], "1", "ARGV[10]: marker checked");
	is_str(cmd.argv[cmd.nkeys + 10], "2", "ARGV[11] the hour");
	is_str(cmd.argv[cmd.nkeys + 11], "-167", "ARGV[12] rt keeps 2 - 169");
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
	    sizeof(err)) == 0 && cmd.nkeys == 8 &&
	    cmd.argc == 8 + 12 + 2, "counters only: 8 keys, 12 + 2 args");
	ok(dlog_build_count(c, "alice", 86400000LL * 3 - 1, DLOG_COMPLAINT,
	    &cmd, err, sizeof(err)) == 0 &&
	    strcmp(cmd.argv[7], "outpost:{log}:st:*:d:2") == 0 &&
	    strcmp(cmd.argv[6], "outpost:{log}:st:*:71") == 0,
	    "the last ms of day 2: hour 71, day 2");
	/* a Cluster: the marker is another slot, checked apart */
	free(c->redis_address);
	c->redis_address = strdup("cluster:127.0.0.1:7000");
	ok(dlog_mark_in_script(c) == 0, "cluster: not in the script");
	ok(dlog_build(c, &ev, &cmd, err, sizeof(err)) < 0, "(no status)");
	ev.status = "delivered";
	ok(dlog_build(c, &ev, &cmd, err, sizeof(err)) == 0 &&
	    strcmp(cmd.argv[5], "outpost:{log}:seq") == 0 &&
	    strcmp(cmd.argv[cmd.nkeys + 9], "0") == 0,
	    "cluster: KEYS[6] is the log's own seq, ARGV[10] 0");
	free(c->redis_address);
	c->redis_address = strdup("127.0.0.1:6379");
	ok(dlog_mark_in_script(c) == 1, "one server: in the script");
}

/* The argument index of the first arg equal to s from i on, or -1. */
static int
find(int argc, const char **argv, int i, const char *s)
{
	for (; i < argc; i++)
		if (strcmp(argv[i], s) == 0)
			return i;
	return -1;
}

/*
 * The fleet's day 0 in a batch (ARGV from j: nz, nh, the index groups,
 * the hash groups in KEYS order): sent 3, hard 1, delivered 2 -- one
 * group for the events of hours 2 and 3.
 */
static void
day_sums(int nk, const char **av, int j)
{
	int	 nz = atoi(av[j]), nh = atoi(av[j + 1]), k, i = j + 2, m;
	int	 kd = find(nk, av, 0, "outpost:{log}:st:*:d:0");
	char	 got[128] = "";

	for (k = 0; k < nz; k++)
		i += 2 + 2 * atoi(av[i + 1]);
	ok(kd >= 0 && find(nk, av, kd + 1, "outpost:{log}:st:*:d:0") < 0,
	    "the fleet's day 0: one KEY");
	for (k = 0; k < nh; k++) {
		m = atoi(av[i + 3]);
		if (4 + nz + k == kd) {
			for (i += 4; m-- > 0; i += 2)
				snprintf(got + strlen(got), sizeof(got) -
				    strlen(got), "%s=%s ", av[i], av[i + 1]);
			break;
		}
		i += 4 + 2 * m;
	}
	is_str(got, "sent=3 hard=1 delivered=2 ",
	    "the fleet's day 0: the sums of its two hours");
}

/*
 * Three events: two of alice's message 4Xyz (bob hard-bounced, carol
 * delivered, hour 2) and one of dave's (hour 3).  Each index key, counter
 * hash and Plog:who member appears once, counters as sums, members as
 * (T, event number) in order.
 */
static void
batch(struct conf *c)
{
	struct dlog_batch	*b = dlog_batch_new();
	struct dlog_event	 ev;
	const char		**av;
	const size_t		*al;
	char			 err[256];
	int			 nk, ac, i, j;

	memset(&ev, 0, sizeof(ev));
	ev.t = 7200000LL + 5, ev.who = "alice", ev.rcpt = "bob@example.net";
	ev.from = "a@example.com", ev.qid = "4Xyz", ev.status = "bounced";
	ev.category = "hard";
	ok(dlog_batch_add(b, c, &ev, err, sizeof(err)) == 0, "event 1");
	ev.t += 10, ev.rcpt = "carol@example.net", ev.status = "delivered";
	ev.category = "delivered";
	ok(dlog_batch_add(b, c, &ev, err, sizeof(err)) == 0, "event 2");
	ev.t = 3 * 3600000LL, ev.who = "dave", ev.rcpt = "bob@example.net";
	ev.qid = "5Abc", ev.from = "";
	ok(dlog_batch_add(b, c, &ev, err, sizeof(err)) == 0, "event 3");
	ev.status = NULL;
	ok(dlog_batch_add(b, c, &ev, err, sizeof(err)) < 0, "no status");
	is_int((int)dlog_batch_events(b), 3, "3 queued");
	ok(dlog_batch_cmd(b, c, &nk, &ac, &av, &al) == 0, "command built");
	/* all, u:alice, r:bob, f:a@, q:4Xyz, r:carol, u:dave, q:5Abc; 6
	 * hashes: st and rt of alice and dave, the fleet's st:* of hours 2
	 * and 3, the fleet's day 0 */
	is_int(nk, 4 + 8 + 7, "4 fixed keys, 8 indexes, 7 counter hashes");
	ok(find(nk, av, 0, "outpost:{log}:st:*:2") >= 0 &&
	    find(nk, av, 0, "outpost:{log}:st:*:3") >= 0,
	    "the fleet's st:* of both hours are KEYS");
	is_str(av[2], "outpost:schema", "the marker");
	is_str(av[4], "outpost:{log}:all", "first index: all");
	is_str(av[nk], "3", "ARGV[1] 3 events");
	i = find(ac, av, nk, "outpost:{log}:all");
	ok(i < 0, "keys only in KEYS");
	/* past the events (pair count, pairs) to Plog:who: 2 senders */
	for (i = nk + 5, j = 0; j < 3; j++)
		i += 1 + 2 * atoi(av[i]);
	ok(strcmp(av[i], "2") == 0 && strcmp(av[i + 1], "7200015") == 0 &&
	    strcmp(av[i + 2], "alice") == 0, "Plog:who: 2, alice at 7200015");
	/* all's members: 3 of them, (T, n) in order */
	j = i + 5;	/* past dave's pair: nz, nh */
	ok(strcmp(av[j], "8") == 0 && strcmp(av[j + 1], "7") == 0,
	    "8 indexes, 7 hashes");
	day_sums(nk, av, j);
	ok(strcmp(av[j + 3], "3") == 0 && strcmp(av[j + 5], "1") == 0 &&
	    strcmp(av[j + 7], "2") == 0 && strcmp(av[j + 9], "3") == 0,
	    "all: 3 members numbered 1, 2, 3");
	is_str(av[j + 2], "-594000000", "all's cut: dave's T (the latest) - 7d");
	i = find(ac, av, j, "attempts");
	ok(i > 0 && strcmp(av[i + 1], "2") == 0, "alice's rt attempts: 2");
	ok(i > 4 && strcmp(av[i - 3], "-167") == 0 &&
	    strcmp(av[i - 2], "2") == 0, "rt group: lowest hour kept, hour 2");
	i = find(ac, av, nk, "outpost:{log}:rt:alice");
	ok(i < 0, "rt keys only in KEYS");
	ok(dlog_batch_cmd(b, c, &nk, &ac, &av, &al) == 0 && nk == 19,
	    "built again: the same");
	dlog_batch_clear(b);
	is_int((int)dlog_batch_events(b), 0, "cleared");
	b = dlog_batch_free(b);
	ok(b == NULL && dlog_batch_free(NULL) == NULL, "free returns NULL");
}

int
main(void)
{
	struct conf	 c;

	conf_init(&c);
	figures();
	build(&c);
	batch(&c);
	conf_free(&c);
	return done_testing();
}
