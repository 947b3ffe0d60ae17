/*
 * Unit test of lib/cluster: CRC16 and key slots (the vectors of the Redis
 * Cluster specification and hash tag corner cases), slot maps from
 * CLUSTER SLOTS replies given as RESP text, MOVED / ASK texts, routing
 * keys of commands.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "../tap.h"

static const struct {
	const char	*key;
	int		 slot;
} slots[] = {
	{ "foo", 12182 },
	{ "bar", 5061 },
	{ "123456789", 12739 },		/* 0x31C3 mod 16384 */
	{ "", 0 },
	{ "{user1000}.following", 3443 },
	{ "{user1000}.followers", 3443 },
	{ "user1000", 3443 },
	{ "foo{}{bar}", -1 },		/* the whole key: computed below */
	{ "foo{{bar}}zap", -2 },	/* tag "{bar" */
	{ "foo{bar}{zap}", 5061 },	/* first tag only: "bar" */
	{ "{u:alice}", -3 },
	{ "o:{u:alice}:q", -3 },
};

static void
test_slots(void)
{
	int	 i, want;

	is_int((int)cluster_crc16("123456789", 9), 0x31C3, "crc16 check value");
	for (i = 0; i < (int)(sizeof(slots) / sizeof(slots[0])); i++) {
		want = slots[i].slot;
		if (want == -1)
			want = (int)(cluster_crc16("foo{}{bar}", 10) % 16384);
		else if (want == -2)
			want = (int)(cluster_crc16("{bar", 4) % 16384);
		else if (want == -3)
			want = (int)(cluster_crc16("u:alice", 7) % 16384);
		is_int(cluster_key_slot(slots[i].key, strlen(slots[i].key)),
		    want, slots[i].key);
	}
	ok(cluster_key_slot("foo{}{bar}", 10) !=
	    cluster_key_slot("bar", 3), "empty tag: not the second tag");
	ok(cluster_key_slot("a{b", 3) == (int)(cluster_crc16("a{b", 3) %
	    16384), "unclosed brace: the whole key");
	ok(cluster_key_slot("x{\0}y", 5) == (int)(cluster_crc16("\0", 1) %
	    16384), "binary tag");
}

static redisReply *
resp(const char *text)
{
	redisReader	*rd = redisReaderCreate();
	void		*rep = NULL;

	redisReaderFeed(rd, text, strlen(text));
	if (redisReaderGetReply(rd, &rep) != REDIS_OK)
		rep = NULL;
	redisReaderFree(rd);
	return rep;
}

#define N(h, p)	"*3\r\n$" #h "\r\n:" #p "\r\n$3\r\nid1\r\n"
#define N9(p)	"*3\r\n$9\r\n127.0.0.1\r\n:" #p "\r\n$3\r\nidx\r\n"

static void
test_map(void)
{
	struct cluster_map		*m = cluster_map_new();
	const struct cluster_node	*n;
	redisReply			*rep;
	char				 err[256];

	rep = resp("*3\r\n"
	    "*4\r\n:0\r\n:5460\r\n" N9(7000) N9(7003)
	    "*4\r\n:5461\r\n:10922\r\n" N9(7001) N9(7004)
	    "*4\r\n:10923\r\n:16383\r\n*3\r\n$0\r\n\r\n:7002\r\n$1\r\nx\r\n"
	    "*3\r\n$3\r\n::1\r\n:7005\r\n$1\r\ny\r\n");
	ok(rep != NULL, "reply parsed");
	is_int(cluster_map_load(m, rep, "10.0.0.9", err, sizeof(err)), 0,
	    "three ranges load");
	freeReplyObject(rep);
	is_int(cluster_map_nmasters(m), 3, "three masters");
	is_int(cluster_map_nnodes(m), 6, "six nodes");
	is_int(cluster_map_node(m, 0), 0, "slot 0 on master 0");
	is_int(cluster_map_node(m, 5460), 0, "slot 5460 on master 0");
	is_int(cluster_map_node(m, 5461), 1, "slot 5461 on master 1");
	is_int(cluster_map_node(m, 16383), 2, "slot 16383 on master 2");
	is_int(cluster_map_node(m, 16384), -1, "slot 16384: none");
	n = cluster_map_get(m, 2);
	is_str(n->host, "10.0.0.9", "empty host: the node asked");
	is_int(n->port, 7002, "its port");
	n = cluster_map_get(m, 5);
	is_str(n->host, "::1", "replica over IPv6");
	is_int(n->master, 2, "replica of master 2");
	is_int(cluster_map_get(m, 3)->master, 0, "first replica's master");
	ok(cluster_map_get(m, 6) == NULL, "no node 6");

	rep = resp("*2\r\n*3\r\n:0\r\n:100\r\n" N9(7000)
	    "*3\r\n:200\r\n:300\r\n*2\r\n$1\r\n?\r\n:7001\r\n");
	is_int(cluster_map_load(m, rep, "h", err, sizeof(err)), 0,
	    "partial map loads");
	freeReplyObject(rep);
	is_int(cluster_map_node(m, 100), 0, "served slot");
	is_int(cluster_map_node(m, 101), -1, "gap: unserved");
	is_int(cluster_map_node(m, 250), -1, "unknown endpoint: unserved");
	is_int(cluster_map_nnodes(m), 1, "one node");
	cluster_map_free(m);
	ok(cluster_map_free(NULL) == NULL, "free NULL");
}

static const struct {
	const char	*resp;
	const char	*err;
} badmaps[] = {
	{ "+OK\r\n", "CLUSTER SLOTS: not an array" },
	{ "*1\r\n:5\r\n", "CLUSTER SLOTS: entry 1 is no slot range" },
	{ "*1\r\n*2\r\n:0\r\n:5\r\n", "CLUSTER SLOTS: entry 1 is no slot "
	    "range" },
	{ "*1\r\n*3\r\n:5\r\n:4\r\n" N9(1), "CLUSTER SLOTS: entry 1 is no "
	    "slot range" },
	{ "*1\r\n*3\r\n:0\r\n:16384\r\n" N9(1), "CLUSTER SLOTS: entry 1 is "
	    "no slot range" },
	{ "*1\r\n*3\r\n:-1\r\n:3\r\n" N9(1), "CLUSTER SLOTS: entry 1 is no "
	    "slot range" },
	{ "*1\r\n*3\r\n:0\r\n:3\r\n" N9(0), "CLUSTER SLOTS: entry 1: bad "
	    "master node" },
	{ "*1\r\n*3\r\n:0\r\n:3\r\n" N9(65536), "CLUSTER SLOTS: entry 1: "
	    "bad master node" },
	{ "*1\r\n*3\r\n:0\r\n:3\r\n*1\r\n$1\r\na\r\n", "CLUSTER SLOTS: "
	    "entry 1: bad master node" },
	{ "*1\r\n*3\r\n:0\r\n:3\r\n*2\r\n:1\r\n:1\r\n", "CLUSTER SLOTS: "
	    "entry 1: bad master node" },
	{ "*1\r\n*4\r\n:0\r\n:3\r\n" N9(1) ":7\r\n", "CLUSTER SLOTS: entry 1: "
	    "bad replica node" },
	{ "*2\r\n*3\r\n:0\r\n:10\r\n" N9(1) "*3\r\n:10\r\n:11\r\n" N9(2),
	    "CLUSTER SLOTS: slot 10 in two ranges" },
};

static void
test_badmaps(void)
{
	struct cluster_map	*m = cluster_map_new();
	redisReply		*rep;
	char			 err[256], big[600], text[700];
	size_t			 i;

	rep = resp("*1\r\n*3\r\n:0\r\n:16383\r\n" N9(7000));
	cluster_map_load(m, rep, "h", err, sizeof(err));
	freeReplyObject(rep);
	for (i = 0; i < sizeof(badmaps) / sizeof(badmaps[0]); i++) {
		rep = resp(badmaps[i].resp);
		ok(rep != NULL, "bad map %zu is RESP", i);
		*err = '\0';
		ok(cluster_map_load(m, rep, "h", err, sizeof(err)) == -1,
		    "bad map %zu refused", i);
		is_str(err, badmaps[i].err, "  its error");
		freeReplyObject(rep);
	}
	memset(big, 'a', 256);
	big[256] = '\0';
	snprintf(text, sizeof(text), "*1\r\n*3\r\n:0\r\n:1\r\n*2\r\n$256\r\n"
	    "%s\r\n:1\r\n", big);
	rep = resp(text);
	is_int(cluster_map_load(m, rep, "h", err, sizeof(err)), -1,
	    "256-byte host refused");
	freeReplyObject(rep);
	is_int(cluster_map_node(m, 16383), 0, "map kept after errors");
	cluster_map_free(m);
}

static const struct {
	const char	*text;
	int		 rc, slot, port;
	const char	*host;
} redirs[] = {
	{ "MOVED 3999 127.0.0.1:6381", CLUSTER_MOVED, 3999, 6381,
	    "127.0.0.1" },
	{ "ASK 0 10.1.2.3:7000", CLUSTER_ASK, 0, 7000, "10.1.2.3" },
	{ "MOVED 16383 ::1:7002", CLUSTER_MOVED, 16383, 7002, "::1" },
	{ "MOVED 12 [2001:db8::1]:7002", CLUSTER_MOVED, 12, 7002,
	    "2001:db8::1" },
	{ "MOVED 12 :7002", CLUSTER_MOVED, 12, 7002, "" },
	{ "ASK 5 redis-3.example:6379", CLUSTER_ASK, 5, 6379,
	    "redis-3.example" },
	{ "ERR unknown command", 0, 0, 0, NULL },
	{ "MOVEDX 1 a:1", 0, 0, 0, NULL },
	{ "NOSCRIPT No matching script", 0, 0, 0, NULL },
	{ "MOVED 16384 a:1", -1, 0, 0, NULL },
	{ "MOVED -1 a:1", -1, 0, 0, NULL },
	{ "MOVED 1 a", -1, 0, 0, NULL },
	{ "MOVED 1 a:", -1, 0, 0, NULL },
	{ "MOVED 1 a:0", -1, 0, 0, NULL },
	{ "MOVED 1 a:65536", -1, 0, 0, NULL },
	{ "MOVED 1 a:1x", -1, 0, 0, NULL },
	{ "MOVED 1 a b:1", -1, 0, 0, NULL },
	{ "MOVED  1 a:1", -1, 0, 0, NULL },
	{ "MOVED 1", -1, 0, 0, NULL },
	{ "ASK ", -1, 0, 0, NULL },
	{ "MOVED 1 [::1:7", -1, 0, 0, NULL },
	{ "MOVED 1 a]:7", -1, 0, 0, NULL },
	{ "MOVED 99999999999999999999 a:1", -1, 0, 0, NULL },
};

static void
test_redirects(void)
{
	struct cluster_redirect	 rd;
	char			 buf[400];
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(redirs) / sizeof(redirs[0]); i++) {
		memset(&rd, 0, sizeof(rd));
		rc = cluster_redirect(redirs[i].text, strlen(redirs[i].text),
		    &rd);
		is_int(rc, redirs[i].rc, redirs[i].text);
		if (redirs[i].host == NULL)
			continue;
		is_int(rd.slot, redirs[i].slot, "  its slot");
		is_int(rd.port, redirs[i].port, "  its port");
		is_str(rd.host, redirs[i].host, "  its host");
	}
	memset(buf, 'h', sizeof(buf));
	memcpy(buf, "MOVED 1 ", 8);
	memcpy(buf + 8 + 256, ":1", 2);
	is_int(cluster_redirect(buf, 8 + 256 + 2, &rd), -1,
	    "256-byte host refused");
	is_int(cluster_redirect("MOVED 7 a:1", 9, &rd), -1,
	    "length honoured (no port)");
}

static void
test_keys(void)
{
	const char	*ev[] = { "EVALSHA", "abc", "2", "{u:a}", "x", "y" };
	const char	*ev0[] = { "evalsha", "abc", "0", "y" };
	const char	*hg[] = { "hget", "k1", "f" };
	const char	*mu[] = { "MULTI" };
	const char	*sc[] = { "SCAN", "0", "MATCH", "*" };
	const char	*key;
	size_t		 len;
	const char	*fmt = "*3\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n1\r\n";

	ok(cluster_command_key(6, ev, NULL, &key, &len) == 1 &&
	    len == 5 && memcmp(key, "{u:a}", 5) == 0, "EVALSHA: first key");
	is_int(cluster_command_key(4, ev0, NULL, &key, &len), 0,
	    "EVALSHA 0 keys: none");
	ok(cluster_command_key(3, hg, NULL, &key, &len) == 1 &&
	    len == 2 && memcmp(key, "k1", 2) == 0, "HGET: argv[1]");
	is_int(cluster_command_key(1, mu, NULL, &key, &len), 0, "MULTI: none");
	is_int(cluster_command_key(4, sc, NULL, &key, &len), 0, "SCAN: none");
	ok(cluster_resp_key("*3\r\n$4\r\nHGET\r\n$3\r\nabc\r\n$1\r\nf\r\n",
	    34, &key, &len) == 1 && len == 3 && memcmp(key, "abc", 3) == 0,
	    "RESP HGET abc");
	ok(cluster_resp_key("*4\r\n$4\r\nEVAL\r\n$1\r\nx\r\n$1\r\n1\r\n"
	    "$2\r\nk9\r\n", 39, &key, &len) == 1 && len == 2 &&
	    memcmp(key, "k9", 2) == 0, "RESP EVAL: key k9");
	is_int(cluster_resp_key(fmt, strlen(fmt), &key, &len), 0,
	    "RESP EVAL numkeys 1 without key: none");
	is_int(cluster_resp_key("*2\r\n$4\r\nHGET\r\n$9\r\nabc\r\n", 26,
	    &key, &len), -1, "RESP: short bulk refused");
	is_int(cluster_resp_key("+OK\r\n", 5, &key, &len), -1,
	    "RESP: not an array");
}

int
main(void)
{
	test_slots();
	test_map();
	test_badmaps();
	test_redirects();
	test_keys();
	return done_testing();
}
