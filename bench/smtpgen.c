/*
 * smtpgen -- SMTP submission load generator: what smtp-source does, plus
 * AUTH PLAIN, so that a milter behind Postfix sees SASL-authenticated
 * mail ({auth_authen}) and runs its sender authorisation.
 *
 *   smtpgen -s inet:HOST:PORT -f MESSAGE [-c SESSIONS] [-n TOTAL]
 *           [-a USER:PASSWORD] [-F SENDER] [-t RECIPIENT] [-l LABEL]
 *
 * SESSIONS threads each run sessions one after another until TOTAL
 * messages are claimed; a session is one message, as smtp-source sends by
 * default: connect, 220, EHLO, AUTH PLAIN (with -a), MAIL FROM, RCPT TO,
 * DATA, the message (line ends made CRLF, dot-stuffed), ".", QUIT.  No
 * pipelining.  Prints messages/second, the replies that were not 2xx/3xx
 * (the first one in full) and one "RESULT key=value ..." line.  Exit 0
 * when every message was accepted, 3 otherwise, 1 on a usage or file
 * error.  A benchmark: it asserts nothing else.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "benchutil.h"

struct opts {
	const char	*sock, *file, *auth, *from, *rcpt, *label;
	int		 conc;
	long		 total;
};

/* One session's connection, with a small read buffer for replies. */
struct sconn {
	int	 fd;
	char	 buf[4096];
	size_t	 len, off;
};

static struct opts	 O = { .conc = 8, .total = 1000,
			       .from = "bench@example.com",
			       .rcpt = "rcpt@example.org", .label = "smtp" };
static char		*msg;		/* CRLF, dot-stuffed, ends "\r\n.\r\n" */
static size_t		 msglen;
static char		 auth_cmd[1024];
static atomic_long	 next_msg, ok_msgs, bad_msgs;
static pthread_mutex_t	 first_lock = PTHREAD_MUTEX_INITIALIZER;
static char		 first_bad[512];

static void
load_message(void)
{
	FILE	*f;
	char	 line[8192];
	size_t	 n, cap = 0;

	if ((f = fopen(O.file, "r")) == NULL)
		bench_die(O.file);
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\r\n");
		line[n] = '\0';
		if (msglen + n + 8 > cap) {
			cap = (msglen + n + 8) * 2;
			msg = bench_realloc(msg, cap);
		}
		if (line[0] == '.')
			msg[msglen++] = '.';
		memcpy(msg + msglen, line, n);
		msglen += n;
		memcpy(msg + msglen, "\r\n", 2);
		msglen += 2;
	}
	fclose(f);
	msg = bench_realloc(msg, msglen + 4);
	memcpy(msg + msglen, ".\r\n", 3);
	msglen += 3;
}

static void
make_auth(void)
{
	unsigned char	 raw[512];
	const char	*colon;
	size_t		 ul, pl;
	int		 n;

	if (O.auth == NULL)
		return;
	if ((colon = strchr(O.auth, ':')) == NULL ||
	    (ul = (size_t)(colon - O.auth)) + (pl = strlen(colon + 1)) + 2 >
	    sizeof(raw)) {
		fprintf(stderr, "smtpgen: -a wants USER:PASSWORD\n");
		exit(1);
	}
	raw[0] = '\0';
	memcpy(raw + 1, O.auth, ul);
	raw[ul + 1] = '\0';
	memcpy(raw + ul + 2, colon + 1, pl);
	n = snprintf(auth_cmd, sizeof(auth_cmd), "AUTH PLAIN ");
	EVP_EncodeBlock((unsigned char *)auth_cmd + n, raw, (int)(ul + pl + 2));
	strcat(auth_cmd, "\r\n");
}

static int
send_all(int fd, const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* One line of a reply into line; -1 on EOF or error. */
static int
read_line(struct sconn *c, char *line, size_t max)
{
	size_t	 n = 0;
	ssize_t	 r;
	char	 ch;

	for (;;) {
		if (c->off == c->len) {
			if ((r = recv(c->fd, c->buf, sizeof(c->buf), 0)) <= 0)
				return -1;
			c->len = (size_t)r;
			c->off = 0;
		}
		ch = c->buf[c->off++];
		if (ch == '\n')
			break;
		if (ch != '\r' && n + 1 < max)
			line[n++] = ch;
	}
	line[n] = '\0';
	return 0;
}

/* A whole (multi-line) reply; its code, or -1.  The last line in last. */
static int
reply(struct sconn *c, char *last, size_t max)
{
	do {
		if (read_line(c, last, max) < 0 || strlen(last) < 3)
			return -1;
	} while (last[3] == '-');
	return atoi(last);
}

/* Sends cmd (may be NULL: just read), expects a reply of class want. */
static int
step(struct sconn *c, const char *cmd, size_t n, int want, char *last,
    size_t max)
{
	int	 code;

	if (cmd != NULL && send_all(c->fd, cmd, n) < 0) {
		snprintf(last, max, "send failed");
		return -1;
	}
	if ((code = reply(c, last, max)) < 0) {
		snprintf(last, max, "connection lost");
		return -1;
	}
	return code / 100 == want ? 0 : -1;
}

static int
cmd_step(struct sconn *c, const char *cmd, int want, char *last, size_t max)
{
	return step(c, cmd, cmd != NULL ? strlen(cmd) : 0, want, last, max);
}

static int
session(void)
{
	struct sconn	 c = { .fd = -1 };
	struct timeval	 tv = { 60, 0 };
	char		 cmd[600], last[512];
	int		 rc = -1;

	if ((c.fd = bench_connect(O.sock)) < 0) {
		snprintf(last, sizeof(last), "connect failed");
		goto out;
	}
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
#define STEP(s, want) cmd_step(&c, (s), (want), last, sizeof(last))
	if (STEP(NULL, 2) < 0 || STEP("EHLO smtpgen.example\r\n", 2) < 0 ||
	    (O.auth != NULL && STEP(auth_cmd, 2) < 0))
		goto out;
	snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", O.from);
	if (STEP(cmd, 2) < 0)
		goto out;
	snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", O.rcpt);
	if (STEP(cmd, 2) < 0 || STEP("DATA\r\n", 3) < 0 ||
	    step(&c, msg, msglen, 2, last, sizeof(last)) < 0)
		goto out;
	rc = 0;
	(void)STEP("QUIT\r\n", 2);
#undef STEP
out:
	if (c.fd >= 0)
		close(c.fd);
	if (rc < 0) {
		pthread_mutex_lock(&first_lock);
		if (first_bad[0] == '\0')
			snprintf(first_bad, sizeof(first_bad), "%s", last);
		pthread_mutex_unlock(&first_lock);
	}
	return rc;
}

static void *
worker_main(void *arg)
{
	(void)arg;
	while (atomic_fetch_add(&next_msg, 1) < O.total) {
		if (session() == 0)
			atomic_fetch_add(&ok_msgs, 1);
		else if (atomic_fetch_add(&bad_msgs, 1) > 100)
			break;
	}
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: smtpgen -s inet:HOST:PORT -f message "
	    "[-c sessions] [-n total] [-a user:password]\n"
	    "       [-F sender] [-t recipient] [-l label]\n");
	exit(1);
}

static void
parse_args(int argc, char **argv)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "a:c:f:F:l:n:s:t:")) != -1) {
		switch (ch) {
		case 'a': O.auth = optarg; break;
		case 'c': O.conc = atoi(optarg); break;
		case 'f': O.file = optarg; break;
		case 'F': O.from = optarg; break;
		case 'l': O.label = optarg; break;
		case 'n': O.total = atol(optarg); break;
		case 's': O.sock = optarg; break;
		case 't': O.rcpt = optarg; break;
		default: usage();
		}
	}
	if (O.sock == NULL || O.file == NULL || O.conc < 1 || O.total < 1 ||
	    optind != argc)
		usage();
}

int
main(int argc, char **argv)
{
	pthread_t	*t;
	double		 t0, el;
	int		 i;

	parse_args(argc, argv);
	load_message();
	make_auth();
	if ((t = calloc((size_t)O.conc, sizeof(*t))) == NULL)
		bench_die("calloc");
	t0 = bench_now();
	for (i = 0; i < O.conc; i++)
		if (pthread_create(&t[i], NULL, worker_main, NULL) != 0)
			bench_die("pthread_create");
	for (i = 0; i < O.conc; i++)
		pthread_join(t[i], NULL);
	el = bench_now() - t0;
	free(t);
	free(msg);
	printf("%s: %ld messages accepted, %ld failed in %.2f s, %d sessions"
	    "%s: %.1f msg/s\n", O.label, (long)ok_msgs, (long)bad_msgs, el,
	    O.conc, O.auth ? " with AUTH PLAIN" : "", (double)ok_msgs / el);
	if (first_bad[0] != '\0')
		printf("%s: first failure: %s\n", O.label, first_bad);
	printf("RESULT label=%s sessions=%d ok=%ld failed=%ld secs=%.3f "
	    "rate=%.1f\n", O.label, O.conc, (long)ok_msgs, (long)bad_msgs, el,
	    (double)ok_msgs / el);
	return bad_msgs ? 3 : 0;
}
