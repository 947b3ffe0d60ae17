/*
 * policygen -- Postfix policy-protocol load generator, playing smtpd.
 *
 * C persistent connections served by one epoll loop; each connection has
 * one request outstanding at a time, as a Postfix smtpd process does.
 * Requests carry every attribute Postfix 3.7 sends; for each message a
 * connection sends RCPT, then END-OF-MESSAGE (recipient_count=1,
 * size=4096), sasl_username drawn from a pool of U users.  Queue IDs are
 * unique per run (a salt of the time and pid in front of the connection
 * and message numbers), as Postfix's are: a later run against the same
 * Redis must not meet the refund records of an earlier one (the daemon
 * warns of every duplicate queue ID).
 *
 *   policygen -s inet:HOST:PORT|unix:/path [-c CONNS] [-n TOTAL | -d SECS]
 *             [-R RATE] [-U USERS] [-D DOMAIN] [-p PID] [-l LABEL]
 *             [-T TRACE]
 *   policygen -s ADDR -i N [-d SECS] [-p PID]      idle mode
 *   policygen -P rcpt|eom     print outpost-policyd's Lua script (for the
 *                             redis-benchmark floor) and exit
 *
 * Without -R each connection sends its next request as soon as the reply
 * is in (closed loop: the server's saturation throughput, where latency is
 * mostly queueing).  -R RATE paces the connections to RATE requests/second
 * in all (open loop, latency counted from the scheduled time, so a stall
 * is not hidden): the latency at a given load.
 *
 * Load mode prints requests/second, latency p50/p99, the replies by class
 * (DUNNO/OK, 4xx, 5xx, other), the server's CPU per request when -p is
 * given, and one "RESULT key=value ..." line for bench/run.  Idle mode opens
 * N connections, holds them SECS seconds (default 2) and prints the
 * server's VmRSS before and with them ("RESULT ... rss_kb_before= ...").
 * -T TRACE writes one line per reply: when the request was sent (paced:
 * scheduled), seconds from the start; its latency in microseconds; 1 for
 * an END-OF-MESSAGE, 0 for a RCPT (where the tail of a run comes from).
 * A benchmark: nothing is asserted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "benchutil.h"
#include "pscript.h"

#define REQ_MAX		2048
#define RBUF_MAX	4096

struct opts {
	const char	*addr, *label, *domain, *trace;
	int		 conns, users, idle, pid;
	long		 total;
	double		 secs, rate;
};

struct pconn {
	int	 fd;
	int	 user;		/* current message's user */
	int	 eom;		/* 1 when the outstanding request is EOM */
	long	 msg;		/* message number on this connection */
	double	 t0;		/* sent (paced: scheduled) at */
	double	 due;		/* paced: when the next request is due */
	int	 waiting;	/* paced: reply in, next not yet sent */
	size_t	 rlen;
	char	 rbuf[RBUF_MAX];
};

struct stats {
	struct bench_lat lat;	/* seconds per request */
	FILE		*trace;	/* -T: one line per reply */
	double		 tstart;
	long	 dunno, ok, tmp, perm, other, closed;
};

static struct opts O = { .conns = 1, .users = 10000, .total = 100000,
			 .label = "policy", .domain = "example.com" };
static unsigned long rng = 88172645463325252UL;
static unsigned long qsalt;	/* queue IDs: unique per run */

/* xorshift64: deterministic user choice for repeatable runs. */
static unsigned long
next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Formats the request Postfix would send; returns its length. */
static int
format_request(char *buf, size_t cap, const struct pconn *c, int id)
{
	char user[128], qid[32];

	snprintf(user, sizeof user, "user%05d@%s", c->user, O.domain);
	snprintf(qid, sizeof qid, "%05lX%03X%07lX", qsalt & 0xfffff,
	    id & 0xfff, c->msg & 0xfffffff);
	return snprintf(buf, cap,
	    "request=smtpd_access_policy\n"
	    "protocol_state=%s\nprotocol_name=ESMTP\n"
	    "client_address=127.0.0.1\nclient_name=localhost\n"
	    "client_port=%d\nreverse_client_name=localhost\n"
	    "server_address=127.0.0.1\nserver_port=587\n"
	    "helo_name=client.bench.example\nsender=%s\nrecipient=%s\n"
	    "recipient_count=%d\nqueue_id=%s\ninstance=%x.%lx.1\n"
	    "size=%d\netrn_domain=\nstress=\nsasl_method=PLAIN\n"
	    "sasl_username=%s\nsasl_sender=\nccert_subject=\n"
	    "ccert_issuer=\nccert_fingerprint=\nccert_pubkey_fingerprint=\n"
	    "encryption_protocol=\nencryption_cipher=\nencryption_keysize=0\n"
	    "policy_context=\n\n",
	    c->eom ? "END-OF-MESSAGE" : "RCPT", 20000 + id % 40000, user,
	    c->eom ? "" : "rcpt@example.org", c->eom ? 1 : 0,
	    c->eom ? qid : "", id, c->msg, c->eom ? 4096 : 0, user);
}

static void
classify(struct stats *s, const char *reply)
{
	const char *a = strstr(reply, "action=");

	if (a == NULL) {
		s->other++;
		return;
	}
	a += 7;
	if (strncasecmp(a, "DUNNO", 5) == 0)
		s->dunno++;
	else if (strncasecmp(a, "OK", 2) == 0)
		s->ok++;
	else if (a[0] == '4' || strncasecmp(a, "DEFER", 5) == 0)
		s->tmp++;
	else if (a[0] == '5' || strncasecmp(a, "REJECT", 6) == 0)
		s->perm++;
	else
		s->other++;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- load loop -------------------------------------------------------- */

static long issued;
static double deadline;

static int
claim(void)
{
	if (O.secs > 0 ? bench_now() >= deadline : issued >= O.total)
		return 0;
	issued++;
	return 1;
}

/* Sends the connection's next request; 0, or -1 when it goes idle. */
static int
send_next(struct pconn *c, int id, double t0)
{
	char req[REQ_MAX];
	int len;
	size_t off = 0;

	if (!claim())
		return -1;
	if (!c->eom) {
		c->user = (int)(next_rand() % (unsigned long)O.users);
		c->msg++;
	}
	len = format_request(req, sizeof req, c, id);
	while (off < (size_t)len) {
		ssize_t w = write(c->fd, req + off, (size_t)len - off);
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (w < 0)
			return -1;
		off += (size_t)w;
	}
	c->t0 = t0 > 0 ? t0 : bench_now();
	c->rlen = 0;
	c->waiting = 0;
	return 0;
}

/* Reads what is there; 1 when a whole reply was handled, 0 when more is
 * to come, -1 when the server closed or failed. */
static int
on_read(struct pconn *c, struct stats *s)
{
	ssize_t r = read(c->fd, c->rbuf + c->rlen, RBUF_MAX - 1 - c->rlen);
	char *end;

	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0)
		return -1;
	c->rlen += (size_t)r;
	c->rbuf[c->rlen] = '\0';
	if ((end = strstr(c->rbuf, "\n\n")) == NULL)
		return c->rlen >= RBUF_MAX - 1 ? -1 : 0;
	bench_lat_add(&s->lat, bench_now() - c->t0);
	if (s->trace != NULL)
		fprintf(s->trace, "%.6f %.1f %d\n", c->t0 - s->tstart,
		    (bench_now() - c->t0) * 1e6, c->eom);
	classify(s, c->rbuf);
	/* After an accepted RCPT comes the message's END-OF-MESSAGE;
	 * after a refused RCPT or an EOM, the next message's RCPT. */
	if (!c->eom && strncasecmp(strstr(c->rbuf, "action=") ?
	    strstr(c->rbuf, "action=") + 7 : "", "DUNNO", 5) == 0)
		c->eom = 1;
	else
		c->eom = 0;
	return 1;
}

static struct pconn *
open_all(int n, int epfd)
{
	struct pconn *c = calloc((size_t)n, sizeof *c);
	int i;

	if (c == NULL)
		bench_die("calloc");
	for (i = 0; i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 =
		    (uint32_t)i };
		if ((c[i].fd = bench_connect(O.addr)) < 0) {
			fprintf(stderr, "policygen: %s: connection %d: %s\n",
			    O.addr, i + 1, strerror(errno));
			exit(1);
		}
		fcntl(c[i].fd, F_SETFL, O_NONBLOCK);
		if (epfd >= 0 && epoll_ctl(epfd, EPOLL_CTL_ADD, c[i].fd,
		    &ev) < 0)
			bench_die("epoll_ctl");
	}
	return c;
}

/* Paced mode: sends what is due; returns seconds until the next is due. */
static double
send_due(struct pconn *c, int *active)
{
	double t = bench_now(), next = 0, iv = O.conns / O.rate;
	int i;

	for (i = 0; i < O.conns; i++) {
		if (!c[i].waiting)
			continue;
		if (c[i].due <= t) {
			if (send_next(&c[i], i, c[i].due) < 0) {
				c[i].waiting = 0;
				(*active)--;
			}
			c[i].due += iv;
			continue;
		}
		if (next == 0 || c[i].due < next)
			next = c[i].due;
	}
	return next == 0 ? 1 : next - t;
}

/*
 * epoll_wait with a timeout in seconds, to the microsecond where the
 * kernel has epoll_pwait2 (5.11): a paced run counts latency from the
 * scheduled time, so a timeout rounded up to the next millisecond would
 * add up to a millisecond of the generator's own lateness to the figures.
 */
static int
wait_events(int epfd, struct epoll_event *evs, int max, double secs)
{
	static int have_pwait2 = 1;
	struct timespec ts;
	int n;

	if (secs < 0)
		secs = 0;
	if (have_pwait2) {
		ts.tv_sec = (time_t)secs;
		ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
		n = epoll_pwait2(epfd, evs, max, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		have_pwait2 = 0;
	}
	return epoll_wait(epfd, evs, max, (int)(secs * 1e3) + 1);
}

static void
run_load(struct pconn *c, int epfd, struct stats *s)
{
	struct epoll_event evs[256];
	int active = 0, i;
	double t0 = bench_now(), tmo = 1;

	for (i = 0; i < O.conns; i++) {
		c[i].due = t0 + (O.rate > 0 ? i / O.rate : 0);
		c[i].waiting = 1;
		active++;
		if (O.rate > 0)
			continue;
		c[i].waiting = 0;
		if (send_next(&c[i], i, 0) < 0)
			active--;
	}
	while (active > 0) {
		int n;
		if (O.rate > 0)
			tmo = send_due(c, &active);
		if (active <= 0)
			break;
		n = wait_events(epfd, evs, 256, tmo);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || (n == 0 && bench_now() - t0 > O.secs + 30)) {
			fprintf(stderr, "policygen: no reply in 30 s, %d "
			    "requests outstanding\n", active);
			break;
		}
		for (i = 0; i < n; i++) {
			int id = (int)evs[i].data.u32, r = on_read(&c[id], s);
			if (r == 0)
				continue;
			if (r < 0) {
				s->closed++;
				epoll_ctl(epfd, EPOLL_CTL_DEL, c[id].fd, NULL);
				active--;
			} else if (O.rate > 0)
				c[id].waiting = 1;
			else if (send_next(&c[id], id, 0) < 0)
				active--;
		}
	}
}

static void
report(struct stats *s, double elapsed, double cpu_ms)
{
	long n = s->lat.n;
	double p50, p99, rate = n / elapsed;

	bench_lat_sort(&s->lat);
	p50 = bench_lat_pct(&s->lat, 50) * 1e3;
	p99 = bench_lat_pct(&s->lat, 99) * 1e3;
	printf("%s: %ld requests in %.2f s over %d connections: %.0f req/s, "
	    "latency p50 %.3f ms p99 %.3f ms\n", O.label, n, elapsed,
	    O.conns, rate, p50, p99);
	printf("%s: replies DUNNO %ld OK %ld 4xx %ld 5xx %ld other %ld; "
	    "connections closed by server %ld\n", O.label, s->dunno, s->ok,
	    s->tmp, s->perm, s->other, s->closed);
	if (cpu_ms >= 0)
		printf("%s: server CPU %.0f ms = %.1f us/request\n", O.label,
		    cpu_ms, n ? cpu_ms * 1e3 / n : 0);
	if (s->dunno + s->ok < n / 2)
		printf("\n*** WARNING %s: most replies are not DUNNO/OK -- "
		    "check the server's users, plan or rules ***\n\n",
		    O.label);
	printf("RESULT label=%s conns=%d reqs=%ld secs=%.3f rate=%.1f "
	    "p50_ms=%.3f p99_ms=%.3f dunno=%ld tmp=%ld perm=%ld other=%ld "
	    "closed=%ld cpu_us_per_req=%.2f\n", O.label, O.conns, n,
	    elapsed, rate, p50, p99, s->dunno + s->ok, s->tmp, s->perm,
	    s->other, s->closed, cpu_ms >= 0 && n ? cpu_ms * 1e3 / n :
	    -1);
}

static void
run_idle(void)
{
	long before = bench_proc_rss_kb(O.pid), with;
	double t0 = bench_now();
	struct pconn *c;
	int i;

	c = open_all(O.idle, -1);
	printf("%s: %d idle connections open after %.2f s\n", O.label,
	    O.idle, bench_now() - t0);
	fflush(stdout);
	usleep((useconds_t)((O.secs > 0 ? O.secs : 2) * 1e6));
	with = bench_proc_rss_kb(O.pid);
	printf("%s: server VmRSS %ld kB before, %ld kB with %d idle "
	    "connections (%.1f kB per 1000)\n", O.label, before, with,
	    O.idle, (with - before) * 1000.0 / O.idle);
	printf("RESULT label=%s idle=%d rss_kb_before=%ld rss_kb_with=%ld\n",
	    O.label, O.idle, before, with);
	for (i = 0; i < O.idle; i++)
		close(c[i].fd);
	free(c);
}

static void
usage(void)
{
	fprintf(stderr, "usage: policygen -s inet:HOST:PORT|unix:/path "
	    "[-c conns] [-n total | -d secs] [-R rate]\n"
	    "       [-U users] [-D domain] [-p server_pid] [-l label] [-T file]\n"
	    "       policygen -s ADDR -i N [-d secs] [-p server_pid]\n"
	    "       policygen -P rcpt|eom\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct stats s = { 0 };
	struct pconn *c;
	double t0, cpu0;
	int ch, epfd;

	qsalt = (unsigned long)time(NULL) * 31 + (unsigned long)getpid();
	while ((ch = getopt(argc, argv, "c:d:D:i:l:n:p:P:R:s:T:U:")) != -1) {
		switch (ch) {
		case 'P':
			fputs(strcmp(optarg, "eom") == 0 ? pscript_eom :
			    pscript_rcpt, stdout);
			return 0;
		case 'c': O.conns = atoi(optarg); break;
		case 'd': O.secs = atof(optarg); break;
		case 'D': O.domain = optarg; break;
		case 'i': O.idle = atoi(optarg); break;
		case 'l': O.label = optarg; break;
		case 'n': O.total = atol(optarg); break;
		case 'p': O.pid = atoi(optarg); break;
		case 'R': O.rate = atof(optarg); break;
		case 's': O.addr = optarg; break;
		case 'T': O.trace = optarg; break;
		case 'U': O.users = atoi(optarg); break;
		default: usage();
		}
	}
	if (O.addr == NULL || O.conns < 1 || O.users < 1 || optind != argc)
		usage();
	raise_nofile();
	if (O.idle > 0) {
		run_idle();
		return 0;
	}
	if ((epfd = epoll_create1(0)) < 0)
		bench_die("epoll_create1");
	c = open_all(O.conns, epfd);
	cpu0 = bench_proc_cpu_ms(O.pid);
	t0 = bench_now();
	deadline = t0 + O.secs;
	s.tstart = t0;
	if (O.trace != NULL && (s.trace = fopen(O.trace, "w")) == NULL)
		bench_die(O.trace);
	run_load(c, epfd, &s);
	report(&s, bench_now() - t0, cpu0 >= 0 ?
	    bench_proc_cpu_ms(O.pid) - cpu0 : -1);
	for (ch = 0; ch < O.conns; ch++)
		close(c[ch].fd);
	close(epfd);
	free(c);
	bench_lat_clear(&s.lat);
	if (s.trace != NULL && fclose(s.trace) != 0)
		bench_die(O.trace);
	return 0;
}
