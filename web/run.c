/*
 * run -- an outpostctl verb run inside outpost-web (ctl_run), so that a
 * change made from the console is exactly the change the command line
 * makes: the same checks, the same Redis commands, the same marker
 * write.  What the verb prints goes to a memory file: standard output
 * and error are pointed at it for the call (the server has one thread;
 * nothing else writes meanwhile) and put back after.  Input for
 * "suppress import" is another memory file, named /proc/self/fd/N.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "web.h"

static int
capture(struct web *w, const char *const *argv, int *rc)
{
	struct ctl	 c;
	int		 fd, o1, o2, argc;

	for (argc = 0; argv[argc] != NULL; argc++)
		;
	if ((fd = memfd_create("outpost-web", MFD_CLOEXEC)) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	o1 = dup(1);
	o2 = dup(2);
	if (o1 < 0 || o2 < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
		if (o1 >= 0)
			close(o1);
		if (o2 >= 0)
			close(o2);
		close(fd);
		return -1;
	}
	c = w->ctl;		/* the same config; a client of its own */
	c.r = NULL;
	c.json = 0;
	*rc = ctl_run(&c, argc, (char **)(uintptr_t)argv);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	return fd;
}

int
run_ctl_io(struct web *w, const char *const *argv, const char *in,
    size_t inlen, char **out, size_t *outlen)
{
	const char	*av[16];
	char		 path[64];
	off_t		 end;
	ssize_t		 got;
	int		 fd, infd = -1, rc = EXIT_REFUSED, i;

	*out = NULL;
	*outlen = 0;
	for (i = 0; argv[i] != NULL && i < 15; i++)
		av[i] = argv[i];
	av[i] = NULL;
	if (in != NULL) {
		if ((infd = memfd_create("outpost-web-in", 0)) < 0 ||
		    write(infd, in, inlen) != (ssize_t)inlen) {
			if (infd >= 0)
				close(infd);
			return -1;
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", infd);
		for (i = 0; av[i] != NULL; i++)
			if (strcmp(av[i], "-") == 0)
				av[i] = path;
	}
	fd = capture(w, av, &rc);
	if (infd >= 0)
		close(infd);
	if (fd < 0)
		return -1;
	if ((end = lseek(fd, 0, SEEK_END)) < 0 ||
	    (*out = malloc((size_t)end + 1)) == NULL) {
		close(fd);
		return -1;
	}
	got = pread(fd, *out, (size_t)end, 0);
	close(fd);
	*outlen = got > 0 ? (size_t)got : 0;
	(*out)[*outlen] = '\0';
	return rc;
}

int
run_ctl(struct web *w, const char *const *argv, char *out, size_t outlen)
{
	char	*all;
	size_t	 n;
	int	 rc;

	if ((rc = run_ctl_io(w, argv, NULL, 0, &all, &n)) < 0) {
		snprintf(out, outlen, "the command could not be run: %s",
		    strerror(errno));
		return EXIT_REFUSED;
	}
	snprintf(out, outlen, "%s", all);
	free(all);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == ' '))
		out[--n] = '\0';
	return rc;
}
