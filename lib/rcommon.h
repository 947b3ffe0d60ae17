/*
 * rcommon -- what the synchronous client (lib/redis.c) and the
 * asynchronous one (lib/aredis.c) share: where to connect, the handshake
 * after a connect, the reconnect backoff, the script SHA1 cache and the
 * first key of a command.  No I/O, no allocation, never logs.
 *
 *   rc_target_of(addr, t, err, errlen)
 *       THE HOOK WHERE A CLIENT CHOOSES ITS NODE.  Both clients call it
 *       before every connect (first connect and each reconnect) and
 *       connect to *t.  Today: the one server of a HOST:PORT or unix:
 *       address; 0, or -1 with err set for sentinel: and cluster:.
 *       Sentinel replaces this step with "ask the sentinels for the
 *       master" (the async client's locate() in lib/aredis.c may answer
 *       later: it ends by calling connect_to(target)); Cluster picks a
 *       seed here and the node of a slot at send time (see rc_first_key).
 *   rc_hello(conf, h)
 *       the commands to send on a fresh connection, in order, as argv
 *       arrays pointing into conf and h: AUTH [user] password when a
 *       password is set, SELECT db when redis_db is not 0.  h->n of them
 *       (0 to 2); h->cmd[i].what names each for error texts.
 *   rc_backoff_fail(b, now)   a connect or handshake failed: the next
 *                             attempt waits 100 ms, doubling to 5 s;
 *                             returns that delay in ms
 *   rc_backoff_reset(b)       a handshake completed: the next failure
 *                             waits 100 ms again (not reset at TCP
 *                             connect: a wrong password would otherwise
 *                             retry every 100 ms)
 *   rc_backoff_left(b, now)   ms until the next attempt is due, 0: now
 *   rc_backoff_failing(b)     1 between a failure and the next reset
 *   rc_now_ms()               CLOCK_MONOTONIC in ms
 *   rc_script_sha(s, lua, sha)
 *       the SHA1 hex of a script (41 bytes with the NUL) into sha, as
 *       SCRIPT LOAD returns it.  Scripts are static strings identified
 *       by their address: the first RC_SCRIPTS are computed once and
 *       kept in s, later ones computed at every call.  A struct
 *       rc_scripts starts zeroed and belongs to one client.
 *   rc_first_key(argc, argv, argvlen)
 *       THE KEY OF A COMMAND, for Cluster slot routing: the index in
 *       argv of its first key, -1 when it has none.  EVAL/EVALSHA: 3
 *       when numkeys > 0.  Commands without keys (SCAN, SCRIPT, INFO,
 *       PING, AUTH, SELECT, ROLE, CLUSTER, WAIT, ...): -1.  Any other: 1.
 *       The async client takes the key from its caller instead (see
 *       aredis_command); this is for callers that do not say.
 */
#ifndef OUTPOST_RCOMMON_H
#define OUTPOST_RCOMMON_H

#include <stddef.h>

struct conf;
struct redis_addr;

#define RC_SCRIPTS	16
#define RC_BACKOFF_MIN_MS	100
#define RC_BACKOFF_MAX_MS	5000

struct rc_target {
	int	 unix_socket;
	char	 path[108];		/* unix_socket */
	char	 host[256];		/* else */
	int	 port;
};

struct rc_hello {
	int	 n;
	struct {
		const char	*what;		/* "AUTH", "SELECT" */
		int		 argc;
		const char	*argv[3];
		size_t		 argvlen[3];
	}	 cmd[2];
	char	 db[24];
};

struct rc_backoff {
	long		 ms;		/* 0: not failing */
	long long	 next_ms;	/* monotonic: next attempt */
};

struct rc_scripts {
	struct {
		const char	*lua;
		char		 sha[41];
	}	 s[RC_SCRIPTS];
};

int		 rc_target_of(const struct redis_addr *, struct rc_target *,
		    char *, size_t);
void		 rc_hello(const struct conf *, struct rc_hello *);
long		 rc_backoff_fail(struct rc_backoff *, long long);
void		 rc_backoff_reset(struct rc_backoff *);
long long	 rc_backoff_left(const struct rc_backoff *, long long);
int		 rc_backoff_failing(const struct rc_backoff *);
long long	 rc_now_ms(void);
void		 rc_script_sha(struct rc_scripts *, const char *, char[41]);
int		 rc_first_key(int, const char **, const size_t *);

#endif
