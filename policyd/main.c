/*
 * outpost-policyd -- Postfix policy delegation server: per SASL user
 * account state, sender domains, suppression lists and sending limits in
 * Redis.  See outpost-policyd(8).
 *
 *   outpost-policyd [-c FILE] [-f] [-n]
 */
#include <sys/resource.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "conf.h"
#include "confcheck.h"
#include "log.h"
#include "version.h"
#include "pidfile.h"
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

/*
 * -n: what start-up would refuse is an error (exit 1), each on stderr with
 * file and line; Redis not answering may be transient: a warning (the
 * systemd unit runs -n before every start).
 */
static int
check_config(const struct conf *c, const char *path)
{
	char	 err[1024];
	size_t	 i;
	int	 errors = 0;

	if (confcheck_user(c, path, err, sizeof(err)) < 0 && ++errors)
		fprintf(stderr, "outpost-policyd: %s\n", err);
	for (i = 0; i < c->policyd_listen.n; i++)
		if (confcheck_addr(path, "policyd_listen",
		    c->policyd_listen.v[i], err, sizeof(err)) < 0 && ++errors)
			fprintf(stderr, "outpost-policyd: %s\n", err);
	if (confcheck_redis_async(c, path, err, sizeof(err)) < 0) {
		errors++;
		fprintf(stderr, "outpost-policyd: %s\n", err);
	} else switch (confcheck_redis(c, path, err, sizeof(err))) {
	case -1:
		errors++;
		fprintf(stderr, "outpost-policyd: %s\n", err);
		break;
	case 1:
		fprintf(stderr, "outpost-policyd: warning: %s\n", err);
		break;
	}
	if (errors > 0) {
		fprintf(stderr, "outpost-policyd: %s: %d configuration "
		    "error%s\n", path, errors, errors == 1 ? "" : "s");
		return 1;
	}
	printf("%s: ok\n", path);
	return 0;
}

/*
 * pid_file (hosts without systemd): written after daemonising and before
 * the privilege drop; its directory, when created, belongs to user so
 * that the daemon can remove the file at exit.
 */
static void
pid_write(struct pidfile *pf, const char *user)
{
	char	 err[1024];
	uid_t	 uid = geteuid();
	gid_t	 gid = getegid();

	if (pf->path[0] == '\0')
		return;
	if (uid == 0 && privdrop_lookup(user, &uid, &gid, err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	if (pidfile_write(pf, uid, gid, err, sizeof(err)) < 0)
		fatal("%s", err);
}

struct hup {
	struct conf	*conf;
	const char	*path;
};

static void
on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct hup	*h = arg;

	(void)sig;
	(void)what;
	log_info("SIGHUP: reading the configuration again");
	reload_conf(h->conf, h->path);
}

int
main(int argc, char **argv)
{
	struct conf		 conf;
	struct event_base	*base;
	struct server		*srv;
	struct event		*hupev;
	struct hup		 hup;
	struct pidfile		 pidf;
	const char		*path = NULL;
	char			 err[1024];
	int			 ch, check = 0, fg = 0;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "outpost-policyd", OUTPOST_VERSION);
		return 0;
	}
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
		ch = check_config(&conf, conf_path(path));
		conf_free(&conf);
		return ch;
	}
	log_open("outpost-policyd", conf.log_destination, conf.log_level);
	log_stamp(1);
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (pidfile_init(&pidf, conf.pid_file, "outpost-policyd", err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	if ((base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	if ((srv = server_new(base, &conf, err, sizeof(err))) == NULL ||
	    server_listen(srv, err, sizeof(err)) < 0)
		fatal("%s", err);
	pm_start(base, &conf);

	/* Without syslog the log is stderr: keep it when detaching. */
	if (!fg && (daemon(0, log_to_stderr()) < 0 ||
	    event_reinit(base) < 0))
		fatal("cannot become a daemon");
	pid_write(&pidf, conf.user);

	if (privdrop(conf.user, err, sizeof(err)) < 0)
		fatal("%s", err);
	log_info("started: listen=%zu address(es) redis=%s",
	    conf.policyd_listen.n, conf.redis_address);
	hup.conf = &conf;
	hup.path = path;
	if ((hupev = evsignal_new(base, SIGHUP, on_hup, &hup)) == NULL ||
	    evsignal_add(hupev, NULL) < 0)
		fatal("cannot handle SIGHUP");
	server_run(srv);
	if (pidfile_remove(&pidf) < 0)
		log_warn_errno("pid_file %s: cannot remove", pidf.path);
	event_free(hupev);
	server_free(srv);
	pm_stop();
	event_base_free(base);
	conf_free(&conf);
	return 0;
}
