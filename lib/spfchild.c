/*
 * spfchild -- supervisor and worker processes of the SPF helper; see
 * spfhelper.h for the design and spfchild.h for the entry point.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "spfchild.h"
#include "spfeval.h"
#include "spfwire.h"

#define WORKER_AS	(512L << 20)	/* bytes of address space */
#define WORKER_NPROC	256		/* tasks of the helper account */
#define WORKER_NOFILE	256		/* libunbound's sockets included */
#define SUPER_NOFILE	16
#define THREAD_STACK	(256 << 10)

/* AddressSanitizer reserves terabytes of address space. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED	1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED	0
#endif

static const struct spfchild_args	*A;
static struct spfeval			*E;

static void __attribute__((noreturn))
report_fail(const char *what)
{
	char	 msg[256];
	int	 n;

	n = snprintf(msg, sizeof(msg), "%s: %s", what, strerror(errno));
	if (n > 0)
		(void)!write(A->status_fd, msg, (size_t)n);
	_exit(1);
}

static int
limit(int res, rlim_t v)
{
	struct rlimit	 rl = { v, v };

	return setrlimit(res, &rl);
}

/* Close every descriptor above 2 but the helper's own. */
static void
close_others(void)
{
	int	 keep[3] = { A->sock, A->lifeline, A->status_fd };
	int	 i, j, t, lo = 3;

	for (i = 0; i < 3; i++)
		for (j = i + 1; j < 3; j++)
			if (keep[j] < keep[i]) {
				t = keep[i];
				keep[i] = keep[j];
				keep[j] = t;
			}
	for (i = 0; i < 3; i++) {
		if (keep[i] > lo)
			(void)close_range((unsigned)lo,
			    (unsigned)keep[i] - 1, 0);
		if (keep[i] + 1 > lo)
			lo = keep[i] + 1;
	}
	(void)close_range((unsigned)lo, ~0U, 0);
}

/* The one straight-line step from root to an empty, deleted root. */
static void
sandbox(void)
{
	int	 fd;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);	/* a write to a file fails instead */
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		if (fd > 2)
			close(fd);
	}
	close_others();
	if (A->isolate) {
		if (chdir(A->emptydir) < 0 || rmdir(A->emptydir) < 0)
			report_fail("empty directory");
		if (chroot(".") < 0 || chdir("/") < 0)
			report_fail("chroot");
		if (setgroups(0, NULL) < 0 || setgid(A->gid) < 0 ||
		    setuid(A->uid) < 0)
			report_fail("switch to nobody");
		if (setuid(0) == 0)
			report_fail("root could be regained");
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		report_fail("prctl");
	if (limit(RLIMIT_CORE, 0) < 0 || limit(RLIMIT_FSIZE, 0) < 0 ||
	    limit(RLIMIT_NOFILE, WORKER_NOFILE) < 0)
		report_fail("setrlimit");
}

/* ---- worker ---------------------------------------------------------- */

static void
reply(char type, uint32_t id, const char *const *f, int nf)
{
	char	 out[SPFWIRE_MAX];
	int	 n;

	if ((n = spfwire_encode(out, sizeof(out), type, id, f, nf)) > 0)
		(void)send(A->sock, out, (size_t)n, MSG_NOSIGNAL);
}

static void
probe(uint32_t id, const char *path)
{
	char		 text[512], root[32];
	const char	*f[1] = { text };
	struct dirent	*de;
	DIR		*dir;
	int		 fd, n = 0, e = 0;

	if ((dir = opendir("/")) != NULL) {
		while ((de = readdir(dir)) != NULL)
			n += strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0;
		closedir(dir);
		snprintf(root, sizeof(root), "%d", n);
	} else
		snprintf(root, sizeof(root), "(%s)", strerror(errno));
	if ((fd = open(path, O_RDONLY)) >= 0)
		close(fd);
	else
		e = errno;
	snprintf(text, sizeof(text), "pid=%ld uid=%ld gid=%ld root=%s "
	    "open=%s", (long)getpid(), (long)getuid(), (long)getgid(), root,
	    e ? strerror(e) : "ok");
	reply('I', id, f, 1);
}

static void
serve(struct spfwire_msg *m)
{
	struct spf_verdict	 v;
	const char		*f[4];

	if (m->type == 'P') {
		probe(m->id, m->field[0]);
		return;
	}
	if (m->type != 'C') {
		f[0] = "not a request";
		reply('E', m->id, f, 1);
		return;
	}
	spfeval_check(E, m->field[0], m->field[1], m->field[2],
	    A->budget_ms, &v);
	f[0] = spf_result_name(v.result);
	f[1] = v.domain;
	f[2] = v.identity;
	f[3] = v.explanation;
	reply('R', m->id, f, 4);
}

static void *
worker_thread(void *arg)
{
	struct spfwire_msg	 m;
	char			 buf[SPFWIRE_MAX + 1], err[128];
	const char		*f[1] = { err };
	ssize_t			 n;

	(void)arg;
	for (;;) {
		n = recv(A->sock, buf, sizeof(buf), MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);	/* the caller is gone */
		if ((size_t)n > SPFWIRE_MAX) {
			snprintf(err, sizeof(err), "request too long");
			reply('E', 0, f, 1);
			continue;
		}
		if (spfwire_decode(buf, (size_t)n, &m, err, sizeof(err)) < 0)
			reply('E', m.id, f, 1);
		else
			serve(&m);
	}
	return NULL;
}

static void __attribute__((noreturn))
worker_main(pid_t super)
{
	pthread_t	 t[SPFHELPER_THREADS];
	pthread_attr_t	 attr;
	struct dns	*d;
	char		 err[512];
	int		 i;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	if (getppid() != super)
		_exit(1);
	close(A->lifeline);
	mallopt(M_ARENA_MAX, 2);
	if ((!SANITIZED && limit(RLIMIT_AS, WORKER_AS) < 0) ||
	    (A->isolate && limit(RLIMIT_NPROC, WORKER_NPROC) < 0))
		_exit(1);
	if ((d = dns_open(A->servers, A->timeout_ms, err, sizeof(err))) ==
	    NULL || (E = spfeval_new(d, err, sizeof(err))) == NULL) {
		fprintf(stderr, "outpost SPF helper: %s\n", err);
		_exit(1);
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, THREAD_STACK);
	for (i = 0; i < SPFHELPER_THREADS; i++)
		if (pthread_create(&t[i], &attr, worker_thread, NULL) != 0)
			_exit(1);
	for (i = 0; i < SPFHELPER_THREADS; i++)
		pthread_join(t[i], NULL);
	_exit(0);
}

/* ---- supervisor ------------------------------------------------------ */

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until the worker exits (0) or the caller goes away (-1). */
static int
watch(pid_t pid)
{
	struct pollfd	 p[2];
	int		 pidfd, st;

	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	p[0].fd = A->lifeline;
	p[0].events = POLLIN;
	p[1].fd = pidfd;
	p[1].events = POLLIN;
	for (;;) {
		p[0].revents = p[1].revents = 0;
		/* Without pidfd, look at the worker twice a second. */
		if (poll(p, pidfd >= 0 ? 2 : 1, pidfd >= 0 ? -1 : 500) < 0 &&
		    errno != EINTR)
			break;
		if (p[0].revents != 0)
			break;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (pidfd >= 0)
				close(pidfd);
			return 0;
		}
	}
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (pidfd >= 0)
		close(pidfd);
	return -1;
}

void
spfchild_supervise(const struct spfchild_args *args)
{
	struct pollfd	 p;
	const char	*none[1] = { NULL };
	char		 notice[16];
	long		 backoff = 50, started;
	pid_t		 pid, self;
	int		 n;

	A = args;
	sandbox();
	(void)!write(A->status_fd, "ok", 2);
	close(A->status_fd);
	self = getpid();
	for (;;) {
		started = now_ms();
		if ((pid = fork()) == 0)
			worker_main(self);
		if (pid > 0 && watch(pid) < 0)
			_exit(0);
		n = spfwire_encode(notice, sizeof(notice), 'X', 0, none, 0);
		(void)send(A->sock, notice, (size_t)n, MSG_NOSIGNAL);
		backoff = now_ms() - started < 1000 ? backoff * 2 : 100;
		if (backoff > 2000)
			backoff = 2000;
		p.fd = A->lifeline;
		p.events = POLLIN;
		if (poll(&p, 1, (int)backoff) > 0)
			_exit(0);
	}
}
