/* Unit tests of lib/rcommon: backoff, handshake, target, SHA cache, first
 * keys. */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "rcommon.h"
#include "redis.h"
#include "../tap.h"

static void
test_backoff(void)
{
	static const long want[] = { 100, 200, 400, 800, 1600, 3200, 5000,
	    5000 };
	struct rc_backoff	 b = { 0, 0 };
	size_t			 i;

	ok(!rc_backoff_failing(&b), "a new backoff is not failing");
	is_int((int)rc_backoff_left(&b, 1000), 0, "a new backoff: connect now");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ok(rc_backoff_fail(&b, 1000) == want[i],
		    "failure %zu waits %ld ms", i + 1, want[i]);
	is_int((int)rc_backoff_left(&b, 1000), 5000, "5000 ms left at once");
	is_int((int)rc_backoff_left(&b, 5999), 1, "1 ms left just before");
	is_int((int)rc_backoff_left(&b, 6000), 0, "due at the deadline");
	ok(rc_backoff_failing(&b), "failing until reset");
	rc_backoff_reset(&b);
	ok(!rc_backoff_failing(&b), "reset: not failing");
	is_int((int)rc_backoff_fail(&b, 0), 100, "after a reset: 100 ms again");
}

static const char *const lua[RC_SCRIPTS + 2] = {
	"return 1", "return 2", "return 3", "return 4", "return 5",
	"return 6", "return 7", "return 8", "return 9", "return 10",
	"return 11", "return 12", "return 13", "return 14", "return 15",
	"return 16", "return 17", "return 18"
};

static void
test_scripts(void)
{
	static struct rc_scripts	 s;
	char				 sha[41], want[41];
	char				 copy[16];
	int				 i, good = 1;

	rc_script_sha(&s, lua[0], sha);
	is_str(sha, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db",
	    "SHA1 of \"return 1\" as SCRIPT LOAD gives it");
	/* More scripts than the table: the later ones are still right. */
	for (i = 0; i < RC_SCRIPTS + 2; i++) {
		rc_script_sha(&s, lua[i], sha);
		redis_script_sha(lua[i], want);
		good &= strcmp(sha, want) == 0 && strlen(sha) == 40;
	}
	ok(good, "%d scripts (table of %d): every SHA right", RC_SCRIPTS + 2,
	    RC_SCRIPTS);
	rc_script_sha(&s, lua[RC_SCRIPTS + 1], sha);
	rc_script_sha(&s, lua[RC_SCRIPTS], want);
	ok(strcmp(sha, want) != 0, "past the table: each its own SHA");
	/* Identified by address: the table keeps what it computed. */
	snprintf(copy, sizeof(copy), "%s", lua[1]);
	rc_script_sha(&s, copy, sha);
	redis_script_sha(lua[1], want);
	is_str(sha, want, "the same text at another address: same SHA");
}

static void
test_hello(void)
{
	struct conf	 c;
	struct rc_hello	 h;

	char		 pw[] = "sec ret", user[] = "outpost", none[] = "";

	memset(&c, 0, sizeof(c));
	c.redis_password = c.redis_username = none;
	rc_hello(&c, &h);
	is_int(h.n, 0, "no password, db 0: no handshake");
	c.redis_password = pw;
	c.redis_db = 7;
	rc_hello(&c, &h);
	is_int(h.n, 2, "password and db: AUTH then SELECT");
	is_int(h.cmd[0].argc, 2, "AUTH password: 2 words");
	is_str(h.cmd[0].argv[1], "sec ret", "AUTH's password as one word");
	is_int((int)h.cmd[0].argvlen[1], 7, "its length");
	is_str(h.cmd[1].argv[0], "SELECT", "then SELECT");
	is_str(h.cmd[1].argv[1], "7", "SELECT 7");
	c.redis_username = user;
	c.redis_db = 0;
	rc_hello(&c, &h);
	is_int(h.n, 1, "username, db 0: AUTH only");
	is_int(h.cmd[0].argc, 3, "AUTH user password");
	is_str(h.cmd[0].argv[1], "outpost", "the user first");
	is_str(h.cmd[0].what, "AUTH", "named AUTH for errors");
}

static void
test_target(void)
{
	struct redis_addr	 a;
	struct rc_target	 t;
	char			 err[256];

	ok(redis_addr_parse("[::1]:6380", &a, err, sizeof(err)) == 0 &&
	    rc_target_of(&a, &t, err, sizeof(err)) == 0 && !t.unix_socket &&
	    strcmp(t.host, "::1") == 0 && t.port == 6380,
	    "TCP: host and port of the address");
	ok(redis_addr_parse("unix:/run/r.sock", &a, err, sizeof(err)) == 0 &&
	    rc_target_of(&a, &t, err, sizeof(err)) == 0 && t.unix_socket &&
	    strcmp(t.path, "/run/r.sock") == 0, "unix: the path");
	err[0] = '\0';
	ok(redis_addr_parse("sentinel:a:1/m", &a, err, sizeof(err)) == 0 &&
	    rc_target_of(&a, &t, err, sizeof(err)) == -1 && err[0] != '\0',
	    "sentinel: refused with a reason (%s)", err);
}

static void
test_first_key(void)
{
	static const struct {
		int		 argc;
		const char	*argv[5];
		int		 want;
	} cases[] = {
		{ 2, { "GET", "k" }, 1 },
		{ 3, { "hset", "k", "f" }, 1 },
		{ 5, { "EVALSHA", "abc", "1", "k", "a" }, 3 },
		{ 4, { "evalsha", "abc", "0", "a" }, -1 },
		{ 4, { "EVAL", "return 1", "12", "k" }, 3 },
		{ 3, { "EVALSHA", "abc", "1" }, -1 },
		{ 4, { "SCAN", "0", "MATCH", "x*" }, -1 },
		{ 3, { "SCRIPT", "LOAD", "return 1" }, -1 },
		{ 1, { "PING" }, -1 },
		{ 1, { "DEL" }, -1 },
		{ 0, { NULL }, -1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(rc_first_key(cases[i].argc, (const char **)cases[i].argv,
		    NULL), cases[i].want, cases[i].argc > 0 ?
		    cases[i].argv[0] : "(empty)");
}

int
main(void)
{
	test_backoff();
	test_scripts();
	test_hello();
	test_target();
	test_first_key();
	return done_testing();
}
