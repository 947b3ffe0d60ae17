/*
 * miltergen -- milter protocol (v6) load generator, playing the MTA side.
 *
 * Drives any milter (outpost-milter, OpenDKIM, ...) the way Postfix does:
 * OPTNEG, then per message CONNECT (with macros j, {daemon_name},
 * {client_addr} ...), HELO, MAIL with {auth_type}/{auth_authen} (so the
 * milter treats the mail as outbound), RCPT, DATA, one HEADER per header,
 * EOH, BODY chunks of at most 65535 bytes, EOM; it honours the NO* and NR*
 * steps the milter negotiated, and counts what comes back at end of message
 * (DKIM-Signature and Authentication-Results insertions,
 * continue/accept/reject/tempfail).
 *
 *   miltergen -s unix:/path|inet:HOST:PORT [-c CONC] [-n TOTAL | -d SECS]
 *             [-k MSGS_PER_CONN] [-r] [-f MESSAGE] [-p MILTER_PID]
 *             [-e EXPECTED_SIGS] [-A EXPECTED_ARS] [-u SASL_USER]
 *             [-a CLIENT_IP] [-H HELO] [-F MAIL_FROM]
 *             [-w FIRST_SIGNED_OUT] [-l LABEL]
 *
 * Inbound mail (what a verifier sees): -u '' sends no SASL macros, -a the
 * client address (IPv4, or IPv6 with a colon; {daemon_name} becomes
 * "MTA" instead of "ORIGINATING"), -H the HELO name, -F the envelope
 * sender (also {mail_addr}), -e 0 expects no signature and -A N expects N
 * Authentication-Results headers per message.
 *
 * Prints messages/second, latency p50/p99, signatures and A-R headers per
 * message, the milter's CPU (utime+stime of /proc/PID/stat) per message,
 * and one machine-readable "RESULT key=value ..." line for bench/run.
 * Exit 0 on a completed run, 1 on an error, 3 when signatures/message !=
 * -e EXPECTED or A-R headers/message != -A EXPECTED.
 * This is a benchmark: it asserts nothing else.
 *
 * This file holds the MTA's script (what each step says) and the timed
 * run; packets and replies are in milterwire.c, the message in mailmsg.c,
 * clock, connecting and /proc figures in benchutil.c.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "benchutil.h"
#include "mailmsg.h"
#include "milterwire.h"

struct opts {
	const char	*sock, *file, *user, *wout, *label;
	const char	*client, *helo, *from;
	int		 conc, per_conn, rset, expect, expect_ars;
	long		 total;
	double		 secs;
	int		 pid;
};

struct worker {
	pthread_t	 tid;
	int		 id;
	struct bench_lat lat;	/* seconds per message */
	long		 sigs, ars, mods, cont, acc, rej, tmp, other, errors;
};

static struct opts	 O = { .conc = 1, .per_conn = 1, .expect = -1,
			       .expect_ars = -1, .total = 1000,
			       .user = "bench@example.com",
			       .client = "127.0.0.1",
			       .helo = "client.bench.example",
			       .from = "bench@example.com", .label = "milter" };
static struct mailmsg	 M;
static atomic_long	 next_msg;
static double		 deadline;

/* ---- one milter connection ------------------------------------------- */

/* Connects and negotiates; 0 or -1. */
static int
conn_open(struct mw_conn *c)
{
	struct timeval tv = { 60, 0 };

	if ((c->fd = bench_connect(O.sock)) < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (mw_negotiate(c) < 0) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* CONNECT: host name, family ('4' or '6'), port 40000, the address. */
static int
send_connect(struct mw_conn *c)
{
	static char data[128], under[96];
	static size_t len;
	const char *inbound = strcmp(O.client, "127.0.0.1") != 0 ? "MTA" :
	    "ORIGINATING";
	const char *mac[] = { "j", "mx.bench.example", "{daemon_name}",
	    inbound, "{daemon_addr}", "127.0.0.1", "v", "Postfix 3.7",
	    "_", under, "{client_addr}", O.client,
	    "{client_name}", "unknown", NULL };

	if (len == 0) {		/* built by check_first, before threads */
		len = (size_t)snprintf(data, sizeof data, "unknown%c%c%c%c%s",
		    0, strchr(O.client, ':') ? '6' : '4', 0x9c, 0x40,
		    O.client) + 1;
		snprintf(under, sizeof under, "unknown [%s]", O.client);
	}
	if (mw_send_macros(c->fd, MW_C_CONNECT, mac) < 0)
		return -1;
	return mw_step(c, MW_C_CONNECT, data, len, MW_P_NOCONNECT,
	    MW_P_NR_CONN);
}

/* Envelope: HELO (first message only), MAIL, RCPT, DATA. */
static int
send_envelope(struct mw_conn *c, const char *qid, int first)
{
	const char *mmac[] = { "i", qid, "{mail_addr}", O.from,
	    "{auth_type}", "PLAIN", "{auth_authen}", O.user, NULL };
	const char *rmac[] = { "i", qid, "{rcpt_addr}", "rcpt@example.org",
	    NULL };
	const char *imac[] = { "i", qid, NULL };
	static const char rcpt[] = "<rcpt@example.org>";
	char from[512];
	int r;

	if (*O.user == '\0')
		mmac[4] = NULL;
	snprintf(from, sizeof from, "<%s>", O.from);
	if (first && (r = mw_step(c, MW_C_HELO, O.helo, strlen(O.helo) + 1,
	    MW_P_NOHELO, MW_P_NR_HELO)) != MW_R_CONTINUE)
		return r;
	if (mw_send_macros(c->fd, MW_C_MAIL, mmac) < 0 ||
	    (r = mw_step(c, MW_C_MAIL, from, strlen(from) + 1, MW_P_NOMAIL,
	    MW_P_NR_MAIL)) != MW_R_CONTINUE)
		return r;
	if (mw_send_macros(c->fd, MW_C_RCPT, rmac) < 0 ||
	    (r = mw_step(c, MW_C_RCPT, rcpt, sizeof rcpt, MW_P_NORCPT,
	    MW_P_NR_RCPT)) != MW_R_CONTINUE)
		return r;
	if (mw_send_macros(c->fd, MW_C_DATA, imac) < 0)
		return -1;
	return mw_step(c, MW_C_DATA, NULL, 0, MW_P_NODATA, MW_P_NR_DATA);
}

/* Headers, EOH, body chunks, EOM. */
static int
send_content(struct mw_conn *c, const char *qid, struct mw_eom *e)
{
	const char *imac[] = { "i", qid, NULL };
	char buf[8192];
	size_t off;
	int i, r;

	for (i = 0; i < M.nhdrs; i++) {
		const char *v = M.hdrs[i].value;
		size_t nl = strlen(M.hdrs[i].name) + 1, vl;
		if (!(c->steps & MW_P_LEADSPC))
			while (*v == ' ' || *v == '\t')
				v++;
		vl = strlen(v) + 1;
		if (nl + vl > sizeof buf)
			vl = sizeof buf - nl;
		memcpy(buf, M.hdrs[i].name, nl);
		memcpy(buf + nl, v, vl);
		buf[nl + vl - 1] = '\0';
		if ((r = mw_step(c, MW_C_HEADER, buf, nl + vl, MW_P_NOHDRS,
		    MW_P_NR_HDR)) != MW_R_CONTINUE)
			return r;
	}
	if (mw_send_macros(c->fd, MW_C_EOH, imac) < 0 ||
	    (r = mw_step(c, MW_C_EOH, NULL, 0, MW_P_NOEOH, MW_P_NR_EOH)) !=
	    MW_R_CONTINUE)
		return r;
	for (off = 0; off < M.bodylen; off += MW_CHUNK_MAX) {
		size_t n = M.bodylen - off < MW_CHUNK_MAX ? M.bodylen - off :
		    MW_CHUNK_MAX;
		r = mw_step(c, MW_C_BODY, M.body + off, n, MW_P_NOBODY,
		    MW_P_NR_BODY);
		if (r == MW_R_SKIP)
			break;
		if (r != MW_R_CONTINUE)
			return r;
	}
	if (mw_send_macros(c->fd, MW_C_EOB, imac) < 0 ||
	    mw_send(c->fd, MW_C_EOB, NULL, 0) < 0)
		return -1;
	return mw_read_reply(c, e);
}

/* One message on connection c (opened here when closed).  Returns the
 * final reply (MW_R_CONTINUE/MW_R_ACCEPT = delivered) or -1 on I/O error. */
static int
run_message(struct mw_conn *c, long seq, int *on_conn, struct mw_eom *e)
{
	char qid[24];
	int r, first = 0;

	snprintf(qid, sizeof qid, "B%09lX", seq);
	if (c->fd < 0) {
		if (conn_open(c) < 0)
			return -1;
		if ((r = send_connect(c)) != MW_R_CONTINUE) {
			mw_quit(c);
			return r;
		}
		first = 1;
		*on_conn = 0;
	} else if (O.rset && mw_send(c->fd, MW_C_ABORT, NULL, 0) < 0)
		return -1;
	r = send_envelope(c, qid, first);
	if (r == MW_R_CONTINUE)
		r = send_content(c, qid, e);
	else if (r >= 0 && mw_send(c->fd, MW_C_ABORT, NULL, 0) < 0)
		r = -1;
	if (r < 0 || ++*on_conn >= O.per_conn)
		mw_quit(c);
	return r;
}

/* ---- workers and figures --------------------------------------------- */

static int
claim(long *seq)
{
	if (O.secs > 0) {
		*seq = atomic_fetch_add(&next_msg, 1);
		return bench_now() < deadline;
	}
	*seq = atomic_fetch_add(&next_msg, 1);
	return *seq < O.total;
}

static void
count(struct worker *w, int r, const struct mw_eom *e)
{
	switch (r) {
	case MW_R_CONTINUE: w->cont++; break;
	case MW_R_ACCEPT: w->acc++; break;
	case MW_R_REJECT: w->rej++; break;
	case MW_R_TEMPFAIL: w->tmp++; break;
	case -1: w->errors++; break;
	default: w->other++; break;
	}
	w->sigs += e->sigs;
	w->ars += e->ars;
	w->mods += e->mods;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	struct mw_conn c = { .fd = -1 };
	int on_conn = 0;
	long seq;

	while (claim(&seq)) {
		struct mw_eom e = { 0 };
		double t0 = bench_now();
		int r = run_message(&c, seq + 1, &on_conn, &e);
		count(w, r, &e);
		if (r < 0 && w->errors > 100)
			break;
		bench_lat_add(&w->lat, bench_now() - t0);
	}
	mw_quit(&c);
	mw_conn_clear(&c);
	return NULL;
}

/* Writes the first message with the headers the milter added on top:
 * its A-R headers above its signatures, as an MTA would store it. */
static int
write_first(const struct mw_eom *e)
{
	char *h[MW_EOM_SIGS + MW_EOM_ARS];
	int n = 0, i;

	for (i = 0; i < e->sigs && i < MW_EOM_SIGS; i++)
		h[n++] = e->sighdr[i];
	for (i = 0; i < e->ars && i < MW_EOM_ARS; i++)
		h[n++] = e->arhdr[i];
	return mailmsg_write_signed(&M, O.wout, h, n);
}

/* Sends one message before the timed run, shows what the milter added. */
static int
check_first(void)
{
	struct mw_conn c = { .fd = -1 };
	struct mw_eom e = { .keep = 1 };
	int on_conn = 0, r, i;
	double t0 = bench_now();

	r = run_message(&c, 0, &on_conn, &e);
	t0 = bench_now() - t0;
	mw_quit(&c);
	mw_conn_clear(&c);
	if (r < 0) {
		fprintf(stderr, "miltergen: %s: first message failed "
		    "(connect/protocol error)\n", O.sock);
		return -1;
	}
	printf("# first message: reply '%c' in %.3f ms, %d DKIM-Signature "
	    "header(s), %d Authentication-Results header(s), %d other "
	    "modification(s)\n", r, t0 * 1e3, e.sigs, e.ars, e.mods);
	printf("# milter negotiated steps 0x%x: no reply to header %s, "
	    "body %s; skips body %s; leading space %s\n", c.steps,
	    c.steps & MW_P_NR_HDR ? "yes" : "no",
	    c.steps & MW_P_NR_BODY ? "yes" : "no",
	    c.steps & MW_P_NOBODY ? "yes" : "no",
	    c.steps & MW_P_LEADSPC ? "yes" : "no");
	for (i = 0; i < e.sigs && i < MW_EOM_SIGS; i++) {
		const char *a = e.sighdr[i] ? strstr(e.sighdr[i], "a=") : NULL;
		printf("#   signature %d: %.*s\n", i + 1, a ? (int)strcspn(a,
		    ";") : 1, a ? a : "?");
	}
	for (i = 0; i < e.ars && i < MW_EOM_ARS; i++)
		printf("#   %s\n", e.arhdr[i] ? e.arhdr[i] : "?");
	if (O.wout && write_first(&e) < 0)
		bench_die(O.wout);
	mw_eom_clear(&e);
	if (O.expect >= 0 && e.sigs != O.expect)
		printf("# WARNING: first message got %d signature(s), "
		    "expected %d\n", e.sigs, O.expect);
	if (O.expect_ars >= 0 && e.ars != O.expect_ars)
		printf("# WARNING: first message got %d Authentication-Results "
		    "header(s), expected %d\n", e.ars, O.expect_ars);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: miltergen -s unix:/path|inet:HOST:PORT "
	    "[-c conc] [-n total | -d secs]\n"
	    "       [-k msgs_per_conn] [-r] [-f message] [-p milter_pid] "
	    "[-e expected_sigs]\n"
	    "       [-A expected_ars] [-u sasl_user] [-a client_ip] "
	    "[-H helo] [-F mail_from]\n"
	    "       [-w first_signed_out] [-l label]\n");
	exit(2);
}

static void
parse_args(int argc, char **argv)
{
	int ch;

	while ((ch = getopt(argc, argv, "A:a:c:d:e:F:f:H:k:l:n:p:rs:u:w:")) != -1) {
		switch (ch) {
		case 'A': O.expect_ars = atoi(optarg); break;
		case 'a': O.client = optarg; break;
		case 'F': O.from = optarg; break;
		case 'H': O.helo = optarg; break;
		case 'c': O.conc = atoi(optarg); break;
		case 'd': O.secs = atof(optarg); break;
		case 'e': O.expect = atoi(optarg); break;
		case 'f': O.file = optarg; break;
		case 'k': O.per_conn = atoi(optarg); break;
		case 'l': O.label = optarg; break;
		case 'n': O.total = atol(optarg); break;
		case 'p': O.pid = atoi(optarg); break;
		case 'r': O.rset = 1; break;
		case 's': O.sock = optarg; break;
		case 'u': O.user = optarg; break;
		case 'w': O.wout = optarg; break;
		default: usage();
		}
	}
	if (O.sock == NULL || O.conc < 1 || O.conc > 4096 ||
	    O.per_conn < 1 || O.total < 1 || optind != argc ||
	    strlen(O.client) > 64 || strlen(O.from) > 500)
		usage();
}

/* Merges the workers' figures into w[0] and their latencies into *all,
 * sorted. */
static void
merge(struct worker *w, struct bench_lat *all)
{
	int i;

	for (i = 0; i < O.conc; i++) {
		bench_lat_append(all, &w[i].lat);
		if (i == 0)
			continue;
		w[0].sigs += w[i].sigs; w[0].mods += w[i].mods;
		w[0].ars += w[i].ars;
		w[0].cont += w[i].cont; w[0].acc += w[i].acc;
		w[0].rej += w[i].rej; w[0].tmp += w[i].tmp;
		w[0].other += w[i].other; w[0].errors += w[i].errors;
	}
	bench_lat_sort(all);
}

static int
report(struct worker *w, double elapsed, double cpu_ms, double self_ms)
{
	struct bench_lat lat = { 0 };
	long n, done;
	double p50, p99, spm, apm, rate;
	int bad, bad_ars;

	merge(w, &lat);
	n = lat.n;
	p50 = bench_lat_pct(&lat, 50) * 1e3;
	p99 = bench_lat_pct(&lat, 99) * 1e3;
	done = w->cont + w->acc;
	spm = n ? (double)w->sigs / n : 0;
	apm = n ? (double)w->ars / n : 0;
	rate = n / elapsed;
	bad = O.expect >= 0 && (n == 0 || w->sigs != (long)O.expect * n);
	bad_ars = O.expect_ars >= 0 &&
	    (n == 0 || w->ars != (long)O.expect_ars * n);
	printf("%s: %ld messages in %.2f s, %d conn, %d msg/conn: "
	    "%.0f msg/s, latency p50 %.3f ms p99 %.3f ms\n", O.label, n,
	    elapsed, O.conc, O.per_conn, rate, p50, p99);
	printf("%s: replies continue %ld accept %ld reject %ld tempfail %ld "
	    "other %ld errors %ld; signatures %ld (%.2f/msg), A-R %ld "
	    "(%.2f/msg), other mods %ld\n", O.label, w->cont, w->acc, w->rej,
	    w->tmp, w->other, w->errors, w->sigs, spm, w->ars, apm, w->mods);
	if (cpu_ms >= 0)
		printf("%s: milter CPU %.0f ms = %.3f ms/msg; generator CPU "
		    "%.3f ms/msg\n", O.label, cpu_ms, n ? cpu_ms / n : 0,
		    n ? self_ms / n : 0);
	if (bad)
		printf("\n*** WARNING %s: %.2f signatures per message, expected "
		    "%d -- the milter is not signing as configured ***\n\n",
		    O.label, spm, O.expect);
	if (bad_ars)
		printf("\n*** WARNING %s: %.2f Authentication-Results headers "
		    "per message, expected %d -- the milter is not verifying "
		    "as configured ***\n\n", O.label, apm, O.expect_ars);
	printf("RESULT label=%s conc=%d per_conn=%d msgs=%ld ok=%ld "
	    "errors=%ld secs=%.3f rate=%.1f p50_ms=%.3f p99_ms=%.3f "
	    "sigs_per_msg=%.3f ars_per_msg=%.3f cpu_ms_per_msg=%.4f\n",
	    O.label, O.conc, O.per_conn, n, done,
	    w->errors + w->rej + w->tmp + w->other, elapsed, rate, p50, p99,
	    spm, apm, cpu_ms >= 0 && n ? cpu_ms / n : -1);
	bench_lat_clear(&lat);
	return bad || bad_ars ? 3 : 0;
}

int
main(int argc, char **argv)
{
	struct worker *w;
	char err[PATH_MAX + 64];
	double t0, elapsed, cpu0, cpu1, self0;
	int i, rc;

	parse_args(argc, argv);
	if (O.file && mailmsg_load(&M, O.file, err, sizeof err) < 0) {
		fprintf(stderr, "miltergen: %s\n", err);
		return 1;
	}
	if (O.file == NULL)
		mailmsg_default(&M);
	if (check_first() < 0)
		return 1;
	if ((w = calloc((size_t)O.conc, sizeof *w)) == NULL)
		bench_die("calloc");
	cpu0 = bench_proc_cpu_ms(O.pid);
	self0 = bench_self_cpu_ms();
	t0 = bench_now();
	deadline = t0 + O.secs;
	for (i = 0; i < O.conc; i++) {
		w[i].id = i;
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0)
			bench_die("pthread_create");
	}
	for (i = 0; i < O.conc; i++)
		pthread_join(w[i].tid, NULL);
	elapsed = bench_now() - t0;
	cpu1 = bench_proc_cpu_ms(O.pid);
	rc = report(w, elapsed, cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1,
	    bench_self_cpu_ms() - self0);
	for (i = 0; i < O.conc; i++)
		bench_lat_clear(&w[i].lat);
	free(w);
	mailmsg_clear(&M);
	return rc;
}
