/*
 * privdrop -- drop root privileges; see privdrop.h.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "privdrop.h"

int
privdrop_lookup(const char *user, uid_t *uid, gid_t *gid, char *err,
    size_t errlen)
{
	struct passwd	*pw;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "user \"%s\": %s", user,
		    errno ? strerror(errno) : "no such account");
		return -1;
	}
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
	if (uid == 0) {
		snprintf(err, errlen, "refusing to run as root (user = %s)",
		    user);
		return -1;
	}
	if (initgroups(user, gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		snprintf(err, errlen, "cannot switch to user %s: %s", user,
		    strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) {
		snprintf(err, errlen, "could regain root after switching to "
		    "%s", user);
		return -1;
	}
	return 0;
}
