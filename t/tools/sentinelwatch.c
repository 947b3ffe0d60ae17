/*
 * sentinelwatch -- run lib/sentinel_watch.c on a libevent loop and print
 * what it reports, for t/redis-sentinel.t.
 *
 *   sentinelwatch CONF SECONDS
 *
 * One line per callback: "master HOST PORT" or "none ERRSTR".  SIGUSR1
 * asks for a resolution now (sentinel_watch_resolve).  Exits 0 after
 * SECONDS, 1 on a bad config or an address that is not sentinel:.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "conf.h"
#include "redis.h"
#include "sentinel.h"

struct run {
	struct sentinel_watch	*w;
};

static void
report(const char *host, int port, void *arg)
{
	struct run	*run = arg;

	if (host != NULL)
		printf("master %s %d\n", host, port);
	else
		printf("none %s\n", sentinel_watch_errstr(run->w));
	fflush(stdout);
}

static void
on_usr1(evutil_socket_t sig, short what, void *arg)
{
	struct run	*run = arg;

	(void)sig;
	(void)what;
	sentinel_watch_resolve(run->w);
}

int
main(int argc, char **argv)
{
	struct conf		 c;
	struct redis_addr	 a;
	struct event_base	*base;
	struct event		*usr1;
	struct timeval		 tv = { 0, 0 };
	struct run		 run;
	char			 err[512];

	if (argc != 3) {
		fprintf(stderr, "usage: sentinelwatch CONF SECONDS\n");
		return 1;
	}
	if (conf_load_path(&c, argv[1], err, sizeof(err)) < 0 ||
	    redis_addr_parse(c.redis_address, &a, err, sizeof(err)) < 0) {
		fprintf(stderr, "sentinelwatch: %s\n", err);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if ((run.w = sentinel_watch_new(base, &c, &a, report, &run)) == NULL) {
		fprintf(stderr, "sentinelwatch: not a sentinel: address\n");
		return 1;
	}
	usr1 = evsignal_new(base, SIGUSR1, on_usr1, &run);
	evsignal_add(usr1, NULL);
	tv.tv_sec = atol(argv[2]);
	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
	run.w = sentinel_watch_free(run.w);
	event_free(usr1);
	event_base_free(base);
	conf_free(&c);
	return 0;
}
