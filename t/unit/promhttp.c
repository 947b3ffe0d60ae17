/*
 * Unit test of lib/promhttp's scrape hook on a real evhttp listener and
 * a real TCP client on loopback: the hook is called for GET /metrics only;
 * nothing is answered until promhttp_resume, and the page is rendered
 * then (a value set after the request arrived is in it); a client that
 * left before the resume is no error (run under SANITIZE=1 to see a use
 * after free); with the hook removed the answer is immediate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "prom.h"
#include "promhttp.h"
#include "../tap.h"

static struct event_base	*base;
static struct promhttp_wait	*held;
static int			 calls;

static void
hook(void *arg, struct promhttp_wait *w)
{
	(void)arg;
	calls++;
	held = w;
}

/* A port that was free a moment ago. */
static int
free_port(void)
{
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	int			 fd, port;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* A connected non-blocking client that sent GET PATH. */
static int
client(int port, const char *path)
{
	struct sockaddr_in	 sa;
	char			 req[256];
	int			 fd, n;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n", path);
	if (write(fd, req, (size_t)n) != n)
		return -1;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* Turn the loop until the hook was called n times in all (0: just
 * about a second). */
static void
spin_until(int n)
{
	struct timespec	 ms = { 0, 1000000 };
	int		 i;

	for (i = 0; i < 1000 && (n == 0 || calls < n); i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		nanosleep(&ms, NULL);
	}
}

/* Loop and read fd until EOF: the whole answer (static buffer). */
static const char *
answer(int fd)
{
	static char	 buf[65536];
	size_t		 got = 0;
	ssize_t		 n;
	int		 eof = 0, i;

	for (i = 0; i < 2000 && !eof; i++) {
		event_base_loop(base, EVLOOP_NONBLOCK);
		while ((n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
			got += (size_t)n;
		if (n == 0)
			eof = 1;
		else {
			struct timespec ms = { 0, 1000000 };
			nanosleep(&ms, NULL);
		}
	}
	buf[got] = '\0';
	return buf;
}

int
main(void)
{
	struct prom		*reg;
	struct prom_metric	*g;
	struct promhttp		*h;
	char			 addr[64], err[256], b;
	const char		*a;
	int			 port, fd, before;

	if ((base = event_base_new()) == NULL || (reg = prom_new()) == NULL ||
	    (g = prom_gauge(reg, "outpost_test_gauge", "A gauge.", NULL, NULL,
	    NULL, NULL, err, sizeof(err))) == NULL || (port = free_port()) < 0)
		return 1;
	snprintf(addr, sizeof(addr), "inet:127.0.0.1:%d", port);
	h = promhttp_new(base, reg, addr, err, sizeof(err));
	if (!ok(h != NULL, "listener on %s", addr)) {
		diag("%s", err);
		return done_testing();
	}
	promhttp_hook(h, hook, NULL);

	fd = client(port, "/metrics");
	spin_until(1);
	ok(calls == 1 && held != NULL, "GET /metrics: the hook is called");
	spin_until(0);
	ok(read(fd, &b, 1) < 0 && errno == EAGAIN,
	    "nothing answered before promhttp_resume");
	prom_set(g, NULL, NULL, 42);
	promhttp_resume(held);
	held = NULL;
	a = answer(fd);
	ok(strncmp(a, "HTTP/1.1 200", 12) == 0, "200 after the resume");
	ok(strstr(a, "\noutpost_test_gauge 42\n") != NULL,
	    "the page is rendered at the resume (value set after the request)");
	close(fd);

	before = calls;
	fd = client(port, "/other");
	a = answer(fd);
	ok(strncmp(a, "HTTP/1.1 404", 12) == 0 && calls == before,
	    "GET /other: 404 without the hook");
	close(fd);

	fd = client(port, "/metrics");
	spin_until(before + 1);
	close(fd);
	spin_until(0);		/* the server sees the EOF */
	ok(held != NULL && calls == before + 1, "a second scrape held");
	promhttp_resume(held);
	held = NULL;
	spin_until(0);
	ok(1, "resumed after its client left: no crash");

	promhttp_hook(h, NULL, NULL);
	before = calls;
	fd = client(port, "/metrics");
	a = answer(fd);
	ok(strstr(a, "\noutpost_test_gauge 42\n") != NULL && calls == before,
	    "hook removed: answered at once");
	close(fd);

	promhttp_free(h);
	prom_free(reg);
	event_base_free(base);
	return done_testing();
}
