/*
 * slots -- every script of the policy path names keys of one Redis
 * Cluster slot (lib/schema.h, issue 10): the KEYS dec_prepare builds for
 * the RCPT and END-OF-MESSAGE scripts, those of the refund script
 * (refund_keys), for realistic users and addresses -- plain, with a '+'
 * tag, upper case folded, UTF-8, user names with "@", ".", "-", ":", "+" and a
 * '{' inside a recipient (the hash tag is the first {...} of the key: a
 * recipient could not move it, since the user's tag comes first).  The
 * global suppression lookups are single-key commands of their own.
 * The slots are computed with lib/cluster.h's cluster_key_slot, the
 * function the Cluster client routes by.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster.h"
#include "conf.h"
#include "refund.h"
#include "../../policyd/policyd.h"
#include "../tap.h"

static const char *users[] = {
	"bob", "alice@example.com", "first.last-99@mail.example.org",
	"jörg@bücher.example", "u_123", "x:y", "sales+eu@example.net",
};
static const char *rcpts[] = {
	"x@dest.org", "Bob.Smith+tag@Example.COM", "{u:evil}@dest.org",
	"müller@example.de", "a%b@relay.example", "UPPER@DEST.ORG",
};

/* 1 when KEYS[0 .. nkeys-1] of call all hash to the user's slot. */
static int
one_slot(const struct dec_call *call, int want)
{
	int	 i;

	for (i = 0; i < call->nkeys; i++)
		if (cluster_key_slot(call->argv[i], call->argvlen[i]) != want)
			return 0;
	return 1;
}

static int
user_slot(const char *prefix, const char *user)
{
	char	 tag[300];

	snprintf(tag, sizeof(tag), "%s{u:%s}:acct", prefix, user);
	return cluster_key_slot(tag, strlen(tag));
}

static void
prepare(struct conf *cf, const char *state, const char *user,
    const char *rcpt, struct dec_call *call)
{
	struct pol_request	 req;
	char			 in[2048], err[256];
	size_t			 used;

	snprintf(in, sizeof(in), "request=smtpd_access_policy\n"
	    "protocol_state=%s\nsasl_username=%s\nsender=s@example.com\n"
	    "recipient=%s\nqueue_id=4AbCdEf\nsize=1234\n"
	    "recipient_count=3\ninstance=1a.2b\n\n", state, user, rcpt);
	if (pol_parse(in, strlen(in), &req, &used, err, sizeof(err)) != 1)
		fprintf(stderr, "# parse: %s\n", err);
	memset(call, 0, sizeof(*call));
	dec_prepare(cf, &req, 0, call);
}

static void
policy_scripts(struct conf *cf)
{
	struct dec_call	*call = calloc(1, sizeof(*call));
	size_t		 u, r;
	int		 i, want, good = 1, globals = 1, n = 0;

	for (u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
		want = user_slot(cf->redis_prefix, users[u]);
		for (r = 0; r < sizeof(rcpts) / sizeof(rcpts[0]); r++) {
			prepare(cf, "RCPT", users[u], rcpts[r], call);
			if (call->nkeys != DEC_NKEYS_RCPT || !one_slot(call,
			    want)) {
				diag("RCPT %s -> %s: not one slot", users[u],
				    rcpts[r]);
				good = 0;
			}
			for (i = 0; i < call->nglobal; i++)
				if (call->global[i].argc != 3 || strcmp(
				    call->global[i].argv[0], "HGET") != 0)
					globals = 0;
			n++;
		}
		prepare(cf, "END-OF-MESSAGE", users[u], "", call);
		if (call->nkeys != DEC_NKEYS_EOM || !one_slot(call, want)) {
			diag("EOM %s: not one slot", users[u]);
			good = 0;
		}
	}
	ok(good, "RCPT and END-OF-MESSAGE: every KEY in the user's slot "
	    "(%d RCPT calls, prefix \"%s\")", n, cf->redis_prefix);
	ok(globals, "the global suppression lookups are one-key HGETs");
	/* A recipient's "{" does not move the slot: the user's tag is first. */
	prepare(cf, "RCPT", "bob", "{u:evil}@dest.org", call);
	is_int(cluster_key_slot(call->argv[5], call->argvlen[5]),
	    user_slot(cf->redis_prefix, "bob"),
	    "a '{' in the recipient leaves the bucket in bob's slot");
	/* Two users do land in other slots (the check above means something). */
	ok(user_slot(cf->redis_prefix, "bob") != user_slot(cf->redis_prefix,
	    "alice@example.com"), "bob and alice have different slots");
	free(call);
}

static void
refund(struct conf *cf)
{
	char	 keys[REFUND_NKEYS][REFUND_KEYLEN];
	size_t	 u;
	int	 good = 1;

	for (u = 0; u < sizeof(users) / sizeof(users[0]); u++) {
		if (refund_keys(cf, users[u], "4AbCdEf", keys) < 0 ||
		    cluster_key_slot(keys[0], strlen(keys[0])) !=
		    user_slot(cf->redis_prefix, users[u]) ||
		    cluster_key_slot(keys[1], strlen(keys[1])) !=
		    user_slot(cf->redis_prefix, users[u]))
			good = 0;
	}
	ok(good, "refund: the record and the counter base in the user's "
	    "slot");
	is_int(refund_keys(cf, "bad user", "4AbCdEf", keys), -1,
	    "refund_keys refuses an invalid user name");
}

int
main(void)
{
	struct conf	 cf;

	conf_init(&cf);
	policy_scripts(&cf);
	refund(&cf);
	free(cf.redis_prefix);
	cf.redis_prefix = strdup("mta-fleet:");
	policy_scripts(&cf);
	refund(&cf);
	conf_free(&cf);
	return done_testing();
}
