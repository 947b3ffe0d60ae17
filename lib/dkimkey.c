/*
 * dkimkey.c -- names, paths, safety rules and the "active" file of the
 * DKIM key layout.  See dkimkey.h for the contract; nothing here logs.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dkimkey.h"
#include "errf.h"

/* One DNS label of [a-z0-9-], not starting or ending with '-'. */
static const char *
label_problem(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return "empty label";
	if (len > 63)
		return "label longer than 63 characters";
	if (s[0] == '-' || s[len - 1] == '-')
		return "label starts or ends with '-'";
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return "character outside [a-z0-9-]";
	return NULL;
}

int
dkimkey_selector_ok(const char *sel, char *err, size_t errlen)
{
	const char	*why;

	why = label_problem(sel, strlen(sel));
	if (why != NULL)
		return errf(err, errlen, "selector \"%s\": %s", sel, why);
	return 0;
}

int
dkimkey_path(char *buf, size_t len, const char *dir, const char *domain,
    const char *file)
{
	int	 n;

	if (file != NULL)
		n = snprintf(buf, len, "%s/%s/%s", dir, domain, file);
	else
		n = snprintf(buf, len, "%s/%s", dir, domain);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
dkimkey_key_path(char *buf, size_t len, const char *dir, const char *domain,
    const char *sel)
{
	char	 file[DKIMKEY_SELMAX + 8];

	snprintf(file, sizeof(file), "%s.key", sel);
	return dkimkey_path(buf, len, dir, domain, file);
}

static void
user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd	 pw, *res = NULL;
	char		 tmp[1024];

	if (getpwuid_r(uid, &pw, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, len, "%s", pw.pw_name);
	else
		snprintf(buf, len, "uid %lu", (unsigned long)uid);
}

static void
group_name(gid_t gid, char *buf, size_t len)
{
	struct group	 gr, *res = NULL;
	char		 tmp[4096];

	if (getgrgid_r(gid, &gr, tmp, sizeof(tmp), &res) == 0 && res != NULL)
		snprintf(buf, len, "%s", gr.gr_name);
	else
		snprintf(buf, len, "gid %lu", (unsigned long)gid);
}

int
dkimkey_check_key(const struct stat *st, uid_t owner, gid_t group,
    char *err, size_t errlen)
{
	char		 have[128], want[128];
	unsigned	 perm = st->st_mode & 07777;

	if (!S_ISREG(st->st_mode))
		return errf(err, errlen, "not a regular file");
	if (st->st_uid != owner) {
		user_name(st->st_uid, have, sizeof(have));
		user_name(owner, want, sizeof(want));
		return errf(err, errlen, "owner %s is unsafe (want %s)", have,
		    want);
	}
	if ((perm & ~0640u) != 0 || (perm & 0400) == 0)
		return errf(err, errlen, "mode %04o is unsafe (want 0600)",
		    perm);
	if ((perm & 0040) == 0)
		return 0;
	group_name(st->st_gid, have, sizeof(have));
	if (st->st_gid != group)
		return errf(err, errlen, "mode %04o with group %s is unsafe "
		    "(want 0600)", perm, have);
	/* The socket group: Postfix may be in it.  Refused next release. */
	errf(err, errlen, "mode %04o lets group %s read the key, and Postfix "
	    "may be in that group (accepted for now; chmod 0600)", perm, have);
	return 1;
}

int
dkimkey_check_nowrite(const struct stat *st, uid_t owner, char *err,
    size_t errlen)
{
	char	 have[128], want[128];

	if (st->st_uid != 0 && st->st_uid != owner) {
		user_name(st->st_uid, have, sizeof(have));
		user_name(owner, want, sizeof(want));
		return errf(err, errlen, "owner %s is unsafe (want root%s%s)",
		    have, owner == 0 ? "" : " or ", owner == 0 ? "" : want);
	}
	if ((st->st_mode & 022) != 0)
		return errf(err, errlen, "mode %04o is unsafe (writable by %s)",
		    (unsigned)(st->st_mode & 07777),
		    (st->st_mode & 002) ? "others" : "group");
	return 0;
}

int
dkimkey_dir_ok(const char *path, uid_t owner, char *err, size_t errlen)
{
	struct stat	 st;
	char		 why[256];

	if (stat(path, &st) < 0) {
		int	 saved = errno;

		errf(err, errlen, "directory %s: %s", path, strerror(errno));
		errno = saved;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return errf(err, errlen, "%s: not a directory", path);
	}
	if (dkimkey_check_nowrite(&st, owner, why, sizeof(why)) < 0) {
		errno = EPERM;
		return errf(err, errlen, "directory %s: %s", path, why);
	}
	return 0;
}

int
dkimkey_active_has(const struct dkimkey_active *act, const char *sel)
{
	size_t	 i;

	for (i = 0; i < act->n; i++)
		if (strcmp(act->sel[i], sel) == 0)
			return 1;
	return 0;
}

/* Parse the text of an active file into *act; 0 / -1. */
static int
active_parse(char *text, const char *path, struct dkimkey_active *act,
    char *err, size_t errlen)
{
	char	*line, *next, *end, why[160];
	int	 lineno = 0;

	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		while (isspace((unsigned char)*line))
			line++;
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		if (dkimkey_selector_ok(line, why, sizeof(why)) < 0)
			return errf(err, errlen, "active file %s line %d: %s",
			    path, lineno, why);
		if (dkimkey_active_has(act, line))
			continue;
		if (act->n == DKIMKEY_ACTIVEMAX)
			return errf(err, errlen, "active file %s: more than %d "
			    "selectors", path, DKIMKEY_ACTIVEMAX);
		snprintf(act->sel[act->n++], DKIMKEY_SELMAX, "%s", line);
	}
	return 0;
}

int
dkimkey_active_read(const char *dir, const char *domain, uid_t owner,
    struct dkimkey_active *act, char *err, size_t errlen)
{
	char		 path[4096], text[4097], why[256];
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	memset(act, 0, sizeof(*act));
	if (dkimkey_path(path, sizeof(path), dir, domain,
	    DKIMKEY_ACTIVE_FILE) < 0)
		return errf(err, errlen, "%s/%s: path too long", dir, domain);
	if ((fd = open(path, O_RDONLY | O_NOCTTY | O_CLOEXEC |
	    O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		return errf(err, errlen, "active file %s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errf(err, errlen, "active file %s: not a regular file",
		    path);
	}
	if (owner != (uid_t)-1 &&
	    dkimkey_check_nowrite(&st, owner, why, sizeof(why)) < 0) {
		close(fd);
		return errf(err, errlen, "active file %s: %s", path, why);
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return errf(err, errlen, "active file %s: %s", path,
		    strerror(errno));
	if ((size_t)n == sizeof(text) - 1)
		return errf(err, errlen, "active file %s: too large", path);
	text[n] = '\0';
	return active_parse(text, path, act, err, errlen);
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
dkimkey_active_writeat(int dfd, const struct dkimkey_active *act, uid_t uid,
    gid_t gid, char *err, size_t errlen)
{
	char	 tmp[64], text[DKIMKEY_ACTIVEMAX * (DKIMKEY_SELMAX + 1) + 1];
	size_t	 i, len = 0;
	int	 fd;

	for (i = 0; i < act->n; i++) {
		if (dkimkey_selector_ok(act->sel[i], err, errlen) < 0)
			return -1;
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s\n",
		    act->sel[i]);
	}
	if ((fd = dkimkey_tmpfileat(dfd, DKIMKEY_ACTIVE_FILE, tmp,
	    sizeof(tmp), err, errlen)) < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 ||
	    (uid != (uid_t)-1 && fchown(fd, uid, gid) < 0) ||
	    write_all(fd, text, len) < 0 || fsync(fd) < 0) {
		errf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	if (close(fd) < 0 || renameat(dfd, tmp, dfd, DKIMKEY_ACTIVE_FILE) < 0) {
		errf(err, errlen, "%s: %s", DKIMKEY_ACTIVE_FILE,
		    strerror(errno));
		unlinkat(dfd, tmp, 0);
		return -1;
	}
	return 0;
}

int
dkimkey_active_write(const char *dir, const char *domain,
    const struct dkimkey_active *act, uid_t uid, gid_t gid,
    char *err, size_t errlen)
{
	char	 path[4096], why[512];
	int	 dfd, rc;

	if (dkimkey_path(path, sizeof(path), dir, domain, NULL) < 0)
		return errf(err, errlen, "%s/%s: path too long", dir, domain);
	if ((dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	rc = dkimkey_active_writeat(dfd, act, uid, gid, why, sizeof(why));
	close(dfd);
	if (rc < 0)
		return errf(err, errlen, "%s: %s", path, why);
	return 0;
}
