/*
 * rcommon -- target, handshake, backoff, script SHA1s and first keys
 * shared by lib/redis.c and lib/aredis.c; see rcommon.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/sha.h>

#include "conf.h"
#include "errf.h"
#include "cluster.h"
#include "rcommon.h"
#include "redis.h"

int
rc_target_of(const struct redis_addr *a, struct rc_target *t, char *err,
    size_t errlen)
{
	memset(t, 0, sizeof(*t));
	switch (a->kind) {
	case REDIS_ADDR_UNIX:
		t->unix_socket = 1;
		memcpy(t->path, a->path, sizeof(t->path));
		return 0;
	case REDIS_ADDR_TCP:
		memcpy(t->host, a->host, sizeof(t->host));
		t->port = a->port;
		return 0;
	default:
		return errf(err, errlen, "redis: no client connects to a "
		    "sentinel: or cluster: address yet");
	}
}

static void
hello_add(struct rc_hello *h, const char *what, int argc, const char *a0,
    const char *a1, const char *a2)
{
	const char	*av[3] = { a0, a1, a2 };
	int		 i;

	h->cmd[h->n].what = what;
	h->cmd[h->n].argc = argc;
	for (i = 0; i < argc; i++) {
		h->cmd[h->n].argv[i] = av[i];
		h->cmd[h->n].argvlen[i] = strlen(av[i]);
	}
	h->n++;
}

void
rc_hello(const struct conf *c, struct rc_hello *h)
{
	memset(h, 0, sizeof(*h));
	if (*c->redis_username != '\0')
		hello_add(h, "AUTH", 3, "AUTH", c->redis_username,
		    c->redis_password);
	else if (*c->redis_password != '\0')
		hello_add(h, "AUTH", 2, "AUTH", c->redis_password, NULL);
	if (c->redis_db != 0) {
		snprintf(h->db, sizeof(h->db), "%ld", c->redis_db);
		hello_add(h, "SELECT", 2, "SELECT", h->db, NULL);
	}
}

long
rc_backoff_fail(struct rc_backoff *b, long long now)
{
	b->ms = b->ms == 0 ? RC_BACKOFF_MIN_MS : b->ms * 2;
	if (b->ms > RC_BACKOFF_MAX_MS)
		b->ms = RC_BACKOFF_MAX_MS;
	b->next_ms = now + b->ms;
	return b->ms;
}

void
rc_backoff_reset(struct rc_backoff *b)
{
	b->ms = 0;
	b->next_ms = 0;
}

long long
rc_backoff_left(const struct rc_backoff *b, long long now)
{
	return b->ms != 0 && now < b->next_ms ? b->next_ms - now : 0;
}

int
rc_backoff_failing(const struct rc_backoff *b)
{
	return b->ms != 0;
}

long long
rc_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
redis_script_sha(const char *lua, char sha[41])
{
	unsigned char	 md[SHA_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";
	int		 i;

	SHA1((const unsigned char *)lua, strlen(lua), md);
	for (i = 0; i < SHA_DIGEST_LENGTH; i++) {
		sha[2 * i] = hex[md[i] >> 4];
		sha[2 * i + 1] = hex[md[i] & 15];
	}
	sha[40] = '\0';
}

void
rc_script_sha(struct rc_scripts *s, const char *lua, char sha[41])
{
	int	 i;

	for (i = 0; i < RC_SCRIPTS; i++) {
		if (s->s[i].lua == NULL) {
			s->s[i].lua = lua;
			redis_script_sha(lua, s->s[i].sha);
		}
		if (s->s[i].lua == lua) {
			memcpy(sha, s->s[i].sha, 41);
			return;
		}
	}
	redis_script_sha(lua, sha);	/* table full: every time */
}

/* The routing rule is cluster.c's, the one place that knows commands. */
int
rc_first_key(int argc, const char **argv, const size_t *argvlen)
{
	const char	*key;
	size_t		 keylen;
	int		 i;

	if (cluster_command_key(argc, argv, argvlen, &key, &keylen) != 1)
		return -1;
	for (i = 1; i < argc; i++)
		if (argv[i] == key)
			return i;
	return -1;
}
