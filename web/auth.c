/*
 * auth -- sessions, CSRF tokens and login limits of outpost-web; see
 * web.h.  Everything lives in this process: a restart logs everyone out.
 *
 * A session is 32 random bytes (getrandom) shown as 64 hex digits in the
 * cookie, with a CSRF token of its own (32 more bytes) that every POST
 * form carries; it ends after AUTH_IDLE seconds without a request,
 * AUTH_LIFETIME seconds after the login whatever the requests, at
 * logout, or when the table is full and it is the oldest.  The caller
 * (http.c) also ends it when the account is gone from web_admins.  Failed
 * logins are counted per key (http.c: the pair of client address and
 * name): after AUTH_TRIES failures within AUTH_WINDOW seconds every
 * attempt of that key (a right password too) is refused for AUTH_WINDOW
 * seconds from the failure that reached the limit.  Every failure also
 * counts towards a ceiling of the whole process, AUTH_GLOBAL_TRIES per
 * window, past which every attempt waits.  The table of counters is
 * fixed (AUTH_KEYS) so that a flood of keys cannot grow memory; a new key
 * takes a free or expired entry, and when there is none it is refused
 * as throttled (an entry still locked is never dropped).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "web.h"

#define AUTH_KEYS	4096	/* > AUTH_GLOBAL_TRIES: full only if that is raised */

struct tries {
	char	 key[192];
	time_t	 start;
	int	 n;
};

struct auth {
	struct session	 s[AUTH_SESSIONS];
	struct tries	 t[AUTH_KEYS];
	struct tries	 all;		/* every failure: the ceiling */
	unsigned char	 secret[32];	/* of the trusted-header tokens */
};

static void
hex(const unsigned char *b, size_t n, char *out)
{
	static const char	 d[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

/* n hex digits (even, <= 128) of fresh random bytes; 0 / -1. */
int
auth_random_hex(char *out, size_t n)
{
	unsigned char	 b[64];
	size_t		 got = 0;
	ssize_t		 r;

	if (n % 2 != 0 || n / 2 > sizeof(b))
		return -1;
	while (got < n / 2) {
		if ((r = getrandom(b + got, n / 2 - got, 0)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += (size_t)r;
	}
	hex(b, n / 2, out);
	return 0;
}

struct auth *
auth_new(void)
{
	struct auth	*a;
	size_t		 got = 0;
	ssize_t		 r;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	while (got < sizeof(a->secret)) {
		if ((r = getrandom(a->secret + got, sizeof(a->secret) - got,
		    0)) < 0) {
			if (errno == EINTR)
				continue;
			return auth_free(a);
		}
		got += (size_t)r;
	}
	return a;
}

struct auth *
auth_free(struct auth *a)
{
	if (a != NULL)
		explicit_bzero(a, sizeof(*a));
	free(a);
	return NULL;
}

struct session *
auth_login(struct auth *a, const char *name, int role, time_t now)
{
	struct session	*s = NULL, *oldest = &a->s[0];
	size_t		 i;

	for (i = 0; i < AUTH_SESSIONS && s == NULL; i++) {
		if (a->s[i].id[0] == '\0' || now - a->s[i].seen > AUTH_IDLE ||
		    now - a->s[i].born > AUTH_LIFETIME)
			s = &a->s[i];
		else if (a->s[i].seen < oldest->seen)
			oldest = &a->s[i];
	}
	if (s == NULL)
		s = oldest;
	memset(s, 0, sizeof(*s));
	if (auth_random_hex(s->id, AUTH_ID_HEX) < 0 ||
	    auth_random_hex(s->csrf, AUTH_ID_HEX) < 0) {
		memset(s, 0, sizeof(*s));
		return NULL;
	}
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->role = role;
	s->seen = now;
	s->born = now;
	return s;
}

struct session *
auth_find(struct auth *a, const char *id, time_t now)
{
	size_t	 i;

	if (id == NULL || strlen(id) != AUTH_ID_HEX)
		return NULL;
	for (i = 0; i < AUTH_SESSIONS; i++) {
		if (a->s[i].id[0] == '\0' ||	/* both AUTH_ID_HEX long */
		    CRYPTO_memcmp(a->s[i].id, id, AUTH_ID_HEX) != 0)
			continue;
		if (now - a->s[i].seen > AUTH_IDLE ||
		    now - a->s[i].born > AUTH_LIFETIME) {
			memset(&a->s[i], 0, sizeof(a->s[i]));
			return NULL;
		}
		a->s[i].seen = now;
		return &a->s[i];
	}
	return NULL;
}

void
auth_logout(struct auth *a, const char *id)
{
	size_t	 i;

	for (i = 0; id != NULL && i < AUTH_SESSIONS; i++)
		if (a->s[i].id[0] != '\0' && strcmp(a->s[i].id, id) == 0)
			memset(&a->s[i], 0, sizeof(a->s[i]));
}

/* A window over: the counter starts again. */
static void
tries_age(struct tries *t, time_t now)
{
	if (now - t->start >= AUTH_WINDOW) {
		t->start = now;
		t->n = 0;
	}
}

/* The counter of key; when absent, a free or expired entry (made key's
 * when make is set), or NULL when every entry is in a live window. */
static struct tries *
tries_of(struct auth *a, const char *key, time_t now, int make)
{
	struct tries	*t = NULL, *spare = NULL;
	size_t		 i;

	for (i = 0; i < AUTH_KEYS && t == NULL; i++) {
		if (a->t[i].key[0] != '\0' &&
		    strncmp(a->t[i].key, key, sizeof(a->t[i].key) - 1) == 0)
			t = &a->t[i];
		else if (spare == NULL && (a->t[i].key[0] == '\0' ||
		    now - a->t[i].start >= AUTH_WINDOW))
			spare = &a->t[i];
	}
	if (t == NULL && (t = spare) != NULL) {
		if (!make)
			return t;	/* not counted yet: room for it */
		memset(t, 0, sizeof(*t));
		snprintf(t->key, sizeof(t->key), "%s", key);
		t->start = now;
	}
	if (t != NULL)
		tries_age(t, now);
	return t;
}

static int
wait_of(const struct tries *t, int max, time_t now)
{
	return t->n >= max ? (int)(t->start + AUTH_WINDOW - now) : 0;
}

int
auth_throttle(struct auth *a, const char *key, time_t now)
{
	struct tries	*t = tries_of(a, key, now, 0);
	int		 w1, w2;

	if (t == NULL)
		return AUTH_WINDOW;	/* no room to count it: wait */
	tries_age(&a->all, now);
	w1 = strncmp(t->key, key, sizeof(t->key) - 1) == 0 ?
	    wait_of(t, AUTH_TRIES, now) : 0;
	w2 = wait_of(&a->all, AUTH_GLOBAL_TRIES, now);
	return w1 > w2 ? w1 : w2;
}

/* The failure that reaches the limit locks for a whole window. */
static void
tries_count(struct tries *t, int max, time_t now)
{
	if (++t->n == max)
		t->start = now;
}

void
auth_failed(struct auth *a, const char *key, time_t now)
{
	struct tries	*t = tries_of(a, key, now, 1);

	if (t != NULL)
		tries_count(t, AUTH_TRIES, now);
	tries_age(&a->all, now);
	tries_count(&a->all, AUTH_GLOBAL_TRIES, now);
}

void
auth_token(const struct auth *a, const char *name, char out[AUTH_ID_HEX + 1])
{
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 n = 0;

	if (HMAC(EVP_sha256(), a->secret, (int)sizeof(a->secret),
	    (const unsigned char *)name, strlen(name), mac, &n) == NULL ||
	    n < AUTH_ID_HEX / 2) {
		out[0] = '\0';
		return;
	}
	hex(mac, AUTH_ID_HEX / 2, out);
}

/* Equal strings compared through their SHA-256: the time depends on
 * the lengths only, never on where they differ. */
int
auth_equal(const char *x, const char *y)
{
	unsigned char	 hx[EVP_MAX_MD_SIZE], hy[EVP_MAX_MD_SIZE];
	unsigned int	 nx = 0, ny = 0;

	if (x == NULL || y == NULL ||
	    EVP_Digest(x, strlen(x), hx, &nx, EVP_sha256(), NULL) != 1 ||
	    EVP_Digest(y, strlen(y), hy, &ny, EVP_sha256(), NULL) != 1 ||
	    nx != ny)
		return 0;
	return CRYPTO_memcmp(hx, hy, nx) == 0;
}
