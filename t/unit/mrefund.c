/*
 * Test of milter/refund.c against a real redis-server started here
 * (skipped when redis-server is not installed): while Redis hangs
 * (SIGSTOP), refusals refunding at the same time each give up within a
 * bound set by redis_timeout instead of queueing behind one connection,
 * and once Redis answers again refunds run.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "../../milter/milter.h"
#include "../tap.h"

#define NTHREADS	8
#define TIMEOUT_MS	300

struct milter_globals	 G;

static char	 dir[] = "/tmp/outpost-mrefund-XXXXXX", sock[128];
static pid_t	 server;
static long	 took[NTHREADS];

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
start(void)
{
	struct stat	 st;
	int		 i;

	if ((server = fork()) == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", "0",
		    "--unixsocket", sock, "--save", "", "--appendonly", "no",
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && stat(sock, &st) < 0; i++)
		usleep(20000);
	usleep(50000);
}

static void *
one(void *arg)
{
	long	 i = (long)arg, t0 = now_ms();
	char	 qid[32];

	snprintf(qid, sizeof(qid), "QID%ld", i);
	refund_message("alice", qid);
	took[i] = now_ms() - t0;
	return NULL;
}

static long
burst(void)
{
	pthread_t	 th[NTHREADS];
	long		 i, max = 0;

	for (i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, one, (void *)i);
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		if (took[i] > max)
			max = took[i];
	}
	return max;
}

int
main(void)
{
	char	 err[256], addr[160];
	long	 max;

	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		printf("1..0 # SKIP redis-server not installed\n");
		return 0;
	}
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(sock, sizeof(sock), "%s/redis.sock", dir);
	start();
	log_open("mrefund", LOGDEST_STDERR, LOG_ERR);
	conf_init(&G.conf);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	ok(conf_set(&G.conf, "redis_address", addr, err, sizeof(err)) == 0 &&
	    conf_set(&G.conf, "redis_timeout", "300ms", err, sizeof(err)) == 0,
	    "config");
	refund_init();

	max = burst();
	ok(max < TIMEOUT_MS, "Redis up: %d refunds at once, slowest %ld ms",
	    NTHREADS, max);

	kill(server, SIGSTOP);
	max = burst();
	ok(max <= 2 * TIMEOUT_MS + 150,
	    "Redis hanging: %d refusals at once each give up within "
	    "2 x redis_timeout (slowest %ld ms; one connection in turn would "
	    "take %d)", NTHREADS, max, NTHREADS * TIMEOUT_MS);
	ok(max >= TIMEOUT_MS - 50, "... and each did wait for Redis (%ld ms)",
	    max);

	kill(server, SIGCONT);
	usleep(6 * 1000 * 1000);	/* past the client's reconnect backoff */
	max = burst();
	ok(max < TIMEOUT_MS, "Redis back: refunds answer again (%ld ms)", max);

	refund_fini();
	conf_free(&G.conf);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	unlink(sock);
	rmdir(dir);
	return done_testing();
}
