/*
 * Test of lib/redis (sync client) and lib/refund against a real
 * redis-server started here on a temporary unix socket (skipped when
 * redis-server is not installed): END-OF-MESSAGE counting through the same
 * script as the daemon, policy_refund giving it back exactly once,
 * EVALSHA after SCRIPT FLUSH (NOSCRIPT reload), errors while Redis is down
 * and the reconnect once it is back.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "pscript.h"
#include "redis.h"
#include "refund.h"
#include "../tap.h"

static char	 dir[] = "/tmp/outpost-refund-XXXXXX", sock[128];
static pid_t	 server;

static void
start(void)
{
	struct stat	 st;
	int		 i;

	if ((server = fork()) == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", "0",
		    "--unixsocket", sock, "--save", "", "--appendonly", "no",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && stat(sock, &st) < 0; i++)
		usleep(20000);
	usleep(50000);
}

static void
stop(void)
{
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	unlink(sock);
}

static long long
cmd_int(struct redis *r, const char *fmt, const char *a)
{
	redisReply	*rep = redis_command(r, fmt, a);
	long long	 v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_INTEGER)
		v = rep->integer;
	else if (rep != NULL && rep->type == REDIS_REPLY_STRING)
		v = atoll(rep->str);
	else if (rep != NULL && rep->type == REDIS_REPLY_NIL)
		v = 0;
	if (rep != NULL)
		freeReplyObject(rep);
	return v;
}

/* END-OF-MESSAGE for carol: 1 message, rcpt recipients, size bytes. */
static const char *
eomx(struct redis *r, const char *qid, const char *rcpt, const char *size)
{
	static char	 what[256];
	char		 q[128];
	const char	*argv[16] = { "outpost:{u:carol}:acct",
	    "outpost:{u:carol}:plim", "outpost:{u:carol}:lim",
	    "outpost:{u:carol}:c:", q, "0", "reject", "default", "", "", "",
	    rcpt, size, "3600", "0", *qid ? "1" : "0" };
	redisReply	*rep;

	snprintf(q, sizeof(q), "outpost:{u:carol}:q:%s", qid);
	rep = redis_eval(r, pscript_eom, 5, 16, argv, NULL);

	snprintf(what, sizeof(what), "%s", rep == NULL ? redis_errstr(r) :
	    rep->element[0]->str);
	if (rep != NULL && rep->elements > 1 &&
	    rep->element[1]->type == REDIS_REPLY_STRING)
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
		    " %s", rep->element[1]->str);
	if (rep != NULL)
		freeReplyObject(rep);
	return what;
}

static const char *
eom(struct redis *r, const char *qid)
{
	return eomx(r, qid, "2", "500");
}

/* The amounts of a counter's slots (or a record's fields): every field
 * but the scripts' summary "n" and "lo" (lib/pscript.h). */
static long long
sum(struct redis *r, const char *key)
{
	redisReply	*rep = redis_command(r, "HGETALL %s", key);
	long long	 n = 0;
	size_t		 i;

	for (i = 0; rep != NULL && i + 1 < rep->elements; i += 2)
		if (strcmp(rep->element[i]->str, "n") != 0 &&
		    strcmp(rep->element[i]->str, "lo") != 0)
			n += atoll(rep->element[i + 1]->str);
	if (rep != NULL)
		freeReplyObject(rep);
	return n;
}

static long long
hget(struct redis *r, const char *key, const char *field)
{
	redisReply	*rep = redis_command(r, "HGET %s %s", key, field);
	long long	 v = -1;

	if (rep != NULL && rep->type == REDIS_REPLY_STRING)
		v = atoll(rep->str);
	if (rep != NULL)
		freeReplyObject(rep);
	return v;
}

int
main(void)
{
	struct conf	 c;
	struct redis	*r;
	redisReply	*rep;
	char		 err[256], addr[160];

	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP redis-server not installed\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);	/* as every user of lib/redis must */
	mkdtemp(dir);
	snprintf(sock, sizeof(sock), "%s/r.sock", dir);
	start();
	conf_init(&c);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	conf_set(&c, "redis_address", addr, err, sizeof(err));
	conf_set(&c, "redis_timeout", "500ms", err, sizeof(err));
	ok((r = redis_new(&c, err, sizeof(err))) != NULL, "redis_new");
	is_int(redis_connect(r), 0, "connected");
	rep = redis_command(r, "HSET %s plan %s state active",
	    "outpost:{u:carol}:acct", "p");
	freeReplyObject(rep);
	rep = redis_command(r, "HSET outpost:{u:carol}:plim =plan p "
	    "messages/3600 10 recipients/86400 100 bytes/month 100000");
	freeReplyObject(rep);

	is_str(eom(r, "Q1"), "ok", "message Q1 counted");
	is_str(eom(r, "Q2"), "ok", "message Q2 counted");
	is_int(sum(r, "outpost:{u:carol}:c:recipients/86400"), 4,
	    "4 recipients counted");
	ok(cmd_int(r, "TTL %s", "outpost:{u:carol}:q:Q1") > 3000,
	    "refund record has a TTL");
	is_int(policy_refund(r, &c, "carol", "Q1", err, sizeof(err)), 3,
	    "refund Q1: 3 counters");
	is_int(sum(r, "outpost:{u:carol}:c:messages/3600"), 1,
	    "messages back to 1");
	is_int(sum(r, "outpost:{u:carol}:c:recipients/86400"), 2,
	    "recipients back to 2");
	is_int(sum(r, "outpost:{u:carol}:c:bytes/month"), 500,
	    "bytes back to 500");
	is_int(policy_refund(r, &c, "carol", "Q1", err, sizeof(err)), 0,
	    "second refund of Q1: nothing (idempotent)");
	is_int(sum(r, "outpost:{u:carol}:c:messages/3600"), 1,
	    "still 1 after the second refund");
	is_int(policy_refund(r, &c, "carol", "NOSUCH", err, sizeof(err)), 0,
	    "unknown queue id: nothing");
	is_int(policy_refund(r, &c, "bad{name", "Q1", err, sizeof(err)), -1,
	    "invalid user name refused");

	/* Bad counts: an error before the first write, nothing counted. */
	is_int(sum(r, "outpost:{u:carol}:c:messages/3600"), 1, "1 message");
	ok(strstr(eomx(r, "Q4", "1.5", "500"), "bad recipient_count") != NULL,
	    "recipient_count 1.5: error reply");
	ok(strstr(eomx(r, "Q4", "1", "-5"), "bad recipient_count") != NULL,
	    "size -5: error reply");
	ok(strstr(eomx(r, "Q4", "1234567890123456", "1"), "bad") != NULL,
	    "16 digits: error reply");
	is_int(sum(r, "outpost:{u:carol}:c:messages/3600"), 1,
	    "... and no message counted by them");
	is_int(cmd_int(r, "EXISTS %s", "outpost:{u:carol}:q:Q4"), 0,
	    "... nor a refund record written");
	is_str(eomx(r, "Q5", "", ""), "ok", "empty counts are 0");
	is_int(sum(r, "outpost:{u:carol}:c:recipients/86400"), 2,
	    "... no recipient counted");

	/* The same queue ID twice (two MTAs): the first record is kept. */
	is_int(sum(r, "outpost:{u:carol}:c:recipients/86400"), 2, "2 rcpts");
	is_str(eomx(r, "QD", "3", "700"), "ok", "QD on one MTA");
	is_str(eomx(r, "QD", "5", "900"), "ok duplicate",
	    "QD again (another MTA): counted, reported as a duplicate");
	is_int(sum(r, "outpost:{u:carol}:c:recipients/86400"), 10,
	    "both counted: 10 recipients");
	is_int(sum(r, "outpost:{u:carol}:q:QD"), 1 + 3 + 700,
	    "the record holds the first message only");
	is_int(policy_refund(r, &c, "carol", "QD", err, sizeof(err)), 3,
	    "refund QD");
	is_int(sum(r, "outpost:{u:carol}:c:recipients/86400"), 7,
	    "one message's recipients given back, not both");
	is_int(policy_refund(r, &c, "carol", "QD", err, sizeof(err)), 0,
	    "a second refund of QD: nothing");

	/* The counters' summary: n is the slots' sum through counts and
	 * refunds; an n above it (a refund by an older version that left n
	 * alone) does not refuse, and the next count writes it right. */
	is_int(hget(r, "outpost:{u:carol}:c:recipients/86400", "n"), 7,
	    "n follows counts and refunds (recipients)");
	is_int(hget(r, "outpost:{u:carol}:c:messages/3600", "n"),
	    sum(r, "outpost:{u:carol}:c:messages/3600"), "... (messages)");
	ok(hget(r, "outpost:{u:carol}:c:messages/3600", "lo") > 0,
	    "lo is written");
	is_int(hget(r, "outpost:{u:carol}:c:bytes/month", "n"), -1,
	    "a month counter has no summary (one slot)");
	rep = redis_command(r, "HSET %s n 10",
	    "outpost:{u:carol}:c:messages/3600");
	freeReplyObject(rep);
	is_str(eom(r, "Q6"), "ok",
	    "n says the limit of 10 is reached, the slots say 3: counted");
	is_int(hget(r, "outpost:{u:carol}:c:messages/3600", "n"), 4,
	    "... and n is the slots' sum again");
	rep = redis_command(r, "HSET %s lo 1000 n 0",
	    "outpost:{u:carol}:c:messages/3600");
	freeReplyObject(rep);
	is_str(eom(r, "Q7"), "ok", "lo out of the window: the slots are read");
	is_int(hget(r, "outpost:{u:carol}:c:messages/3600", "n"), 5,
	    "... n rewritten from them");
	is_int(sum(r, "outpost:{u:carol}:c:messages/3600"), 5,
	    "... as they sum");
	ok(hget(r, "outpost:{u:carol}:c:messages/3600", "lo") > 1000,
	    "... and lo");

	rep = redis_command(r, "SCRIPT FLUSH");
	freeReplyObject(rep);
	is_str(eom(r, "Q3"), "ok", "EVALSHA after SCRIPT FLUSH (NOSCRIPT "
	    "reload)");
	ok(redis_command(r, "NOSUCHCOMMAND") == NULL &&
	    strstr(redis_errstr(r), "unknown command") != NULL &&
	    !redis_is_io_error(r), "error reply: %s", redis_errstr(r));

	stop();
	ok(redis_command(r, "PING") == NULL && redis_is_io_error(r),
	    "Redis down: %s", redis_errstr(r));
	start();
	rep = redis_command(r, "PING");
	ok(rep != NULL && rep->type == REDIS_REPLY_STATUS,
	    "reconnected once Redis is back");
	if (rep != NULL)
		freeReplyObject(rep);
	redis_free(r);
	conf_free(&c);
	stop();
	rmdir(dir);
	return done_testing();
}
