/*
 * Unit test of lib/pidfile: the %p template, and the file's life in a
 * temporary directory: written with our pid, refused while a live
 * process owns it, a stale or garbage file replaced, a symlink refused,
 * removed only while it holds our pid.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pidfile.h"
#include "../tap.h"

static const struct {
	const char	*tmpl, *want;
	int		 rc;
} paths[] = {
	{ "/run/outpost/%p.pid", "/run/outpost/outpost-milter.pid", 0 },
	{ "/run/%p/%p.pid", "/run/outpost-milter/outpost-milter.pid", 0 },
	{ "/run/x.pid", "/run/x.pid", 0 },
	{ "/run/%q", "/run/%q", 0 },		/* conf.c refuses it earlier */
	{ "/0123456789/0123456789/0123456789/%p", NULL, -1 }, /* > 48 */
};

static void
put(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

static void
test_paths(void)
{
	char	 buf[48], err[256];
	size_t	 i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		is_int(pidfile_path(paths[i].tmpl, "outpost-milter", buf,
		    sizeof(buf), err, sizeof(err)), paths[i].rc, paths[i].tmpl);
		if (paths[i].rc == 0)
			is_str(buf, paths[i].want, "  expanded");
	}
}

static void
test_life(void)
{
	char		 dir[] = "/tmp/pidfile.XXXXXX", tmpl[128], path[128];
	char		 err[512], text[32], want[256];
	struct pidfile	 pf;
	pid_t		 child;
	FILE		*fp;

	if (mkdtemp(dir) == NULL)
		return;
	snprintf(tmpl, sizeof(tmpl), "%s/run/%%p.pid", dir);
	snprintf(path, sizeof(path), "%s/run/prog.pid", dir);
	is_int(pidfile_init(&pf, tmpl, "prog", err, sizeof(err)), 0,
	    "init: no file yet");
	is_int(pidfile_write(&pf, geteuid(), getegid(), err, sizeof(err)), 0,
	    "write: creates the directory and the file");
	fp = fopen(path, "r");
	text[0] = '\0';
	if (fp != NULL) {
		fgets(text, sizeof(text), fp);
		fclose(fp);
	}
	snprintf(want, sizeof(want), "%ld\n", (long)getpid());
	is_str(text, want, "  holds our pid");
	is_int(pidfile_remove(&pf), 0, "remove: 0");
	ok(access(path, F_OK) < 0, "  the file is gone");

	/* A live process (a child that waits) owns the file. */
	if ((child = fork()) == 0) {
		pause();
		_exit(0);
	}
	snprintf(text, sizeof(text), "%ld\n", (long)child);
	put(path, text);
	is_int(pidfile_init(&pf, tmpl, "prog", err, sizeof(err)), -1,
	    "init: refused while its pid is alive");
	snprintf(want, sizeof(want), "pid_file %s: already running as pid "
	    "%ld", path, (long)child);
	is_str(err, want, "  says which pid");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	is_int(pidfile_init(&pf, tmpl, "prog", err, sizeof(err)), 0,
	    "init: the same file is stale once the process is gone");
	is_int(pidfile_write(&pf, geteuid(), getegid(), err, sizeof(err)), 0,
	    "write: replaces the stale file");

	/* Someone else's pid written since: not ours to remove. */
	put(path, "1\n");
	is_int(pidfile_remove(&pf), 0, "remove: 0 when the file is not ours");
	ok(access(path, F_OK) == 0, "  and leaves it");
	unlink(path);

	put(path, "garbage\n");
	pidfile_init(&pf, tmpl, "prog", err, sizeof(err));
	is_int(pidfile_write(&pf, geteuid(), getegid(), err, sizeof(err)), 0,
	    "write: replaces a file without a pid");
	pidfile_remove(&pf);

	symlink("/etc/passwd", path);
	is_int(pidfile_init(&pf, tmpl, "prog", err, sizeof(err)), -1,
	    "init: a symlink is refused");
	ok(strstr(err, "is a symbolic link") != NULL, "  as such: %s", err);
	unlink(path);
	snprintf(text, sizeof(text), "%s/run", dir);
	rmdir(text);
	rmdir(dir);
}

int
main(void)
{
	test_paths();
	test_life();
	done_testing();
}
