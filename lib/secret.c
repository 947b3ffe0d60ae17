/*
 * secret.c -- redis_password_file, and the warning about a config file
 * that holds a password for everyone to read.  See secret.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errf.h"
#include "secret.h"

/* The file's one line into a malloc'd string; NULL with err set. */
static char *
read_line(int fd, const char *path, char *err, size_t errlen)
{
	char	 buf[SECRET_MAX + 2], *nl;
	size_t	 len = 0;
	ssize_t	 n;

	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			errf(err, errlen, "redis_password_file %s: %s", path,
			    strerror(errno));
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		errf(err, errlen, "redis_password_file %s: a NUL byte in it",
		    path);
		return NULL;
	}
	if (len > 0 && buf[len - 1] == '\n')	/* the final newline */
		buf[--len] = '\0';
	if (len > SECRET_MAX || (nl = strpbrk(buf, "\r\n")) != NULL) {
		errf(err, errlen, "redis_password_file %s: want one line of "
		    "at most %d bytes", path, SECRET_MAX);
		return NULL;
	}
	if (len == 0) {
		errf(err, errlen, "redis_password_file %s: empty", path);
		return NULL;
	}
	return strdup(buf);
}

int
secret_load(struct conf *c, char *err, size_t errlen)
{
	const char	*path = c->redis_password_file;
	struct stat	 st;
	char		*pw;
	int		 fd;

	if (path == NULL || path[0] == '\0')
		return 0;
	if (c->redis_password != NULL && c->redis_password[0] != '\0')
		return errf(err, errlen, "redis_password and "
		    "redis_password_file are both set; keep one");
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC |
	    O_NONBLOCK)) < 0)
		return errf(err, errlen, "redis_password_file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, "redis_password_file %s: not a "
		    "regular file", path);
	}
	if ((st.st_mode & 006) != 0) {
		close(fd);
		return errf(err, errlen, "redis_password_file %s: mode %04o "
		    "lets others %s it (want 0600 or 0640, owner root)", path,
		    (unsigned)(st.st_mode & 07777),
		    (st.st_mode & 004) ? "read" : "write");
	}
	pw = read_line(fd, path, err, errlen);
	close(fd);
	if (pw == NULL)
		return -1;
	free(c->redis_password);
	c->redis_password = pw;
	return 0;
}

int
secret_conf_check(const char *path, const struct conf *c, char *warn,
    size_t warnlen)
{
	struct stat	 st;

	if (c->redis_password == NULL || c->redis_password[0] == '\0' ||
	    (c->redis_password_file != NULL &&
	    c->redis_password_file[0] != '\0'))
		return 0;
	if (stat(path, &st) < 0 || (st.st_mode & 004) == 0)
		return 0;
	errf(warn, warnlen, "%s holds redis_password and is readable by "
	    "others (mode %04o): chmod 0640 it (owner root, group of user), "
	    "or move the password to redis_password_file", path,
	    (unsigned)(st.st_mode & 07777));
	return 1;
}
