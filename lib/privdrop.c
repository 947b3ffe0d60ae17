/*
 * privdrop -- drop root privileges; see privdrop.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errf.h"
#include "privdrop.h"

int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL)
		return errf(err, errlen, "user \"%s\": %s", user,
		    errno ? strerror(errno) : "no such account");
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

int
privdrop(const char *user, char *err, size_t errlen)
{
	uid_t	 uid;
	gid_t	 gid;

	if (geteuid() != 0)
		return 0;
	if (privdrop_lookup(user, &uid, &gid, err, errlen) < 0)
		return -1;
	if (uid == 0)
		return errf(err, errlen, "refusing to run as root (user = %s)",
		    user);
	if (initgroups(user, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
		return errf(err, errlen, "cannot switch to user %s: %s", user,
		    strerror(errno));
	if (setuid(0) == 0)
		return errf(err, errlen, "could regain root after switching to "
		    "%s", user);
	return 0;
}
