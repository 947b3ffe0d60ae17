/*
 * spfcheck -- the SPF helper (lib/spfhelper) from the command line, for
 * the tests.
 *
 * usage: spfcheck [-s SERVERS] [-t MS] [-p PATH] [-d MS -j N] [IP HELO MAILFROM]
 *   -s, -t   dns_nameserver and dns_timeout
 *   -p PATH  print the worker's probe line for PATH first ("pid=...")
 *   -d MS    load: N threads (-j) repeat the one check for MS ms, each
 *            verdict compared with the first; then prints
 *            "ok=N failed=N wrong=N ok_after_failure=N ms=N" and each
 *            distinct error text once ("error: ...")
 * Without -d: one line "RESULT DOMAIN IDENTITY | EXPLANATION", or
 * "error: TEXT" (exit 1).  Also prints "isolated=0|1" first.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "spfhelper.h"

static struct spfhelper	*H;
static char		**Args;
static enum spf_result	 Want;
static long		 Until;
static pthread_mutex_t	 Mu = PTHREAD_MUTEX_INITIALIZER;
static int		 Ok, Failed, Wrong, OkAfter;
static char		 Errors[8][256];

static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
count(int rc, const struct spf_verdict *v, const char *err)
{
	int	 i;

	pthread_mutex_lock(&Mu);
	if (rc < 0) {
		Failed++;
		OkAfter = 0;
		for (i = 0; i < 8 && Errors[i][0] != '\0' &&
		    strcmp(Errors[i], err) != 0; i++)
			;
		if (i < 8 && Errors[i][0] == '\0')
			snprintf(Errors[i], sizeof(Errors[i]), "%s", err);
	} else if (v->result != Want)
		Wrong++;
	else {
		Ok++;
		OkAfter += Failed > 0;
	}
	pthread_mutex_unlock(&Mu);
}

static void *
load(void *arg)
{
	struct spf_verdict	 v;
	char			 err[256];
	int			 rc;

	(void)arg;
	while (now_ms() < Until) {
		rc = spfhelper_check(H, Args[0], Args[1], Args[2], &v, err,
		    sizeof(err));
		count(rc, &v, err);
	}
	return NULL;
}

static int
run_load(long ms, int nthreads)
{
	pthread_t	 t[64];
	long		 start = now_ms();
	int		 i;

	Until = start + ms;
	for (i = 0; i < nthreads && i < 64; i++)
		pthread_create(&t[i], NULL, load, NULL);
	for (i = 0; i < nthreads && i < 64; i++)
		pthread_join(t[i], NULL);
	printf("ok=%d failed=%d wrong=%d ok_after_failure=%d ms=%ld\n", Ok,
	    Failed, Wrong, OkAfter, now_ms() - start);
	for (i = 0; i < 8 && Errors[i][0] != '\0'; i++)
		printf("error: %s\n", Errors[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	struct conf		 c;
	struct spf_verdict	 v;
	const char		*probe = NULL;
	char			 err[512], line[512];
	long			 dur = 0;
	int			 ch, nthreads = 8;

	conf_init(&c);
	while ((ch = getopt(argc, argv, "s:t:p:d:j:")) != -1) {
		switch (ch) {
		case 's': conf_set(&c, "dns_nameserver", optarg, err,
		    sizeof(err)); break;
		case 't': c.dns_timeout = atol(optarg); break;
		case 'p': probe = optarg; break;
		case 'd': dur = atol(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		default: exit(2);
		}
	}
	if (argc - optind != 3 && !(argc == optind && probe != NULL)) {
		fprintf(stderr, "usage: spfcheck [-s SERVERS] [-t MS] "
		    "[-p PATH] [-d MS -j N] IP HELO MAILFROM\n");
		exit(2);
	}
	Args = argv + optind;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((H = spfhelper_start(&c, err, sizeof(err))) == NULL) {
		printf("error: %s\n", err);
		exit(1);
	}
	printf("isolated=%d\n", spfhelper_isolated(H));
	if (probe != NULL) {
		if (spfhelper_probe(H, probe, line, sizeof(line), err,
		    sizeof(err)) < 0)
			printf("error: %s\n", err);
		else
			printf("%s\n", line);
		if (argc == optind) {
			H = spfhelper_stop(H);
			conf_free(&c);
			return 0;
		}
	}
	ch = spfhelper_check(H, Args[0], Args[1], Args[2], &v, err,
	    sizeof(err));
	if (ch < 0)
		printf("error: %s\n", err);
	else
		printf("%s %s %s | %s\n", spf_result_name(v.result), v.domain,
		    v.identity, v.explanation);
	if (dur > 0 && ch == 0) {
		Want = v.result;
		run_load(dur, nthreads);
	}
	H = spfhelper_stop(H);
	conf_free(&c);
	return ch < 0;
}
