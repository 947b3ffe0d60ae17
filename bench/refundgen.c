/*
 * refundgen -- the milter's refunds (lib/refund.h policy_refund), one
 * after the other on one synchronous connection, as one milter thread
 * makes them: the cost of redis_min_replicas (a WAIT after each refund).
 *
 *   refundgen -c CONF [-n N] [-U USERS] [-l LABEL]
 *
 * Refunds N refund records that the caller wrote beforehand (bench/run:
 * "outpost:{u:userNNNNN@example.com}:q:R<i>" for i = 0 .. N-1, user
 * i % USERS, each holding "messages/3600:100" = 1 and a counter slot to
 * give it back to), through the configuration's redis_address and
 * redis_min_replicas.  Prints refunds/second, latency p50/p99, how many
 * refunds changed a counter and how many failed (a WAIT that timed out
 * counts as failed), and one "RESULT key=value ..." line.  A benchmark:
 * nothing is asserted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "conf.h"
#include "redis.h"
#include "refund.h"

static void
usage(void)
{
	fprintf(stderr, "usage: refundgen -c CONF [-n N] [-U USERS] "
	    "[-l LABEL]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct conf	 conf;
	struct redis	*r;
	struct bench_lat lat = { 0 };
	const char	*path = NULL, *label = "refund";
	char		 err[512], user[64], qid[32];
	long		 n = 10000, users = 10000, i, done = 0, failed = 0;
	double		 t0, t1, t;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "c:l:n:U:")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'l': label = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'U': users = atol(optarg); break;
		default: usage();
		}
	}
	if (path == NULL || n < 1 || users < 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	if (conf_load(&conf, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "refundgen: %s\n", err);
		return 1;
	}
	if ((r = redis_new(&conf, err, sizeof(err))) == NULL ||
	    redis_connect(r) < 0) {
		fprintf(stderr, "refundgen: %s\n", r != NULL ?
		    redis_errstr(r) : err);
		return 1;
	}
	t0 = bench_now();
	for (i = 0; i < n; i++) {
		snprintf(user, sizeof(user), "user%05ld@example.com",
		    i % users);
		snprintf(qid, sizeof(qid), "R%ld", i);
		t = bench_now();
		rc = policy_refund(r, &conf, user, qid, err, sizeof(err));
		bench_lat_add(&lat, bench_now() - t);
		if (rc < 0 && failed++ == 0)
			fprintf(stderr, "refundgen: first failure: %s\n", err);
		else if (rc > 0)
			done++;
	}
	t1 = bench_now();
	bench_lat_sort(&lat);
	printf("%s: %ld refunds in %.2f s on one connection (redis_min_replicas "
	    "%ld): %.0f refunds/s, latency p50 %.3f ms p99 %.3f ms; %ld "
	    "gave a counter back, %ld failed\n", label, n, t1 - t0,
	    conf.redis_min_replicas, n / (t1 - t0),
	    bench_lat_pct(&lat, 50) * 1e3, bench_lat_pct(&lat, 99) * 1e3,
	    done, failed);
	printf("RESULT label=%s refunds=%ld secs=%.3f rate=%.1f p50_ms=%.3f "
	    "p99_ms=%.3f done=%ld failed=%ld\n", label, n, t1 - t0,
	    n / (t1 - t0), bench_lat_pct(&lat, 50) * 1e3,
	    bench_lat_pct(&lat, 99) * 1e3, done, failed);
	redis_free(r);
	conf_free(&conf);
	return 0;
}
