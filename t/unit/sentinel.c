/*
 * Unit tests of lib/sentinel.c's reply helpers, on hand-built hiredis
 * reply trees: the answers of SENTINEL get-master-addr-by-name, ROLE and
 * the +switch-master pub/sub message, well-formed and malformed.
 */
#include <stdio.h>
#include <string.h>

#include "sentinel.h"
#include "../tap.h"

static redisReply
str(int type, const char *s)
{
	redisReply	 r;

	memset(&r, 0, sizeof(r));
	r.type = type;
	r.str = (char *)s;
	r.len = s != NULL ? strlen(s) : 0;
	return r;
}

static redisReply
arr(redisReply **el, size_t n)
{
	redisReply	 r;

	memset(&r, 0, sizeof(r));
	r.type = REDIS_REPLY_ARRAY;
	r.element = el;
	r.elements = n;
	return r;
}

#define S(s)	str(REDIS_REPLY_STRING, (s))

static void
test_master(void)
{
	struct redis_node	 n;
	char			 err[256];
	redisReply		 h = S("10.0.0.7"), p = S("6380"), bad = S("0"),
				 big = S("65536"), num = S("63a"), e = S(""),
				 sp = S("a b"), nil, i, er, *el[2], *el3[3],
				 r;

	memset(&n, 0, sizeof(n));
	el[0] = &h; el[1] = &p;
	r = arr(el, 2);
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) == 0, "master: "
	    "[host, port] accepted");
	is_str(n.host, "10.0.0.7", "master: host");
	is_int(n.port, 6380, "master: port");
	h = S("::1");
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) == 0 &&
	    strcmp(n.host, "::1") == 0, "master: an IPv6 host as is");

	memset(&nil, 0, sizeof(nil));
	nil.type = REDIS_REPLY_NIL;
	ok(sentinel_parse_master(&nil, &n, err, sizeof(err)) < 0 &&
	    strstr(err, "unknown") != NULL, "master: nil = unknown master "
	    "(%s)", err);
	er = str(REDIS_REPLY_ERROR, "NOAUTH Authentication required.");
	ok(sentinel_parse_master(&er, &n, err, sizeof(err)) < 0 &&
	    strstr(err, "NOAUTH") != NULL, "master: an error reply is told");
	ok(sentinel_parse_master(NULL, &n, err, sizeof(err)) < 0,
	    "master: no reply");
	i.type = REDIS_REPLY_INTEGER;
	ok(sentinel_parse_master(&i, &n, err, sizeof(err)) < 0,
	    "master: an integer refused");

	strcpy(n.host, "unchanged");
	n.port = 1;
	el[1] = &bad;
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0, "port 0");
	el[1] = &big;
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0, "port 65536");
	el[1] = &num;
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0, "port 63a");
	el[1] = &p; el[0] = &e;
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0, "empty host");
	el[0] = &sp;
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0,
	    "host with a space");
	el[0] = &i;
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0,
	    "host not a string");
	is_str(n.host, "unchanged", "a refused reply leaves node alone");
	el[0] = &h;
	r = arr(el, 1);
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0, "1 element");
	el3[0] = &h; el3[1] = &p; el3[2] = &p;
	r = arr(el3, 3);
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0, "3 elements");
	el[0] = NULL; el[1] = &p;
	r = arr(el, 2);
	ok(sentinel_parse_master(&r, &n, err, sizeof(err)) < 0,
	    "a NULL element");
}

static void
test_role(void)
{
	char		 err[256];
	redisReply	 m = S("master"), s = S("slave"), se = S("sentinel"),
			 mm = S("masterx"), off = S("0"), *el[3], r, i, er;

	el[0] = &m; el[1] = &off; el[2] = &off;
	r = arr(el, 3);
	ok(sentinel_parse_role(&r, err, sizeof(err)) == 0, "ROLE master");
	el[0] = &s;
	ok(sentinel_parse_role(&r, err, sizeof(err)) < 0 &&
	    strstr(err, "slave") != NULL, "ROLE slave refused: %s", err);
	el[0] = &se;
	ok(sentinel_parse_role(&r, err, sizeof(err)) < 0 &&
	    strstr(err, "sentinel") != NULL, "ROLE sentinel refused");
	el[0] = &mm;
	ok(sentinel_parse_role(&r, err, sizeof(err)) < 0, "ROLE masterx");
	r = arr(el, 0);
	ok(sentinel_parse_role(&r, err, sizeof(err)) < 0, "ROLE empty array");
	memset(&i, 0, sizeof(i));
	i.type = REDIS_REPLY_INTEGER;
	el[0] = &i;
	r = arr(el, 1);
	ok(sentinel_parse_role(&r, err, sizeof(err)) < 0, "ROLE [integer]");
	m = S("master");
	ok(sentinel_parse_role(&m, err, sizeof(err)) < 0,
	    "ROLE a bare string (not an array)");
	er = str(REDIS_REPLY_ERROR, "NOPERM this user has no permissions");
	ok(sentinel_parse_role(&er, err, sizeof(err)) < 0 &&
	    strstr(err, "NOPERM") != NULL, "ROLE error reply told: %s", err);
	ok(sentinel_parse_role(NULL, err, sizeof(err)) < 0, "ROLE no reply");
}

static const struct {
	const char	*in;
	int		 rc;
	const char	*host;
	int		 port;
} switches[] = {
	{ "mymaster 127.0.0.1 6379 127.0.0.1 6380", 1, "127.0.0.1", 6380 },
	{ "mymaster ::1 6379 ::1 6390", 1, "::1", 6390 },
	{ "other 127.0.0.1 6379 127.0.0.1 6380", 0, NULL, 0 },
	{ "mymasterx 127.0.0.1 6379 127.0.0.1 6380", 0, NULL, 0 },
	{ "mymaste 127.0.0.1 6379 127.0.0.1 6380", 0, NULL, 0 },
	{ "mymaster 127.0.0.1 6379 127.0.0.1", -1, NULL, 0 },
	{ "mymaster 127.0.0.1 6379 127.0.0.1 6380 x", -1, NULL, 0 },
	{ "mymaster 127.0.0.1 6379 127.0.0.1 6380 ", -1, NULL, 0 },
	{ "mymaster  127.0.0.1 6379 127.0.0.1 6380", -1, NULL, 0 },
	{ "mymaster 127.0.0.1 x 127.0.0.1 6380", -1, NULL, 0 },
	{ "mymaster 127.0.0.1 6379 127.0.0.1 0", -1, NULL, 0 },
	{ "mymaster 127.0.0.1 6379 127.0.0.1 99999", -1, NULL, 0 },
	{ "mymaster 127.0.0.1 6379 127.0.0.1 -1", -1, NULL, 0 },
	{ "", -1, NULL, 0 },
	{ "mymaster", -1, NULL, 0 },
};

static void
test_switch(void)
{
	struct redis_node	 n;
	char			 big[400];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(switches) / sizeof(switches[0]); i++) {
		memset(&n, 0, sizeof(n));
		rc = sentinel_parse_switch(switches[i].in,
		    strlen(switches[i].in), "mymaster", &n);
		is_int(rc, switches[i].rc, tap_name(switches[i].in));
		if (switches[i].rc == 1)
			ok(strcmp(n.host, switches[i].host) == 0 &&
			    n.port == switches[i].port, "... new master %s:%d",
			    n.host, n.port);
		else
			ok(n.host[0] == '\0', "... node untouched");
	}
	/* a host longer than a node holds */
	memset(big, 'h', sizeof(big));
	memcpy(big, "m 1.2.3.4 1 ", 12);
	memcpy(big + sizeof(big) - 5, " 123", 4);
	big[sizeof(big) - 1] = '\0';
	is_int(sentinel_parse_switch(big, strlen(big), "m", &n), -1,
	    "a 380-byte host refused");
	/* length, not NUL, ends the text */
	is_int(sentinel_parse_switch("m a 1 b 22222", 12, "m", &n), 1,
	    "the length bounds the text");
	is_int(n.port, 2222, "... last port digit cut off by the length");
}

static void
test_message(void)
{
	struct redis_node	 n;
	redisReply		 k = S("message"), c = S("+switch-master"),
				 m = S("mymaster 10.0.0.1 6379 10.0.0.2 6379"),
				 sub = S("subscribe"), one, *el[3], r,
				 oc = S("+sdown"), pm = S("pmessage");

	memset(&n, 0, sizeof(n));
	el[0] = &k; el[1] = &c; el[2] = &m;
	r = arr(el, 3);
	is_int(sentinel_parse_message(&r, "mymaster", &n), 1,
	    "message +switch-master for our master");
	ok(strcmp(n.host, "10.0.0.2") == 0 && n.port == 6379, "... node %s:%d",
	    n.host, n.port);
	is_int(sentinel_parse_message(&r, "other", &n), 0,
	    "... for another master: ignored");
	el[1] = &oc;
	is_int(sentinel_parse_message(&r, "mymaster", &n), 0,
	    "a message on another channel: ignored");
	memset(&one, 0, sizeof(one));
	one.type = REDIS_REPLY_INTEGER;
	one.integer = 1;
	el[0] = &sub; el[1] = &c; el[2] = &one;
	is_int(sentinel_parse_message(&r, "mymaster", &n), 0,
	    "the subscribe confirmation");
	el[2] = &m;
	is_int(sentinel_parse_message(&r, "mymaster", &n), -1,
	    "subscribe with a string count: malformed");
	el[0] = &pm;
	is_int(sentinel_parse_message(&r, "mymaster", &n), -1,
	    "pmessage (3 elements): malformed");
	el[0] = &k; el[2] = &one;
	is_int(sentinel_parse_message(&r, "mymaster", &n), -1,
	    "message with an integer payload");
	el[2] = NULL;
	is_int(sentinel_parse_message(&r, "mymaster", &n), -1,
	    "message with a NULL payload");
	el[2] = &m;
	r = arr(el, 2);
	is_int(sentinel_parse_message(&r, "mymaster", &n), -1, "2 elements");
	is_int(sentinel_parse_message(&k, "mymaster", &n), -1, "not an array");
	is_int(sentinel_parse_message(NULL, "mymaster", &n), -1, "NULL");
}

int
main(void)
{
	test_master();
	test_role();
	test_switch();
	test_message();
	return done_testing();
}
