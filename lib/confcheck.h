/*
 * confcheck -- what a daemon's -n checks beyond the syntax conf_load
 * already judged: the values that start-up would refuse (an account that
 * does not exist, an address the client cannot use), and whether Redis
 * answers now.  Errors name the file and the line that set the key
 * ("/etc/outpost/outpost.conf:7: user: no such account \"mail2\""), or the
 * file alone when the key is at its default.  Never logs.
 *
 *   confcheck_line(path, key)
 *       the number of the last line of path that sets key, 0 if none
 *   confcheck_user(c, path, err, errlen)
 *       0, or -1: the account named by user does not exist
 *   confcheck_addr(c, path, key, value, err, errlen)
 *       0, or -1: value (of key) is not a unix:/inet: address
 *   confcheck_redis(c, path, err, errlen)
 *       0 Redis answered PING; 1 a warning in err: Redis did not answer
 *       (it may be down for now: not a configuration error); -1 an error:
 *       redis_address is refused (syntax)
 *   confcheck_redis_async(c, path, err, errlen)
 *       0, or -1: the daemon's asynchronous client cannot use
 *       redis_address yet (cluster:); policyd checks this too
 */
#ifndef OUTPOST_CONFCHECK_H
#define OUTPOST_CONFCHECK_H

#include <stddef.h>

struct conf;

int	 confcheck_line(const char *, const char *);
int	 confcheck_user(const struct conf *, const char *, char *, size_t);
int	 confcheck_addr(const char *, const char *, const char *, char *,
	    size_t);
int	 confcheck_redis(const struct conf *, const char *, char *, size_t);
int	 confcheck_redis_async(const struct conf *, const char *, char *,
	    size_t);

#endif
