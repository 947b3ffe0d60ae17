/*
 * Unit test of lib/schema: key names, limit fields, suppression field
 * packing and value encoding -- tables of inputs and expected outputs.
 */
#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "redis.h"
#include "schema.h"
#include "../tap.h"

static void
keys(struct conf *c)
{
	char	 buf[SCHEMA_KEY_MAX];

	schema_key_user(c, "bob@example.com", SCHEMA_ACCT, buf, sizeof(buf));
	is_str(buf, "outpost:{u:bob@example.com}:acct", "acct key");
	schema_key_counter(c, "bob", LIMIT_BYTES, 86400, buf, sizeof(buf));
	is_str(buf, "outpost:{u:bob}:c:bytes/86400", "counter key");
	schema_key_counter(c, "bob", LIMIT_MESSAGES, LIMIT_MONTH, buf,
	    sizeof(buf));
	is_str(buf, "outpost:{u:bob}:c:messages/month", "month counter key");
	schema_key_queue(c, "bob", "4F2A1C3B", buf, sizeof(buf));
	is_str(buf, "outpost:{u:bob}:q:4F2A1C3B", "refund record key");
	ok(schema_key_queue(c, "bob", "", buf, sizeof(buf)) < 0,
	    "empty queue id refused");
	schema_key_plan(c, "pro", buf, sizeof(buf));
	is_str(buf, "outpost:plan:pro", "plan key");
	schema_key_domain(c, "xn--bcher-kva.example", buf, sizeof(buf));
	is_str(buf, "outpost:domain:xn--bcher-kva.example", "domain key");
	ok(schema_key_domain(c, "", buf, sizeof(buf)) < 0,
	    "empty domain refused");
	schema_key_global(c, SCHEMA_USERS, buf, sizeof(buf));
	is_str(buf, "outpost:users", "users key");
	schema_key_global(c, SCHEMA_MARK, buf, sizeof(buf));
	is_str(buf, "outpost:schema", "the schema marker's key");
	is_int(SCHEMA_VERSION, 2, "schema version 2 (plim copies)");
	schema_key_sup(c, NULL, 17, buf, sizeof(buf));
	is_str(buf, "outpost:sup:17", "global suppression bucket");
	schema_key_sup(c, "bob", 3, buf, sizeof(buf));
	is_str(buf, "outpost:{u:bob}:sup:3", "user suppression bucket");
	schema_key_user_glob(c, "a*b", buf, sizeof(buf));
	ok(schema_key_user_glob(c, "a*b", buf, sizeof(buf)) < 0,
	    "glob of invalid name refused");
	schema_key_user_glob(c, "bob", buf, sizeof(buf));
	is_str(buf, "outpost:{u:bob}:*", "user glob");
	ok(schema_key_user(c, "bob", SCHEMA_ACCT, buf, 10) < 0,
	    "short buffer refused");
}

static void
users(void)
{
	static const struct { const char *name; int valid; } cases[] = {
		{ "bob", 1 }, { "bob@example.com", 1 }, { "", 0 },
		{ "a{b", 0 }, { "a}b", 0 }, { "a b", 0 }, { "a\tb", 0 },
		{ "a*", 0 }, { "x\x7f", 0 }, { "j\xc3\xb6rg", 1 },
	};
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		is_int(schema_user_valid(cases[i].name), cases[i].valid,
		    cases[i].name);
}

static void
fields(void)
{
	static const struct {
		const char *field; int rc; int dim; long win;
	} cases[] = {
		{ "messages/3600", 0, LIMIT_MESSAGES, 3600 },
		{ "recipients/86400", 0, LIMIT_RECIPIENTS, 86400 },
		{ "bytes/month", 0, LIMIT_BYTES, LIMIT_MONTH },
		{ "bytes/0", -1, 0, 0 }, { "bytes/-5", -1, 0, 0 },
		{ "bytes/1h", -1, 0, 0 }, { "mails/60", -1, 0, 0 },
		{ "messages", -1, 0, 0 }, { "messages/", -1, 0, 0 },
		{ "messages/99999999999999999999", -1, 0, 0 },
	};
	char	 buf[64];
	size_t	 i;
	int	 dim, rc;
	long	 win;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		dim = -9;
		win = -9;
		rc = schema_limit_field_parse(cases[i].field, &dim, &win);
		ok(rc == cases[i].rc && (rc < 0 || (dim == cases[i].dim &&
		    win == cases[i].win)), "field %s", cases[i].field);
		if (rc == 0) {
			schema_limit_field(dim, win, buf, sizeof(buf));
			is_str(buf, cases[i].field, "field round trip");
		}
	}
}

static void
packing(void)
{
	static const struct { const char *addr; int packed; } cases[] = {
		{ "bob@example.com", 1 }, { "a@b", 1 }, { "ab@c", 1 },
		{ "abc@de", 1 }, { "first.last+tag=x_y-z@mail.example.org", 1 },
		{ "Bob@example.com", 0 }, { "\"a b\"@example.com", 0 },
		{ "j\xc3\xb6rg@example.com", 0 },
		{ "user0000012345.aa@example0042.com", 1 },
	};
	char	 f[SCHEMA_SUP_FIELD_MAX], back[300];
	size_t	 i;
	int	 n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = schema_sup_field(cases[i].addr, f, sizeof(f));
		ok(n > 0 && (f[0] == 1) == cases[i].packed &&
		    (!cases[i].packed ||
		    (size_t)n == 1 + (strlen(cases[i].addr) * 6 + 7) / 8),
		    "field of %s: %d bytes", cases[i].addr, n);
		back[0] = '\0';
		schema_sup_field_decode(f, (size_t)n, back, sizeof(back));
		is_str(back, cases[i].addr, "field decodes back");
	}
	n = schema_sup_field("user0000012345.aa@example0042.com", f,
	    sizeof(f));
	is_int(n, 26, "34-byte address packs into 26 bytes");
	ok(schema_sup_field("", f, sizeof(f)) < 0, "empty address refused");
	ok(schema_sup_field_decode("\x01", 1, back, sizeof(back)) < 0,
	    "empty packed field refused");
	ok(schema_sup_bucket("bob@example.com", NULL) <
	    SCHEMA_SUP_GLOBAL_BUCKETS && schema_sup_bucket("bob@example.com",
	    "u") < SCHEMA_SUP_USER_BUCKETS, "buckets in range");
	is_int(schema_sup_bucket("a", NULL), 0xe40c292cu % 4096,
	    "FNV-1a of \"a\"");
}

static void
values(void)
{
	static const struct {
		struct schema_sup e; const char *text;
	} cases[] = {
		{ { SUP_HARD_BOUNCE, 1700000000, 0 }, "113333332" },
		{ { SUP_COMPLAINT, 1700000040, 0 }, "113333337" },
		{ { SUP_MANUAL, 1700000000, 1700086380 },
		    "113333335:28334773" },
		{ { SUP_UNSUBSCRIBE, 0, 0 }, "2" },
	};
	struct schema_sup d;
	char	 buf[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		schema_sup_encode(&cases[i].e, buf, sizeof(buf));
		is_str(buf, cases[i].text, "encode");
		memset(&d, 0, sizeof(d));
		ok(schema_sup_decode(buf, &d) == 0 &&
		    d.reason == cases[i].e.reason &&
		    d.created == cases[i].e.created / 60 * 60 &&
		    d.expires == cases[i].e.expires, "decode %s", buf);
	}
	ok(schema_sup_decode("x", &d) < 0, "garbage value refused");
	ok(schema_sup_decode("12:", &d) < 0, "empty expiry refused");
	ok(schema_sup_decode("-4", &d) < 0, "negative value refused");
	d.reason = SUP_NREASON;
	d.created = d.expires = 0;
	ok(schema_sup_encode(&d, buf, sizeof(buf)) < 0,
	    "reason past the table refused");
}

static void
addresses(void)
{
	static const struct {
		const char *in; int rc; int unix_socket; const char *host;
		int port;
	} cases[] = {
		{ "127.0.0.1:6379", 0, 0, "127.0.0.1", 6379 },
		{ "[::1]:6380", 0, 0, "::1", 6380 },
		{ "redis.example:1", 0, 0, "redis.example", 1 },
		{ "unix:/run/redis.sock", 0, 1, "", 0 },
		{ "sentinel:10.0.0.1:26379/mymaster", 0, 0, "", 0 },
		{ "sentinel:10.0.0.1:26379/", -1, 0, "", 0 },
		{ "sentinel:10.0.0.1:26379,/m", -1, 0, "", 0 },
		{ "sentinel:/m", -1, 0, "", 0 },
		{ "cluster:127.0.0.1:7000,[::1]:7001", 0, 0, "", 0 },
		{ "cluster:", -1, 0, "", 0 }, { "cluster:h:1,", -1, 0, "", 0 },
		{ "cluster:h:99999", -1, 0, "", 0 },
		{ "::1:6379", -1, 0, "", 0 }, { "host", -1, 0, "", 0 },
		{ "host:0", -1, 0, "", 0 }, { "host:70000", -1, 0, "", 0 },
		{ "[::1:6379", -1, 0, "", 0 }, { "unix:rel", -1, 0, "", 0 },
	};
	struct redis_addr a;
	char	 err[256];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = redis_addr_parse(cases[i].in, &a, err, sizeof(err));
		ok(rc == cases[i].rc && (rc < 0 ||
		    (a.unix_socket == cases[i].unix_socket &&
		    strcmp(a.host, cases[i].host) == 0 &&
		    a.port == cases[i].port)), "redis_address %s", cases[i].in);
	}
	ok(redis_addr_parse("sentinel:a:1,[::1]:26380,c:3/mymaster", &a, err,
	    sizeof(err)) == 0 && a.kind == REDIS_ADDR_SENTINEL &&
	    a.nseeds == 3 && strcmp(a.seeds[1].host, "::1") == 0 &&
	    a.seeds[1].port == 26380 && strcmp(a.master, "mymaster") == 0,
	    "sentinel: three sentinels and the master name");
	ok(redis_addr_parse("cluster:n1:7000,n2:7001", &a, err,
	    sizeof(err)) == 0 && a.kind == REDIS_ADDR_CLUSTER &&
	    a.nseeds == 2 && strcmp(a.seeds[1].host, "n2") == 0 &&
	    a.seeds[1].port == 7001, "cluster: two seeds");
	ok(redis_addr_parse("cluster:a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,"
	    "j:10,k:11,l:12,m:13,n:14,o:15,p:16,q:17", &a, err,
	    sizeof(err)) < 0, "cluster: at most 16 seeds: %s", err);
}

/* The suppression form: the local part folded (default) or kept. */
static void
folding(struct conf *c)
{
	static const struct { const char *in, *fold; int changed; } cases[] = {
		{ "Bounce@example.org", "bounce@example.org", 1 },
		{ "bounce@example.org", "bounce@example.org", 0 },
		{ "JOHN.Doe+Tag@example.org", "john.doe+tag@example.org", 1 },
		{ "\"Mixed Case\"@example.org", "\"mixed case\"@example.org", 1 },
		{ "\xc3\x89lise@example.org", "\xc3\x89lise@example.org", 0 },
		{ "no-at-sign", "no-at-sign", 0 },
	};
	char	 a[300], f1[SCHEMA_SUP_FIELD_MAX], f2[SCHEMA_SUP_FIELD_MAX];
	size_t	 i;
	int	 n1, n2;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(a, sizeof(a), "%s", cases[i].in);
		ok(schema_sup_addr(c, a) == cases[i].changed &&
		    strcmp(a, cases[i].fold) == 0, "fold %s -> %s",
		    cases[i].in, a);
	}
	c->suppress_fold_case = 0;
	snprintf(a, sizeof(a), "Bounce@example.org");
	ok(schema_sup_addr(c, a) == 0 && strcmp(a, "Bounce@example.org") == 0,
	    "suppress_fold_case = no keeps the local part");
	c->suppress_fold_case = 1;
	/* Bounce@ and bounce@ land on one field and bucket once folded. */
	snprintf(a, sizeof(a), "Bounce@example.org");
	schema_sup_addr(c, a);
	n1 = schema_sup_field(a, f1, sizeof(f1));
	n2 = schema_sup_field("bounce@example.org", f2, sizeof(f2));
	ok(n1 == n2 && n1 > 0 && memcmp(f1, f2, (size_t)n1) == 0 &&
	    schema_sup_bucket(a, NULL) ==
	    schema_sup_bucket("bounce@example.org", NULL),
	    "folded: the same field and bucket as the lower-case address");
}

/* The delivery log, per-user figures and feedback state keys. */
static void
logkeys(struct conf *c)
{
	static const struct { const char *kind, *val, *want; } cases[] = {
		{ "seq", NULL, "outpost:{log}:seq" },
		{ "all", NULL, "outpost:{log}:all" },
		{ "e", "", "outpost:{log}:e:" },
		{ "e", "42", "outpost:{log}:e:42" },
		{ "u", "bob@example.com", "outpost:{log}:u:bob@example.com" },
		{ "u", "[192.0.2.1]", "outpost:{log}:u:[192.0.2.1]" },
		{ "r", "x@example.net", "outpost:{log}:r:x@example.net" },
		{ "q", "4Xyz12Abc", "outpost:{log}:q:4Xyz12Abc" },
		{ "m", "20424", "outpost:{log}:m:20424" },
		{ "seq", "x", NULL },
		{ "u", "", NULL },
		{ "u", "a b", NULL },
		{ "z", "a", NULL },
		{ "all", "a", NULL },
	};
	char	 buf[SCHEMA_KEY_MAX];
	size_t	 i;
	int	 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rc = schema_key_log(c, cases[i].kind, cases[i].val, buf,
		    sizeof(buf));
		if (cases[i].want == NULL)
			ok(rc < 0, "log key %s:%s refused", cases[i].kind,
			    cases[i].val ? cases[i].val : "(null)");
		else
			is_str(rc == 0 ? buf : "(error)", cases[i].want,
			    "log key");
	}
	ok(schema_key_log(c, "e", "x", buf, 10) < 0, "log key too long");
	schema_key_figures(c, "bob", SCHEMA_ST, 491234, buf, sizeof(buf));
	is_str(buf, "outpost:{log}:st:bob:491234", "stats hour key");
	schema_key_figures(c, "[2001:db8::1]", SCHEMA_RT, 7, buf, sizeof(buf));
	is_str(buf, "outpost:{log}:rt:[2001:db8::1]", "rate hour key of [IP]");
	ok(schema_key_figures(c, "bob", "xx", 7, buf, sizeof(buf)) < 0,
	    "unknown figures kind refused");
	schema_key_fleet(c, 491234, buf, sizeof(buf));
	is_str(buf, "outpost:{log}:st:*:491234", "the fleet's hour key");
	schema_key_fleet_day(c, 20469, buf, sizeof(buf));
	is_str(buf, "outpost:{log}:st:*:d:20469", "the fleet's day key");
	ok(schema_key_fleet_day(c, -1, buf, sizeof(buf)) < 0 &&
	    schema_key_fleet_day(c, 20469, buf, 20) < 0,
	    "the fleet's day key: a negative day, a short buffer refused");
	ok(schema_key_figures(c, "[bob]", SCHEMA_ST, 7, buf, sizeof(buf)) < 0,
	    "[non-IP] refused");
	ok(schema_who_valid("[10.0.0.1]") && !schema_who_valid("[]") &&
	    !schema_who_valid("[1.2.3.4") && schema_who_valid("alice"),
	    "who: user names and [IP]");
	ok(schema_who_valid("[uid:0]") && schema_who_valid("[uid:4294967295]") &&
	    !schema_who_valid("[uid:]") && !schema_who_valid("[uid:1x]") &&
	    !schema_who_valid("[uid:12345678901]") &&
	    !schema_who_valid("[uid:-1]") && !schema_user_valid("[uid:0]"),
	    "who: [uid:N] for local submissions, never a user name");
	schema_key_fb(c, SCHEMA_FB_POS, "mx1", "/var/log/mail.log", buf,
	    sizeof(buf));
	is_str(buf, "outpost:{log}:fb:pos:mx1:/var/log/mail.log", "position key");
	schema_key_fb(c, SCHEMA_FB_JOIN, "mx1", "4Xyz", buf, sizeof(buf));
	is_str(buf, "outpost:{log}:fb:j:mx1:4Xyz", "join state key");
	schema_key_fb(c, SCHEMA_FB_BOUNCE, "mx1", "5Abc", buf, sizeof(buf));
	is_str(buf, "outpost:{log}:fb:b:mx1:5Abc", "bounce link key");
	ok(schema_key_fb(c, "x", "mx1", "a", buf, sizeof(buf)) < 0 &&
	    schema_key_fb(c, SCHEMA_FB_JOIN, "", "a", buf, sizeof(buf)) < 0,
	    "bad feedback keys refused");
}

int
main(void)
{
	struct conf	 c;

	conf_init(&c);
	keys(&c);
	users();
	fields();
	packing();
	values();
	addresses();
	folding(&c);
	logkeys(&c);
	conf_free(&c);
	return done_testing();
}
