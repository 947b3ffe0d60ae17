/*
 * Unit test of lib/secret: redis_password_file read into redis_password
 * (a table of file contents and modes with the password or the refusal
 * expected), and the warning about a config file holding a password.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "../tap.h"

static char	 tmpdir[] = "/tmp/outpost-secret.XXXXXX";

static void
put(const char *path, const char *text, size_t len, unsigned mode)
{
	FILE	*fp;

	unlink(path);
	if ((fp = fopen(path, "w")) != NULL) {
		fwrite(text, 1, len, fp);
		fclose(fp);
	}
	chmod(path, mode);
}

static void
files(void)
{
	static const struct {
		const char *text; size_t len; unsigned mode;
		const char *want;	/* the password, or "!" + the error */
	} cases[] = {
		{ "s3cret\n", 7, 0600, "s3cret" },
		{ "s3cret", 6, 0400, "s3cret" },
		{ "with space\n", 11, 0640, "with space" },
		{ "s3cret\n", 7, 0644, "!mode 0644 lets others read it" },
		{ "s3cret\n", 7, 0602, "!mode 0602 lets others write it" },
		{ "", 0, 0600, "!empty" },
		{ "\n", 1, 0600, "!empty" },
		{ "a\nb\n", 4, 0600, "!want one line" },
		{ "a\r\n", 3, 0600, "!want one line" },
		{ "a\0b\n", 4, 0600, "!a NUL byte" },
	};
	struct conf	 c;
	char		 path[256], err[512], big[SECRET_MAX + 2];
	size_t		 i;
	int		 rc;

	snprintf(path, sizeof(path), "%s/pw", tmpdir);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(path, cases[i].text, cases[i].len, cases[i].mode);
		conf_init(&c);
		conf_set(&c, "redis_password_file", path, err, sizeof(err));
		rc = secret_load(&c, err, sizeof(err));
		if (cases[i].want[0] != '!')
			ok(rc == 0 && strcmp(c.redis_password, cases[i].want)
			    == 0, "case %zu: password \"%s\"", i,
			    cases[i].want);
		else
			ok(rc < 0 && strstr(err, cases[i].want + 1) != NULL &&
			    strstr(err, path) != NULL, "case %zu: %s", i, err);
		conf_free(&c);
	}
	memset(big, 'x', sizeof(big));
	put(path, big, SECRET_MAX + 1, 0600);
	conf_init(&c);
	conf_set(&c, "redis_password_file", path, err, sizeof(err));
	ok(secret_load(&c, err, sizeof(err)) < 0 && strstr(err, "at most"),
	    "longer than %d bytes: %s", SECRET_MAX, err);
	conf_set(&c, "redis_password", "also", err, sizeof(err));
	ok(secret_load(&c, err, sizeof(err)) < 0 && strstr(err, "both set"),
	    "with redis_password too: %s", err);
	conf_free(&c);
	conf_init(&c);
	is_int(secret_load(&c, err, sizeof(err)), 0, "no file: nothing to do");
	conf_free(&c);
}

static void
warning(void)
{
	struct conf	 c;
	char		 path[256], warn[512], err[256];

	snprintf(path, sizeof(path), "%s/outpost.conf", tmpdir);
	put(path, "redis_password = x\n", 19, 0644);
	conf_init(&c);
	is_int(secret_conf_check(path, &c, warn, sizeof(warn)), 0,
	    "no password: no warning");
	conf_set(&c, "redis_password", "x", err, sizeof(err));
	ok(secret_conf_check(path, &c, warn, sizeof(warn)) == 1 &&
	    strstr(warn, path) && strstr(warn, "(mode 0644)"),
	    "0644 with a password: %s", warn);
	chmod(path, 0640);
	is_int(secret_conf_check(path, &c, warn, sizeof(warn)), 0,
	    "0640: no warning");
	chmod(path, 0644);
	conf_set(&c, "redis_password_file", "/x", err, sizeof(err));
	is_int(secret_conf_check(path, &c, warn, sizeof(warn)), 0,
	    "password from a file: the config holds none");
	is_int(secret_conf_check("/nonexistent/outpost.conf", &c, warn,
	    sizeof(warn)), 0, "missing file: no warning");
	conf_free(&c);
}

int
main(void)
{
	char	 cmd[300];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	files();
	warning();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
