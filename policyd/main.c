/*
 * outpost-policyd -- Postfix policy delegation server: per SASL user
 * account state, sender domains, suppression lists and sending limits in
 * Redis.  See outpost-policyd(8).
 *
 *   outpost-policyd [-c FILE] [-f] [-n]
 */
#include <sys/resource.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "log.h"
#include "policyd.h"
#include "privdrop.h"
#include "secret.h"

static void
usage(void)
{
	fprintf(stderr, "usage: outpost-policyd [-c FILE] [-f] [-n]\n");
	exit(2);
}

/* Thousands of policy connections: soft open-files limit up to the hard. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise the open-files limit");
	}
}

int
main(int argc, char **argv)
{
	struct conf		 conf;
	struct event_base	*base;
	struct server		*srv;
	const char		*path = NULL;
	char			 err[1024];
	int			 ch, check = 0, fg = 0;

	while ((ch = getopt(argc, argv, "c:fn")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'f': fg = 1; break;
		case 'n': check = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	log_open("outpost-policyd", LOGDEST_STDERR, LOG_INFO);
	if (conf_load_path(&conf, path, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (secret_conf_check(conf_path(path), &conf, err, sizeof(err)) > 0)
		log_warn("%s", err);
	if (check) {
		printf("%s: ok\n", conf_path(path));
		conf_free(&conf);
		return 0;
	}
	log_open("outpost-policyd", conf.log_destination, conf.log_level);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if ((base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	if ((srv = server_new(base, &conf, err, sizeof(err))) == NULL ||
	    server_listen(srv, err, sizeof(err)) < 0)
		fatal("%s", err);

	if (privdrop(conf.user, err, sizeof(err)) < 0)
		fatal("%s", err);

	if (!fg && (daemon(0, 0) < 0 || event_reinit(base) < 0))
		fatal("cannot become a daemon");
	log_info("started: listen=%zu address(es) redis=%s",
	    conf.policyd_listen.n, conf.redis_address);
	server_run(srv);
	server_free(srv);
	event_base_free(base);
	conf_free(&conf);
	return 0;
}
