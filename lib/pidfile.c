/*
 * pidfile -- the pid file of a daemon started without systemd; see
 * pidfile.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errf.h"
#include "pidfile.h"

int
pidfile_path(const char *tmpl, const char *prog, char *buf, size_t len,
    char *err, size_t errlen)
{
	size_t	 n = 0, add;
	const char *p, *piece;

	for (p = tmpl; *p != '\0'; p++) {
		piece = p[0] == '%' && p[1] == 'p' ? prog : NULL;
		add = piece != NULL ? strlen(piece) : 1;
		if (n + add >= len)
			return errf(err, errlen, "pid_file %s: too long", tmpl);
		if (piece != NULL) {
			memcpy(buf + n, piece, add);
			p++;
		} else
			buf[n] = *p;
		n += add;
	}
	buf[n] = '\0';
	return 0;
}

/* Split path into its directory (into dir) and its last component. */
static int
split(const char *path, char *dir, size_t dirlen, const char **name,
    char *err, size_t errlen)
{
	const char	*slash = strrchr(path, '/');

	if (path[0] != '/' || slash[1] == '\0' || strlen(slash + 1) >= 256)
		return errf(err, errlen, "pid_file %s: not an absolute path "
		    "to a file", path);
	if ((size_t)(slash - path) + 2 > dirlen)
		return errf(err, errlen, "pid_file %s: too long", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash == path ? 1 : slash - path] = '\0';
	*name = slash + 1;
	return 0;
}

/*
 * The pid in name (relative to dirfd): > 0 when a live process has it,
 * 0 when there is no such file or it names no live process, -1 when it
 * is not a plain file.
 */
static long
owner(int dirfd, const char *name, char *err, size_t errlen)
{
	char		 buf[32];
	struct stat	 st;
	ssize_t		 n;
	long		 pid;
	int		 fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0)
		return errf(err, errlen, "%s: %s", name, errno == ELOOP ?
		    "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, "%s: not a regular file", name);
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	if (pid <= 0 || pid == (long)getpid())
		return 0;
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
		return pid;
	return 0;
}

static int
open_dir(const char *dir, int create, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	int	 fd;

	if (create && mkdir(dir, 0755) == 0) {
		if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC)) < 0 || fchown(fd, uid, gid) < 0) {
			if (fd >= 0)
				close(fd);
			return errf(err, errlen, "pid_file directory %s: %s",
			    dir, strerror(errno));
		}
		return fd;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return errf(err, errlen, "pid_file directory %s: %s", dir,
		    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	return fd;
}

int
pidfile_check(const char *path, char *err, size_t errlen)
{
	char		 dir[4096], why[512];
	const char	*name;
	long		 pid;
	int		 dirfd;

	if (split(path, dir, sizeof(dir), &name, err, errlen) < 0)
		return -1;
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;	/* pidfile_write creates it */
	pid = owner(dirfd, name, why, sizeof(why));
	close(dirfd);
	if (pid < 0)
		return errf(err, errlen, "pid_file %s/%s", dir, why);
	if (pid > 0)
		return errf(err, errlen, "pid_file %s: already running as "
		    "pid %ld", path, pid);
	return 0;
}

int
pidfile_init(struct pidfile *pf, const char *tmpl, const char *prog,
    char *err, size_t errlen)
{
	memset(pf, 0, sizeof(*pf));
	pf->dirfd = -1;
	if (*tmpl == '\0')
		return 0;
	if (pidfile_path(tmpl, prog, pf->path, sizeof(pf->path), err,
	    errlen) < 0 || pidfile_check(pf->path, err, errlen) < 0) {
		pf->path[0] = '\0';
		return -1;
	}
	return 0;
}

int
pidfile_write(struct pidfile *pf, uid_t uid, gid_t gid, char *err,
    size_t errlen)
{
	char		 dir[4096], why[512], buf[32];
	const char	*name, *path = pf->path;
	long		 pid;
	int		 fd, tries;

	pf->dirfd = -1;
	if (*path == '\0')
		return 0;
	if (split(path, dir, sizeof(dir), &name, err, errlen) < 0 ||
	    (pf->dirfd = open_dir(dir, 1, uid, gid, err, errlen)) < 0)
		return -1;
	snprintf(pf->name, sizeof(pf->name), "%s", name);
	for (tries = 0; tries < 3; tries++) {
		fd = openat(pf->dirfd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0) {
			snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
			if (write(fd, buf, strlen(buf)) !=
			    (ssize_t)strlen(buf) || close(fd) < 0)
				goto fail;
			return 0;
		}
		if (errno != EEXIST)
			goto fail;
		if ((pid = owner(pf->dirfd, name, why, sizeof(why))) < 0) {
			errf(err, errlen, "pid_file %s/%s", dir, why);
			break;
		}
		if (pid > 0) {
			errf(err, errlen, "pid_file %s: already running as "
			    "pid %ld", path, pid);
			break;
		}
		if (unlinkat(pf->dirfd, name, 0) < 0 && errno != ENOENT)
			goto fail;
	}
	close(pf->dirfd);
	pf->dirfd = -1;
	if (tries == 3)
		errf(err, errlen, "pid_file %s: keeps reappearing", path);
	return -1;
fail:
	errf(err, errlen, "pid_file %s: %s", path, strerror(errno));
	close(pf->dirfd);
	pf->dirfd = -1;
	return -1;
}

int
pidfile_remove(struct pidfile *pf)
{
	char	 buf[32];
	ssize_t	 n;
	int	 fd, rc = 0, saved;

	if (pf->dirfd < 0)
		return 0;
	fd = openat(pf->dirfd, pf->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		buf[n > 0 ? n : 0] = '\0';
		if (strtol(buf, NULL, 10) == (long)getpid())
			rc = unlinkat(pf->dirfd, pf->name, 0);
	}
	saved = errno;
	close(pf->dirfd);
	pf->dirfd = -1;
	errno = saved;
	return rc;
}
