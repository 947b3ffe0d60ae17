/*
 * outpost-milter -- DKIM-signs outbound mail for Postfix and Sendmail.
 *
 * usage: outpost-milter [-f] [-n] [-c FILE]
 *   -c FILE  configuration (default /etc/outpost/outpost.conf, or
 *            $OUTPOST_CONF)
 *   -f       stay in the foreground
 *   -n       check the configuration and the keys, report, and exit
 *
 * Start-up: configuration, key store (problems are warnings: a broken key
 * costs only its own domain), socket, pid file, privilege drop,
 * libmilter's loop.  SIGHUP reloads the keys and the reloadable settings
 * (signals.c, settings.c).
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "confcheck.h"
#include "dns.h"
#include "keystore.h"
#include "log.h"
#include "version.h"
#include "milter.h"
#include "pidfile.h"
#include "privdrop.h"
#include "secret.h"
#include "spfhelper.h"
#include "usock.h"
#include "xmalloc.h"

struct milter_globals	 G;

static void
usage(void)
{
	fprintf(stderr, "usage: outpost-milter [-f] [-n] [-c FILE]\n");
	exit(2);
}

static void
load_conf(const char *arg)
{
	char		 err[1024];

	if (conf_load_path(&G.conf, arg, err, sizeof(err)) < 0) {
		fprintf(stderr, "outpost-milter: %s\n", err);
		exit(1);
	}
}

/*
 * pid_file (hosts without systemd): refused at once, on stderr, when a
 * live milter owns it; written after daemonising, while still root.
 */
static struct pidfile	 pidf = { "", -1, "" };

static void
pid_write(void)
{
	char	 err[1024];
	uid_t	 uid = geteuid();
	gid_t	 gid = getegid();

	if (pidf.path[0] == '\0')
		return;
	if (uid == 0 && privdrop_lookup(G.conf.user, &uid, &gid, err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	if (pidfile_write(&pidf, uid, gid, err, sizeof(err)) < 0)
		fatal("%s", err);
}

static void
pid_remove(void)
{
	if (pidfile_remove(&pidf) < 0)
		log_warn_errno("pid_file %s: cannot remove", pidf.path);
}

static void
report_key_problem(const char *domain, const char *problem, int warning,
    void *arg)
{
	int	*count = arg;

	if (warning) {		/* signs, but Postfix may read the key */
		log_warn("keys of %s: %s", domain, problem);
		return;
	}
	(*count)++;
	if (domain == NULL)
		log_warn("keys_directory: %s (all signing mail will be "
		    "deferred)", problem);
	else
		log_warn("keys of %s: %s (its mail will be deferred)", domain,
		    problem);
}

static int
open_keys(void)
{
	char	 err[512];
	uid_t	 uid = geteuid();
	gid_t	 gid = getegid();
	int	 problems = 0;

	if (uid == 0 && privdrop_lookup(G.conf.user, &uid, &gid, err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	G.keys = keystore_new(G.conf.keys_directory, uid, gid);
	if (keystore_load(G.keys, err, sizeof(err)) < 0)
		log_warn("keys_directory: %s", err);
	keystore_warnings(G.keys, report_key_problem, &problems);
	return problems;
}

/*
 * Replies are small writes; with Nagle on, the second of two waits for
 * the MTA's delayed ACK (~40 ms).  Linux hands TCP_NODELAY on from the
 * listening socket to every accepted one, and libmilter keeps its
 * listening socket to itself, so find it among our descriptors.
 */
static void
listener_nodelay(void)
{
	int		 fd, v, one = 1;
	socklen_t	 len;

	for (fd = 3; fd < 1024; fd++) {
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 ||
		    !v)
			continue;
		len = sizeof(v);
		if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 &&
		    (v == AF_INET || v == AF_INET6))
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
			    sizeof(one));
	}
}

/*
 * A unix socket goes into its directory through usock.h: created (root's,
 * group of user) when missing, refused when a racer could change it, and
 * refused when another daemon answers on it -- libmilter's own "remove
 * the old socket" would take the socket from a running milter.  Bound
 * with the directory as working directory, so libmilter gets the bare
 * name; at exit it removes that name only if it is still a socket.
 */
static void
open_unix(struct usock *u, const char *path, char *spec, size_t speclen)
{
	char	 err[512];
	uid_t	 uid = geteuid();
	gid_t	 gid = getegid();
	mode_t	 mask;

	if (uid == 0 && privdrop_lookup(G.conf.user, &uid, &gid, err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	if (usock_open(u, path, gid, err, sizeof(err)) < 0)
		fatal("milter_socket: %s", err);
	snprintf(spec, speclen, "unix:%s", usock_name(u));
	if (smfi_setconn(spec) != MI_SUCCESS)
		fatal("milter_socket %s: rejected by libmilter", path);
	mask = umask(usock_umask());
	if (smfi_opensocket(0) != MI_SUCCESS)
		fatal("cannot listen on %s", G.conf.milter_socket);
	umask(mask);
	if (usock_own(u, uid, gid, err, sizeof(err)) < 0)
		fatal("milter_socket: %s", err);
	usock_close(u);
}

static void
open_socket(void)
{
	struct netaddr	 a;
	struct usock	 u;
	char		 spec[512], err[256];

	if (netaddr_parse(G.conf.milter_socket, &a, err, sizeof(err)) < 0 ||
	    netaddr_milter(&a, spec, sizeof(spec)) < 0)
		fatal("milter_socket: %s", err);
	if (smfi_settimeout((int)(G.conf.milter_timeout / 1000)) !=
	    MI_SUCCESS || smfi_register(milter_desc) != MI_SUCCESS)
		fatal("libmilter refused the filter registration");
	if (a.kind == NETADDR_UNIX) {
		open_unix(&u, a.path, spec, sizeof(spec));
		return;
	}
	if (smfi_setconn(spec) != MI_SUCCESS)
		fatal("milter_socket %s: rejected by libmilter", spec);
	if (smfi_opensocket(0) != MI_SUCCESS)
		fatal("cannot listen on %s (address in use?)",
		    G.conf.milter_socket);
	listener_nodelay();
}

/*
 * The resolver, when something may need it: the DMARC prediction
 * (require_alignment) or inbound verification (any milter_mode but
 * sign).  Before the worker threads start.
 */
static void
dns_start(void)
{
	char	 err[512];

	if (G.conf.require_alignment == ALIGN_NO &&
	    G.conf.milter_mode == MODE_SIGN)
		return;
	if ((G.dns = dns_new(&G.conf, err, sizeof(err))) == NULL)
		fatal("resolver: %s", err);
}

static void
checks_init(void)
{
	char	 err[512];

	dns_start();
	if (align_init(err, sizeof(err)) < 0 ||
	    inbound_init(err, sizeof(err)) < 0)
		fatal("%s", err);
}

/*
 * -n: what start-up would refuse is an error (exit 1), each on stderr with
 * file and line; Redis not answering may be transient: a warning (the
 * systemd unit runs -n before every start).
 */
static int
check_config(const char *conf_arg)
{
	const char	*path = conf_path(conf_arg);
	char		 err[1024];
	int		 errors = 0, problems;

	if (confcheck_user(&G.conf, path, err, sizeof(err)) < 0 &&
	    ++errors)
		fprintf(stderr, "outpost-milter: %s\n", err);
	if (confcheck_addr(path, "milter_socket", G.conf.milter_socket, err,
	    sizeof(err)) < 0 && ++errors)
		fprintf(stderr, "outpost-milter: %s\n", err);
	switch (confcheck_redis(&G.conf, path, err, sizeof(err))) {
	case -1:
		errors++;
		fprintf(stderr, "outpost-milter: %s\n", err);
		break;
	case 1:
		fprintf(stderr, "outpost-milter: warning: %s\n", err);
		break;
	}
	if (errors > 0) {
		fprintf(stderr, "outpost-milter: %s: %d configuration "
		    "error%s\n", path, errors, errors == 1 ? "" : "s");
		return 1;
	}
	/* Judge the keys as the daemon will read them: as user. */
	if (privdrop(G.conf.user, err, sizeof(err)) < 0)
		fatal("%s", err);
	problems = open_keys();
	checks_init();
	align_fini();
	G.dns = dns_free(G.dns);
	printf("%s: configuration OK; %d key problem%s\n", path, problems,
	    problems == 1 ? "" : "s");
	return 0;
}

int
main(int argc, char **argv)
{
	const char	*conf_arg = NULL;
	char		 err[512];
	int		 ch, foreground = 0, check = 0;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", "outpost-milter", OUTPOST_VERSION);
		return 0;
	}
	while ((ch = getopt(argc, argv, "c:fn")) != -1) {
		switch (ch) {
		case 'c': conf_arg = optarg; break;
		case 'f': foreground = 1; break;
		case 'n': check = 1; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	load_conf(conf_arg);
	log_open("outpost-milter", check ? LOGDEST_STDERR :
	    G.conf.log_destination, G.conf.log_level);
	log_stamp(!check);
	if (secret_conf_check(conf_path(conf_arg), &G.conf, err,
	    sizeof(err)) > 0)
		log_warn("%s", err);
	G.conf_arg = conf_arg;
	settings_init(&G.conf);
	if (check)
		return check_config(conf_arg);

	if (pidfile_init(&pidf, G.conf.pid_file, "outpost-milter", err,
	    sizeof(err)) < 0)
		fatal("%s", err);
	open_socket();
	/* Without syslog the log is stderr: keep it when detaching. */
	if (!foreground && daemon(0, log_to_stderr()) < 0)
		fatal_errno("daemon");
	pid_write();
	/*
	 * libspf2 runs in a process of its own, forked while we are still
	 * root so that it can become nobody in an empty chroot: it must
	 * never be able to read the keys (spfhelper.h).  Needed for the
	 * relay_addresses check and for inbound mail (milter_mode != sign).
	 */
	if (((G.conf.require_alignment != ALIGN_NO &&
	    G.conf.relay_addresses.n > 0) || G.conf.milter_mode != MODE_SIGN) &&
	    (G.spf = spfhelper_start(&G.conf, err, sizeof(err))) == NULL)
		fatal("SPF helper: %s", err);
	mm_start(&G.conf);
	if (privdrop(G.conf.user, err, sizeof(err)) < 0)
		fatal("%s", err);
	open_keys();
	checks_init();
	signals_init();
	refund_init();
	authz_init();
	log_info("listening on %s, mode %s, keys in %s",
	    G.conf.milter_socket, G.conf.milter_mode == MODE_AUTO ? "auto" :
	    G.conf.milter_mode == MODE_SIGN ? "sign" : "verify",
	    G.conf.keys_directory);
	ch = smfi_main();
	/*
	 * libmilter returns without joining its session threads; what they
	 * use must outlive them.  Wait for the open connections to close,
	 * and if some do not, exit without freeing the shared state.
	 */
	pid_remove();
	if (!connections_wait(10)) {
		log_warn("stopped with connections still open");
		_exit(ch == MI_SUCCESS ? 0 : 1);
	}
	log_info("stopped");
	mm_stop();
	refund_fini();
	authz_fini();
	align_fini();
	G.dns = dns_free(G.dns);
	G.spf = spfhelper_stop(G.spf);
	G.keys = keystore_free(G.keys);
	settings_fini();
	conf_free(&G.conf);
	return ch == MI_SUCCESS ? 0 : 1;
}
