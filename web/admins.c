/*
 * admins -- the accounts file of outpost-web (conf web_admins).
 *
 * One account per line: NAME:HASH:ROLE.  NAME is 1..127 bytes of
 * [A-Za-z0-9._@+-]; HASH a crypt(3) hash ("$y$..." yescrypt from
 * admins_add; any method crypt(3) knows is checked); ROLE "admin" or
 * "read-only".  Empty lines and lines starting with '#' are skipped; a
 * line that does not parse makes the whole file refused (with its line
 * number), so that a typo never silently locks an admin out or in; so
 * is a file writable by group or others.
 * admins_add holds an flock(2) on PATH.lock while it reads and rewrites
 * the file (two at once do not lose an account), writes the new file
 * beside the old one with the old one's owner, group and mode (a new
 * file: 0640, the group of the conf's user account when it exists, so
 * that the daemon can read it), renames it over and fsyncs the file and
 * the directory: a reader sees the old file or the new one.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errf.h"
#include "web.h"

#define ADMINS_MAX	1000
#define LINE_MAX_LEN	1024

struct admin {
	char	 name[128];
	char	 hash[512];
	int	 role;
};

struct admins {
	struct admin	 a[ADMINS_MAX];
	size_t		 n;
};

static int
name_ok(const char *s)
{
	size_t	 n = strlen(s);

	return n > 0 && n < 128 && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._@+-") == n;
}

static int
role_parse(const char *s)
{
	if (strcmp(s, "admin") == 0)
		return ROLE_ADMIN;
	if (strcmp(s, "read-only") == 0)
		return ROLE_READONLY;
	return -1;
}

/* "NAME:HASH:ROLE" into a; 0 or -1.  The hash holds no ':' (crypt's
 * alphabet is [./0-9A-Za-z$]), the role is after the last one. */
static int
parse_line(char *line, struct admin *a)
{
	char	*c1, *c2;

	if ((c1 = strchr(line, ':')) == NULL ||
	    (c2 = strrchr(line, ':')) == c1)
		return -1;
	*c1 = *c2 = '\0';
	if (!name_ok(line) || strlen(c1 + 1) >= sizeof(a->hash) ||
	    c1[1] == '\0' || (a->role = role_parse(c2 + 1)) < 0)
		return -1;
	snprintf(a->name, sizeof(a->name), "%s", line);
	snprintf(a->hash, sizeof(a->hash), "%s", c1 + 1);
	return 0;
}

static int
load_fp(struct admins *as, FILE *fp, const char *path, char *err,
    size_t errlen)
{
	char	 line[LINE_MAX_LEN];
	int	 lineno = 0;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp))
			return errf(err, errlen, "%s:%d: line too long", path,
			    lineno);
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (as->n == ADMINS_MAX)
			return errf(err, errlen, "%s: more than %d accounts",
			    path, ADMINS_MAX);
		if (parse_line(line, &as->a[as->n]) < 0)
			return errf(err, errlen, "%s:%d: expected NAME:HASH:"
			    "ROLE (ROLE admin or read-only)", path, lineno);
		as->n++;
	}
	if (ferror(fp))
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	return 0;
}

struct admins *
admins_load(const char *path, char *err, size_t errlen)
{
	struct admins	*as;
	struct stat	 st;
	FILE		*fp;

	if ((as = calloc(1, sizeof(*as))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	if ((fp = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)	/* no accounts yet: nobody logs in */
			return as;
		errf(err, errlen, "%s: %s", path, strerror(errno));
		return admins_free(as);
	}
	if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 022) != 0) {
		errf(err, errlen, "%s: writable by group or others (mode %04o):"
		    " anyone of them could add an admin; chmod go-w it", path,
		    (unsigned)(st.st_mode & 07777));
		fclose(fp);
		return admins_free(as);
	}
	if (load_fp(as, fp, path, err, errlen) < 0) {
		fclose(fp);
		return admins_free(as);
	}
	fclose(fp);
	return as;
}

struct admins *
admins_free(struct admins *as)
{
	free(as);
	return NULL;
}

static const struct admin *
find(const struct admins *as, const char *name)
{
	size_t	 i;

	for (i = 0; as != NULL && i < as->n; i++)
		if (strcmp(as->a[i].name, name) == 0)
			return &as->a[i];
	return NULL;
}

int
admins_role(const struct admins *as, const char *name)
{
	const struct admin	*a = find(as, name);

	return a == NULL ? -1 : a->role;
}

/* A wrong name costs the same hashing as a wrong password. */
int
admins_check(const struct admins *as, const char *name, const char *pass)
{
	static const char	 dummy[] = "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$"
	    "X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7";
	const struct admin	*a = find(as, name);
	struct crypt_data	*cd;
	const char		*h;
	int			 ok;

	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	h = crypt_r(pass, a != NULL ? a->hash : dummy, cd);
	ok = a != NULL && h != NULL && h[0] != '*' &&
	    strcmp(h, a->hash) == 0;
	free(cd);
	return ok ? a->role : -1;
}

/* The file with name's line replaced (or added) into tmp. */
static int
write_new(const char *path, FILE *out, const char *name, const char *line,
    char *err, size_t errlen)
{
	char	 buf[LINE_MAX_LEN];
	FILE	*in;
	size_t	 n = strlen(name);
	int	 done = 0;

	if ((in = fopen(path, "r")) == NULL && errno != ENOENT)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	while (in != NULL && fgets(buf, sizeof(buf), in) != NULL) {
		if (strncmp(buf, name, n) == 0 && buf[n] == ':') {
			if (!done)
				fputs(line, out);
			done = 1;
			continue;
		}
		fputs(buf, out);
		if (strchr(buf, '\n') == NULL)
			fputc('\n', out);
	}
	if (in != NULL)
		fclose(in);
	if (!done)
		fputs(line, out);
	return 0;
}

/* fd (the new file) gets the owner, group and mode of the file at path,
 * or when there is none mode 0640 and the group of account user. */
static int
take_over(int fd, const char *path, const char *user, char *err,
    size_t errlen)
{
	struct stat	 st;
	struct passwd	*pw;
	uid_t		 uid = (uid_t)-1;
	gid_t		 gid = (gid_t)-1;
	mode_t		 mode = 0640;

	if (stat(path, &st) == 0) {
		uid = st.st_uid;
		gid = st.st_gid;
		mode = st.st_mode & 07777;
	} else if (errno != ENOENT)
		return errf(err, errlen, "%s: %s", path, strerror(errno));
	else if (user != NULL && *user != '\0' &&
	    (pw = getpwnam(user)) != NULL)
		gid = pw->pw_gid;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) < 0)
		return errf(err, errlen, "%s: cannot give the new file owner "
		    "%ld group %ld: %s", path, (long)uid, (long)gid,
		    strerror(errno));
	if (fchmod(fd, mode) < 0)
		return errf(err, errlen, "%s: chmod: %s", path, strerror(errno));
	return 0;
}

/* fsync the directory of path (the rename made durable); 0 / -1. */
static int
sync_dir(const char *path, char *err, size_t errlen)
{
	char	 dir[4096];
	int	 fd, rc;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return errf(err, errlen, "%s: %s", dir, strerror(errno));
	rc = fsync(fd);
	close(fd);
	return rc < 0 ? errf(err, errlen, "fsync %s: %s", dir,
	    strerror(errno)) : 0;
}

/* Write name's line into a new file and rename it over path. */
static int
replace_file(const char *path, const char *user, const char *name,
    const char *line, char *err, size_t errlen)
{
	char	 tmp[4096];
	FILE	*out;
	int	 fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.new.%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return errf(err, errlen, "%s: %s", tmp, strerror(errno));
	if ((out = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return errf(err, errlen, "fdopen: %s", strerror(errno));
	}
	rc = take_over(fd, path, user, err, errlen);
	if (rc == 0)
		rc = write_new(path, out, name, line, err, errlen);
	if (rc == 0 && (fflush(out) != 0 || fsync(fileno(out)) != 0))
		rc = errf(err, errlen, "%s: %s", tmp, strerror(errno));
	fclose(out);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = errf(err, errlen, "rename to %s: %s", path,
		    strerror(errno));
	if (rc < 0)
		unlink(tmp);
	else
		rc = sync_dir(path, err, errlen);
	return rc;
}

int
admins_add(const char *path, const char *user, const char *name, int role,
    const char *pass, char *err, size_t errlen)
{
	char		 lock[4096], salt[CRYPT_GENSALT_OUTPUT_SIZE], line[700];
	struct crypt_data *cd;
	const char	*h;
	int		 lfd, rc;

	if (!name_ok(name))
		return errf(err, errlen, "admin name \"%s\": 1 to 127 of "
		    "A-Z a-z 0-9 . _ @ + -", name);
	if (*pass == '\0')
		return errf(err, errlen, "empty password");
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL)
		return errf(err, errlen, "crypt_gensalt: %s", strerror(errno));
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return errf(err, errlen, "out of memory");
	h = crypt_r(pass, salt, cd);
	if (h == NULL || h[0] == '*') {
		free(cd);
		return errf(err, errlen, "crypt: yescrypt failed");
	}
	snprintf(line, sizeof(line), "%s:%s:%s\n", name, h,
	    role == ROLE_ADMIN ? "admin" : "read-only");
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	if ((lfd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0640)) < 0)
		return errf(err, errlen, "%s: %s", lock, strerror(errno));
	if (flock(lfd, LOCK_EX) < 0) {
		close(lfd);
		return errf(err, errlen, "flock %s: %s", lock, strerror(errno));
	}
	rc = replace_file(path, user, name, line, err, errlen);
	close(lfd);		/* the lock with it */
	return rc;
}
