/*
 * usock -- a unix listening socket put safely into its directory (see
 * usock.h for the contract).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "errf.h"
#include "usock.h"

#define USOCK_DIRMODE	0750
#define USOCK_UMASK	0117	/* sockets 0660, never more, even briefly */

mode_t
usock_umask(void)
{
	return USOCK_UMASK;
}

const char *
usock_name(const struct usock *u)
{
	return u->name;
}

/* Open dir without following a symlink; create it when missing. */
static int
open_dir(struct usock *u, const char *dir, gid_t gid, char *err,
    size_t errlen)
{
	const int	 fl = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	struct stat	 st;
	int		 made = 0, e;

	if ((u->dirfd = open(dir, fl)) < 0 && errno == ENOENT) {
		if (mkdir(dir, USOCK_DIRMODE) < 0 && errno != EEXIST)
			return errf(err, errlen, "socket directory %s: "
			    "cannot create: %s", dir, strerror(errno));
		made = 1;
		u->dirfd = open(dir, fl);
	}
	if (u->dirfd < 0) {	/* a symlink: ELOOP, or ENOTDIR on Linux */
		e = errno;
		return errf(err, errlen, "socket directory %s: %s", dir,
		    e == ELOOP || (lstat(dir, &st) == 0 &&
		    S_ISLNK(st.st_mode)) ? "is a symbolic link; refusing it" :
		    strerror(e));
	}
	if (made && (fchmod(u->dirfd, USOCK_DIRMODE) < 0 ||
	    (geteuid() == 0 && fchown(u->dirfd, 0, gid) < 0)))
		return errf(err, errlen, "socket directory %s: %s", dir,
		    strerror(errno));
	return 0;
}

/* Nobody but us may change the names in the directory. */
static int
check_dir(struct usock *u, const char *dir, char *err, size_t errlen)
{
	struct stat	 st;

	if (fstat(u->dirfd, &st) < 0)
		return errf(err, errlen, "socket directory %s: %s", dir,
		    strerror(errno));
	if (st.st_uid != geteuid())
		return errf(err, errlen, "socket directory %s is owned by "
		    "uid %lu, not by uid %lu; refusing it (chown it)", dir,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return errf(err, errlen, "socket directory %s is writable "
		    "by group or others (mode %04o); refusing it", dir,
		    (unsigned)(st.st_mode & 07777));
	return 0;
}

/* 1: a process accepts connections on name; 0: nobody; -1: error. */
static int
answers(const char *name, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	int			 fd, rc, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, name, strlen(name));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return errf(err, errlen, "socket: %s", strerror(errno));
	rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN)	/* EAGAIN: alive, backlog full */
		return 1;
	if (e == ECONNREFUSED)
		return 0;
	errno = e;
	return errf(err, errlen, "connect: %s", strerror(e));
}

/* What is at name: nothing, or a stale socket (removed), else refused. */
static int
clear_name(struct usock *u, char *err, size_t errlen)
{
	struct stat	 st;
	int		 a;

	if (fstatat(u->dirfd, u->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : errf(err, errlen, "%s: %s",
		    u->path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errf(err, errlen, "%s exists and is not a socket; "
		    "refusing to replace it", u->path);
	if ((a = answers(u->name, err, errlen)) != 0)
		return a < 0 ? -1 : errf(err, errlen, "%s: another process "
		    "answers on this socket (a second daemon?); not "
		    "starting", u->path);
	if (unlinkat(u->dirfd, u->name, 0) < 0)
		return errf(err, errlen, "cannot remove stale socket %s: %s",
		    u->path, strerror(errno));
	return 0;
}

int
usock_open(struct usock *u, const char *path, gid_t gid, char *err,
    size_t errlen)
{
	char		 dir[sizeof(u->path)];
	const char	*slash;

	u->dirfd = u->cwdfd = -1;
	if (strlen(path) >= sizeof(u->path))
		return errf(err, errlen, "socket path %s: longer than %zu "
		    "bytes", path, sizeof(u->path) - 1);
	snprintf(u->path, sizeof(u->path), "%s", path);
	slash = strrchr(path, '/');
	snprintf(u->name, sizeof(u->name), "%s", slash ? slash + 1 : path);
	if (u->name[0] == '\0' || strcmp(u->name, ".") == 0 ||
	    strcmp(u->name, "..") == 0)
		return errf(err, errlen, "socket path %s: no file name",
		    path);
	snprintf(dir, sizeof(dir), "%.*s", slash == NULL ? 1 :
	    slash == path ? 1 : (int)(slash - path), slash ? path : ".");
	if (open_dir(u, dir, gid, err, errlen) < 0 ||
	    check_dir(u, dir, err, errlen) < 0)
		goto fail;
	if ((u->cwdfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fchdir(u->dirfd) < 0) {
		errf(err, errlen, "socket directory %s: %s", dir,
		    strerror(errno));
		goto fail;
	}
	if (clear_name(u, err, errlen) == 0)
		return 0;
fail:
	usock_close(u);
	return -1;
}

int
usock_own(struct usock *u, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	struct stat	 st;

	if (geteuid() == 0 && fchownat(u->dirfd, u->name, uid, gid,
	    AT_SYMLINK_NOFOLLOW) < 0)
		return errf(err, errlen, "chown %s: %s", u->path,
		    strerror(errno));
	if (fstatat(u->dirfd, u->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errf(err, errlen, "%s: %s", u->path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return errf(err, errlen, "%s: not the socket just bound",
		    u->path);
	return 0;
}

void
usock_close(struct usock *u)
{
	if (u->cwdfd >= 0) {
		if (fchdir(u->cwdfd) < 0)
			(void)chdir("/");
		close(u->cwdfd);
	}
	if (u->dirfd >= 0)
		close(u->dirfd);
	u->dirfd = u->cwdfd = -1;
}
