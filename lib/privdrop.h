/*
 * privdrop -- the daemons' one straight-line step from root to their user.
 *
 *   privdrop_lookup(user, &uid, &gid, err, errlen)
 *       resolve an account name; 0 or -1 ("no such user")
 *   privdrop(user, err, errlen)
 *       when running as root: initgroups, setgid, setuid to user, then
 *       verify that root cannot be regained; when not root: nothing (the
 *       daemon keeps the account it was started as).  0 or -1.
 */
#ifndef OUTPOST_PRIVDROP_H
#define OUTPOST_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

int	 privdrop_lookup(const char *, uid_t *, gid_t *, char *, size_t);
int	 privdrop(const char *, char *, size_t);

#endif
