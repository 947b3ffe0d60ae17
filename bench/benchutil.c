/*
 * benchutil -- helpers the load generators share: clock, fatal errors,
 * latency samples, connecting to a server, a process's CPU and memory.
 * The interface and who frees what are described in benchutil.h.
 *
 * Out of memory is fatal here, as in the daemons: a load generator that
 * cannot keep its figures has nothing to report.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void
bench_die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what,
	    strerror(errno));
	exit(1);
}

void *
bench_realloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL)
		bench_die("realloc");
	return p;
}

/* ---- latency samples -------------------------------------------------- */

static void
lat_reserve(struct bench_lat *l, long more)
{
	if (l->n + more <= l->cap)
		return;
	if (l->cap == 0)
		l->cap = 4096;
	while (l->n + more > l->cap)
		l->cap *= 2;
	l->v = bench_realloc(l->v, (size_t)l->cap * sizeof *l->v);
}

void
bench_lat_add(struct bench_lat *l, double secs)
{
	lat_reserve(l, 1);
	l->v[l->n++] = secs;
}

void
bench_lat_append(struct bench_lat *dst, const struct bench_lat *src)
{
	if (src->n == 0)
		return;
	lat_reserve(dst, src->n);
	memcpy(dst->v + dst->n, src->v, (size_t)src->n * sizeof *src->v);
	dst->n += src->n;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void
bench_lat_sort(struct bench_lat *l)
{
	if (l->n > 0)
		qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_double);
}

double
bench_lat_pct(const struct bench_lat *l, int pct)
{
	return l->n > 0 ? l->v[l->n * pct / 100] : 0;
}

void
bench_lat_clear(struct bench_lat *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

/* ---- connecting ------------------------------------------------------- */

static int
connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof sun.sun_path)
		return -1;
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0)
		return fd;
	close(fd);
	return -1;
}

/* "HOST:PORT" or "[HOST]:PORT", the port after the last colon. */
static int
connect_inet(const char *hostport)
{
	char host[256];
	const char *port = strrchr(hostport, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	size_t hl;
	int fd, one = 1;

	if (port == NULL || (hl = (size_t)(port - hostport)) >= sizeof host)
		return -1;
	memcpy(host, hostport, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (getaddrinfo(host, port + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
		freeaddrinfo(ai);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		return fd;
	}
	freeaddrinfo(ai);
	if (fd >= 0)
		close(fd);
	return -1;
}

int
bench_connect(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return connect_unix(spec + 5);
	if (strncmp(spec, "inet:", 5) == 0)
		return connect_inet(spec + 5);
	return -1;
}

/* ---- process figures -------------------------------------------------- */

double
bench_proc_cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields after the ")" of comm: state is field 3, utime 14. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 2,
	    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &st) != 2)
		return -1;
	return (ut + st) * 1000.0 / sysconf(_SC_CLK_TCK);
}

long
bench_proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

double
bench_self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}
