/*
 * hiccupgen -- how long the machine itself stops a running process.
 *
 * One thread per core spins reading the monotonic clock for SECS seconds;
 * a gap between two readings longer than 0.5 ms is time the thread was not
 * running although it never blocked: the kernel ran something else, or, on
 * a virtual machine, the host did not run the virtual CPU.  Such a stall
 * delays whichever request a daemon was serving on that core, so it is the
 * floor under any latency percentile measured on the machine: bench/run
 * prints it beside the paced policy runs.
 *
 *   hiccupgen [-d SECS] [-t THREADS]      (defaults: 5 s, one per core)
 *
 * Prints the gaps per second, the longest, and the share of the time lost
 * in gaps, then "RESULT gaps_per_s=... max_ms=... lost_pct=...".
 * A benchmark: nothing is asserted.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "benchutil.h"

#define GAP	0.0005		/* seconds: a reading later than this is a stall */

struct spin {
	pthread_t	 tid;
	double		 secs;
	long		 gaps;
	double		 max, lost;
};

static void *
spin(void *arg)
{
	struct spin	*s = arg;
	double		 t0 = bench_now(), last = t0, t;

	while ((t = bench_now()) - t0 < s->secs) {
		if (t - last > GAP) {
			s->gaps++;
			s->lost += t - last;
			if (t - last > s->max)
				s->max = t - last;
		}
		last = t;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct spin	*sp;
	double		 secs = 5, max = 0, lost = 0;
	long		 gaps = 0, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int		 ch, i, n = ncpu > 0 ? (int)ncpu : 1;

	while ((ch = getopt(argc, argv, "d:t:")) != -1) {
		switch (ch) {
		case 'd': secs = atof(optarg); break;
		case 't': n = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: hiccupgen [-d secs] "
			    "[-t threads]\n");
			return 2;
		}
	}
	if (secs <= 0 || n < 1 || n > 1024 || optind != argc) {
		fprintf(stderr, "hiccupgen: bad -d or -t\n");
		return 2;
	}
	if ((sp = calloc((size_t)n, sizeof(*sp))) == NULL)
		bench_die("calloc");
	for (i = 0; i < n; i++) {
		sp[i].secs = secs;
		if (pthread_create(&sp[i].tid, NULL, spin, &sp[i]) != 0)
			bench_die("pthread_create");
	}
	for (i = 0; i < n; i++) {
		pthread_join(sp[i].tid, NULL);
		gaps += sp[i].gaps;
		lost += sp[i].lost;
		if (sp[i].max > max)
			max = sp[i].max;
	}
	printf("hiccup: %d threads spinning %.1f s: %ld gaps > %.1f ms "
	    "(%.1f per thread-second), longest %.2f ms, %.2f %% of the time "
	    "lost\n", n, secs, gaps, GAP * 1e3, gaps / (secs * n), max * 1e3,
	    lost * 100 / (secs * n));
	printf("RESULT threads=%d secs=%.1f gaps_per_s=%.1f max_ms=%.2f "
	    "lost_pct=%.2f\n", n, secs, gaps / (secs * n), max * 1e3,
	    lost * 100 / (secs * n));
	free(sp);
	return 0;
}
