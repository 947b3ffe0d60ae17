/*
 * outpost-web -- the operator's web console.
 *
 *   outpost-web [-c FILE] [-f] [-n]
 *   outpost-web [-c FILE] --add-admin NAME [--read-only]
 *
 * Serves the console on web_listen until SIGTERM / SIGINT (in the
 * foreground: systemd runs it as Type=simple); -n checks the config and
 * the accounts file and exits.  --add-admin reads a password from the
 * first line of standard input and adds (or replaces) the account in
 * web_admins.  Privileges: run it as the outpost account (the systemd
 * unit does); it never binds a port below 1024 by itself.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/http.h>

#include "errf.h"
#include "log.h"
#include "netaddr.h"
#include "redis.h"
#include "secret.h"
#include "web.h"

/* The first line of standard input (not echoed on a terminal) into
 * pass; 0, or -1 with the reason printed. */
static int
read_pass(char *pass, size_t len)
{
	struct termios	 t0, t1;
	int		 tty = isatty(0) && tcgetattr(0, &t0) == 0, ok;

	if (tty) {
		fprintf(stderr, "Password: ");
		t1 = t0;
		t1.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &t1);
	}
	ok = fgets(pass, (int)len, stdin) != NULL;
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &t0);
		fputc('\n', stderr);
	}
	if (!ok) {
		fprintf(stderr, "outpost-web: --add-admin: no password on "
		    "standard input\n");
		return -1;
	}
	if (strchr(pass, '\n') == NULL && !feof(stdin)) {
		fprintf(stderr, "outpost-web: --add-admin: the password is "
		    "longer than %zu bytes\n", len - 2);
		return -1;
	}
	pass[strcspn(pass, "\r\n")] = '\0';
	return 0;
}

static int
add_admin(struct web *w, const char *name, int role)
{
	char	 pass[1024], err[512];
	int	 rc;

	if (read_pass(pass, sizeof(pass)) < 0) {
		explicit_bzero(pass, sizeof(pass));
		return 1;
	}
	rc = admins_add(w->ctl.conf.web_admins, w->ctl.conf.user, name, role,
	    pass, err, sizeof(err));
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0) {
		fprintf(stderr, "outpost-web: %s\n", err);
		return 1;
	}
	printf("%s: %s %s\n", w->ctl.conf.web_admins, role == ROLE_ADMIN ?
	    "admin" : "read-only admin", name);
	return 0;
}

/*
 * With web_trusted_header: web_listen on a loopback address (127.0.0.0/8,
 * ::1) and a web_trusted_secret of WEB_SECRET_MIN bytes at least, which
 * the proxy sends in WEB_SECRET_HEADER.  0 / -1 with err.
 */
static int
trusted_check(const struct conf *c, char *err, size_t errlen)
{
	struct netaddr	 a;
	struct cidr	 lo4, lo6;

	if (c->web_trusted_header[0] == '\0')
		return 0;
	if (netaddr_parse(c->web_listen, &a, err, errlen) < 0)
		return -1;
	if (cidr_parse("127.0.0.0/8", &lo4) < 0 || cidr_parse("::1", &lo6) < 0)
		return errf(err, errlen, "loopback networks: parse failed");
	if (!cidr_match_text(&lo4, a.host) && !cidr_match_text(&lo6, a.host))
		return errf(err, errlen, "web_trusted_header is set: "
		    "web_listen must be a loopback address (127.0.0.0/8, "
		    "[::1]), not %s", c->web_listen);
	if (strlen(c->web_trusted_secret) < WEB_SECRET_MIN)
		return errf(err, errlen, "web_trusted_header is set: "
		    "web_trusted_secret must be set too (at least %d bytes, "
		    "sent by the proxy in %s)", WEB_SECRET_MIN,
		    WEB_SECRET_HEADER);
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(arg);
}

static int
serve(struct web *w)
{
	struct event_base	*base;
	struct event		*s1, *s2;
	char			 err[1024];

	if ((base = event_base_new()) == NULL)
		fatal("event_base_new failed");
	if (web_serve(w, base, err, sizeof(err)) < 0)
		fatal("%s", err);
	if ((w->ctl.r = redis_new(&w->ctl.conf, err, sizeof(err))) == NULL)
		fatal("%s", err);
	if (redis_connect(w->ctl.r) < 0)	/* retried at each request */
		log_warn("redis %s: %s", w->ctl.conf.redis_address,
		    redis_errstr(w->ctl.r));
	s1 = evsignal_new(base, SIGTERM, on_signal, base);
	s2 = evsignal_new(base, SIGINT, on_signal, base);
	if (s1 == NULL || s2 == NULL || event_add(s1, NULL) < 0 ||
	    event_add(s2, NULL) < 0)
		fatal("signal events failed");
	log_info("listening on %s%s%s", w->ctl.conf.web_listen,
	    w->ctl.conf.web_trusted_header[0] ? ", admins named by header " :
	    "", w->ctl.conf.web_trusted_header);
	event_base_dispatch(base);
	event_free(s1);
	event_free(s2);
	evhttp_free(w->http);
	event_base_free(base);
	w->ctl.r = redis_free(w->ctl.r);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "add-admin", required_argument, NULL, 'a' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct web	 w;
	const char	*path = NULL, *add = NULL;
	char		 err[1024];
	int		 ch, check = 0, role = ROLE_ADMIN, rc;

	memset(&w, 0, sizeof(w));
	while ((ch = getopt_long(argc, argv, "c:fn", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'a': add = optarg; break;
		case 'r': role = ROLE_READONLY; break;
		case 'n': check = 1; break;
		case 'f': break;
		case 'V':
			printf("outpost-web %s\n", OUTPOST_VERSION);
			return 0;
		default:
			fprintf(stderr, "usage: outpost-web [-c FILE] [-n] | "
			    "[-c FILE] --add-admin NAME [--read-only]\n");
			return 2;
		}
	}
	w.ctl.conf_path = conf_path(path);
	if (conf_load_path(&w.ctl.conf, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "outpost-web: %s\n", err);
		return 1;
	}
	if (add != NULL) {
		rc = add_admin(&w, add, role);
		conf_free(&w.ctl.conf);
		return rc;
	}
	log_open("outpost-web", w.ctl.conf.log_destination,
	    w.ctl.conf.log_level);
	log_stamp(1);
	if (secret_conf_check(w.ctl.conf_path, &w.ctl.conf, err,
	    sizeof(err)) > 0)
		log_warn("%s", err);
	if ((w.admins = admins_load(w.ctl.conf.web_admins, err,
	    sizeof(err))) == NULL)
		fatal("%s", err);
	if (trusted_check(&w.ctl.conf, err, sizeof(err)) < 0)
		fatal("%s", err);
	if (check) {
		printf("outpost-web: %s: ok\n", w.ctl.conf_path);
		w.admins = admins_free(w.admins);
		conf_free(&w.ctl.conf);
		return 0;
	}
	if ((w.auth = auth_new()) == NULL)
		fatal("no random bytes for the sessions");
	signal(SIGPIPE, SIG_IGN);
	rc = serve(&w);
	w.admins = admins_free(w.admins);
	w.auth = auth_free(w.auth);
	conf_free(&w.ctl.conf);
	return rc;
}
