/*
 * secret -- the Redis password, kept where only root can read it.
 *
 * outpost.conf is 0640 root:outpost, so a password in it (redis_password)
 * is readable by the daemon account and by Postfix's group peers at most;
 * redis_password_file names a root-only file instead.  Both are read
 * before any program drops its privileges.  Library code: 0/-1 (or 1)
 * with a reason in err, nothing logged.
 *
 *   secret_load(c, err, errlen)
 *       when c->redis_password_file is set: read the file into
 *       c->redis_password (one line; a final newline is dropped).  0, or
 *       -1 when redis_password is set as well, when the file cannot be
 *       read, is not a regular file, is readable or writable by others
 *       (mode & 006), or is empty or larger than SECRET_MAX bytes.
 *       0 and nothing done when redis_password_file is empty.
 *       conf_load_path calls it.
 *   secret_conf_check(path, c, warn, warnlen)
 *       1 with a warning in warn when the config file path holds a
 *       password (redis_password set in it, not read from a file) and
 *       others may read it (mode & 004); 0 otherwise, also when path
 *       cannot be stat()ed (a missing default file).  The daemons and
 *       outpostctl print the warning at start.
 */
#ifndef OUTPOST_SECRET_H
#define OUTPOST_SECRET_H

#include <stddef.h>

#include "conf.h"

#define SECRET_MAX	1024

int	 secret_load(struct conf *, char *, size_t);
int	 secret_conf_check(const char *, const struct conf *, char *, size_t);

#endif
