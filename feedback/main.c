/*
 * outpost-feedback -- follows the MTA's log into the delivery log,
 * suppresses hard-bounced recipients and complainers for their sender,
 * pauses users whose bounce or complaint rate is too high.  See
 * outpost-feedback(8).
 *
 *   outpost-feedback [-c FILE] [-f] [-n] [--from-start] [--arf] [LOG]
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "conf.h"
#include "confcheck.h"
#include "feedback.h"
#include "log.h"
#include "pidfile.h"
#include "redis.h"
#include "secret.h"
#include "version.h"

volatile sig_atomic_t fb_stop, fb_reload;

static void
usage(void)
{
	fprintf(stderr, "usage: outpost-feedback [-c FILE] [-f] [-n] "
	    "[--from-start] [--arf] [LOG]\n");
	exit(2);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		fb_reload = 1;
	else
		fb_stop = 1;
}

/* Load the rules (site file first); err NULL: log, keep the old set. */
int
fb_rules_load(struct fb *fb, char *err, size_t errlen)
{
	const char		*paths[2];
	struct bounce_rules	*rs;
	char			 e[1024];
	size_t			 n = 0;

	if (fb->conf->bounce_rules_local != NULL &&
	    *fb->conf->bounce_rules_local != '\0' &&
	    access(fb->conf->bounce_rules_local, F_OK) == 0)
		paths[n++] = fb->conf->bounce_rules_local;
	paths[n++] = fb->conf->bounce_rules;
	if ((rs = bounce_rules_load(paths, n, e, sizeof(e))) == NULL) {
		if (err != NULL)
			snprintf(err, errlen, "%s", e);
		else
			log_err("rules not reloaded: %s", e);
		return -1;
	}
	bounce_rules_free(fb->rules);
	fb->rules = rs;
	log_info("%zu bounce rules loaded", bounce_rules_count(rs));
	return 0;
}

static int
check_config(struct fb *fb, const char *path)
{
	char	 err[1024];
	int	 errors = 0;

	if (fb_rules_load(fb, err, sizeof(err)) < 0 && ++errors)
		fprintf(stderr, "outpost-feedback: %s\n", err);
	switch (confcheck_redis(fb->conf, path, err, sizeof(err))) {
	case -1:
		errors++;
		fprintf(stderr, "outpost-feedback: %s\n", err);
		break;
	case 1:
		fprintf(stderr, "outpost-feedback: warning: %s\n", err);
		break;
	}
	if (errors > 0)
		return 1;
	printf("%s: ok\n", path);
	return 0;
}

/* Local time offset from UTC (classic syslog stamps carry none). */
static void
clock_setup(struct fb *fb)
{
	time_t		 now = time(NULL);
	struct tm	 tm;

	localtime_r(&now, &tm);
	fb->year = tm.tm_year + 1900;
	fb->tzoff = tm.tm_gmtoff;
}

static void
signals(void)
{
	struct sigaction	 sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void
setup(struct fb *fb, const struct conf *conf, int arf)
{
	char	 err[1024];

	memset(fb, 0, sizeof(*fb));
	fb->conf = conf;
	/*
	 * A batch's command buffers are megabytes, built and freed once per
	 * batch: kept in the heap instead of mmap'd afresh each time (the
	 * page faults were a fifth of the follower's CPU).
	 */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024);
	clock_setup(fb);
	if (gethostname(fb->host, sizeof(fb->host)) < 0 || fb->host[0] == 0)
		snprintf(fb->host, sizeof(fb->host), "localhost");
	if (!arf && fb_rules_load(fb, err, sizeof(err)) < 0)
		fatal("%s", err);
	if ((fb->r = redis_new(conf, err, sizeof(err))) == NULL ||
	    (fb->rr = redis_new(conf, err, sizeof(err))) == NULL)
		fatal("%s", err);
	fb->jc = jcache_new();
}

static int
daemon_run(struct fb *fb, struct conf *conf, int fg, int from_start,
    const char *log)
{
	struct pidfile	 pidf;
	char		 err[1024];
	int		 rc;

	if (pidfile_init(&pidf, conf->pid_file, "outpost-feedback", err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	if (!fg && daemon(0, log_to_stderr()) < 0)
		fatal("cannot become a daemon");
	if (pidfile_write(&pidf, geteuid(), getegid(), err, sizeof(err)) < 0)
		fatal("%s", err);
	fm_start(conf);
	log_info("started: log=%s redis=%s host=%s", log, conf->redis_address,
	    fb->host);
	if (fx_pauses_apply(fb) < 0)	/* what a crash left in the outbox */
		log_warn("redis: pending pauses not applied yet: %s",
		    redis_errstr(fb->rr));
	rc = follow_run(fb, log, from_start);
	fm_stop();
	log_info("stopped: lines=%lu events=%lu unknown=%lu unattributed=%lu",
	    fb->lines, fb->events, fb->unknown, fb->unattributed);
	if (pidfile_remove(&pidf) < 0)
		log_warn_errno("pid_file %s: cannot remove", pidf.path);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct conf	 conf;
	struct fb	 fb;
	const char	*path = NULL, *log = NULL;
	char		 err[1024];
	int		 ch, check = 0, fg = 0, from_start = 0, arf = 0, rc;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "outpost-feedback", OUTPOST_VERSION);
		return 0;
	}
	for (ch = 1; ch < argc; ch++)	/* long options, then getopt */
		if (strcmp(argv[ch], "--from-start") == 0)
			from_start = 1, argv[ch] = "-F";
		else if (strcmp(argv[ch], "--arf") == 0)
			arf = 1, argv[ch] = "-A";
	while ((ch = getopt(argc, argv, "c:fnFA")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': fg = 1; break;
		case 'n': check = 1; break;
		case 'F': case 'A': break;
		default: usage();
		}
	}
	if (optind + 1 < argc || (arf && optind != argc))
		usage();
	log_open("outpost-feedback", LOGDEST_STDERR, LOG_INFO);
	if (conf_load_path(&conf, path, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (secret_conf_check(conf_path(path), &conf, err, sizeof(err)) > 0)
		log_warn("%s", err);
	log = optind < argc ? argv[optind] : conf.feedback_log;
	if (strcmp(log, "-") == 0)
		fg = 1;
	setup(&fb, &conf, arf && !check);
	if (check)
		rc = check_config(&fb, conf_path(path));
	else {
		log_open("outpost-feedback", conf.log_destination,
		    conf.log_level);
		log_stamp(!arf);
		signals();
		rc = arf ? arf_main(&fb) : daemon_run(&fb, &conf, fg,
		    from_start, log);
	}
	fb.jc = jcache_free(fb.jc);
	fb.r = redis_free(fb.r);
	fb.rr = redis_free(fb.rr);
	batch_free(&fb.b);
	fb.rules = bounce_rules_free(fb.rules);
	conf_free(&conf);
	return rc;
}
