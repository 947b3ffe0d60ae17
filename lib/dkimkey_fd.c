/*
 * dkimkey_fd.c -- writing into a keys directory through descriptors.
 * outpostctl runs as root inside keys_directory; had it chmod'ed, chown'ed
 * or renamed by path, the daemon account could swap a symlink in between
 * and have root change a file of its choice.  So every folder is opened
 * with O_DIRECTORY|O_NOFOLLOW, every change goes through that descriptor
 * (fchown, fchmod, openat, mkdirat, linkat, renameat, unlinkat), and as
 * root the folders end up root-owned so the daemon account cannot change
 * what they hold at all.  See dkimkey.h; nothing here logs.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "dkimkey.h"
#include "errf.h"

/* ".PREFIX.XXXXXX" with six random letters into buf; 0 / -1. */
static int
tmp_name(char *buf, size_t len, const char *prefix)
{
	static const char	 set[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char		 rnd[6];
	size_t			 i;
	int			 n;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -1;
	n = snprintf(buf, len, ".%s.XXXXXX", prefix);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 0; i < sizeof(rnd); i++)
		buf[(size_t)n - 6 + i] = set[rnd[i] % (sizeof(set) - 1)];
	return 0;
}

static int
is_symlink(int dfd, const char *name)
{
	struct stat	 st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode);
}

/*
 * Give the folder open as fd the ownership the rules want: as root
 * (owner not -1) root:gid 0750, taking it over from owner (the layout of
 * older versions); refuse any other owner, or one that others may write.
 */
static int
dir_settle(int fd, const char *name, uid_t owner, gid_t gid, int fresh,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		 why[256];

	if (fstat(fd, &st) < 0)
		return errf(err, errlen, "%s: %s", name, strerror(errno));
	if (owner == (uid_t)-1) {
		if (fresh && fchmod(fd, 0750) < 0)
			return errf(err, errlen, "%s: %s", name,
			    strerror(errno));
		return 0;
	}
	if (fresh || st.st_uid == owner) {
		if (fchown(fd, 0, gid) < 0 || fchmod(fd, 0750) < 0)
			return errf(err, errlen, "%s: %s", name,
			    strerror(errno));
		return 0;
	}
	if (dkimkey_check_nowrite(&st, 0, why, sizeof(why)) < 0) {
		errno = EPERM;
		return errf(err, errlen, "%s: %s", name, why);
	}
	return 0;
}

int
dkimkey_diropen(int dfd, const char *name, uid_t owner, gid_t gid,
    int create, char *err, size_t errlen)
{
	int	 fd, fresh = 0, saved;

	if (create && mkdirat(dfd, name, 0700) == 0)
		fresh = 1;
	else if (create && errno != EEXIST)
		return errf(err, errlen, "%s: %s", name, strerror(errno));
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0) {
		saved = errno;
		if (is_symlink(dfd, name)) {
			saved = ELOOP;
			errf(err, errlen, "%s: a symbolic link, not a "
			    "directory (refused)", name);
		} else
			errf(err, errlen, "%s: %s", name, strerror(saved));
		errno = saved;
		return -1;
	}
	if (dir_settle(fd, name, owner, gid, fresh, err, errlen) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int
dkimkey_tmpdirat(int dfd, const char *prefix, char *name, size_t namelen,
    uid_t owner, gid_t gid, char *err, size_t errlen)
{
	int	 i, fd;

	for (i = 0; i < 100; i++) {
		if (tmp_name(name, namelen, prefix) < 0)
			return errf(err, errlen, ".%s.XXXXXX: %s", prefix,
			    strerror(errno));
		if (mkdirat(dfd, name, 0700) == 0)
			break;
		if (errno != EEXIST)
			return errf(err, errlen, "%s: %s", name,
			    strerror(errno));
	}
	if (i == 100)
		return errf(err, errlen, ".%s.XXXXXX: no free name", prefix);
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || dir_settle(fd, name, owner, gid, 1, err, errlen) < 0) {
		if (fd < 0)
			errf(err, errlen, "%s: %s", name, strerror(errno));
		else
			close(fd);
		unlinkat(dfd, name, AT_REMOVEDIR);
		return -1;
	}
	return fd;
}

int
dkimkey_tmpfileat(int dfd, const char *prefix, char *name, size_t namelen,
    char *err, size_t errlen)
{
	int	 i, fd;

	for (i = 0; i < 100; i++) {
		if (tmp_name(name, namelen, prefix) < 0)
			return errf(err, errlen, ".%s.XXXXXX: %s", prefix,
			    strerror(errno));
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return errf(err, errlen, "%s: %s", name,
			    strerror(errno));
	}
	return errf(err, errlen, ".%s.XXXXXX: no free name", prefix);
}

void
dkimkey_rmtmpat(int dfd, const char *name, int fd)
{
	DIR		*d;
	struct dirent	*de;
	int		 dup_fd;

	if (fd >= 0 && (dup_fd = dup(fd)) >= 0) {
		if ((d = fdopendir(dup_fd)) == NULL)
			close(dup_fd);
		else {
			while ((de = readdir(d)) != NULL)
				if (strcmp(de->d_name, ".") != 0 &&
				    strcmp(de->d_name, "..") != 0)
					unlinkat(fd, de->d_name, 0);
			closedir(d);
		}
	}
	unlinkat(dfd, name, AT_REMOVEDIR);
}
