/*
 * dnsq -- lib/dns from the command line, for the tests.
 *
 * usage: dnsq [-s SERVERS] [-t MS] [-j THREADS] [-n ROUNDS] TYPE NAME...
 *   TYPE   txt, a, aaaa, mx, exists
 *   -s     dns_nameserver value ("" = resolv.conf); -t dns_timeout in ms
 *
 * Prints one line per NAME: "NAME STATUS [records | error]", records
 * separated by " | " (TXT joined, A/AAAA as addresses, MX as "PREF HOST").
 * With -j, THREADS threads each look every NAME up ROUNDS times on one
 * struct dns and compare each answer with the first single-threaded
 * pass; then "threads=N lookups=N mismatches=N ms=N" follows.  Exit 0
 * unless the resolver could not be made.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "dns.h"

#define LINE_MAX_DNSQ	4096

static struct dns	*D;
static int		 Type;
static char		**Names;
static int		 Nnames, Rounds = 1;
static char		**Want;
static int		 Mismatches;
static pthread_mutex_t	 Mu = PTHREAD_MUTEX_INITIALIZER;

static void
name_text(const unsigned char *p, size_t len, char *out, size_t outlen)
{
	size_t	 i = 0, used = 0, n;

	out[0] = '\0';
	while (i < len && (n = p[i++]) != 0 && i + n <= len &&
	    used + n + 2 < outlen) {
		memcpy(out + used, p + i, n);
		used += n;
		out[used++] = '.';
		i += n;
	}
	out[used] = '\0';
}

static void
rr_text(const struct dns_rr *rr, char *out, size_t outlen)
{
	char	 host[300];

	switch (Type) {
	case 1:
	case 28:
		if (inet_ntop(Type == 1 ? AF_INET : AF_INET6, rr->data, out,
		    (socklen_t)outlen) == NULL)
			snprintf(out, outlen, "(bad address)");
		break;
	case 15:
		name_text(rr->data + 2, rr->len - 2, host, sizeof(host));
		snprintf(out, outlen, "%u %s",
		    (unsigned)(rr->data[0] << 8 | rr->data[1]), host);
		break;
	default:
		if (dns_txt_join(rr->data, rr->len, out, outlen) < 0)
			snprintf(out, outlen, "(malformed)");
	}
}

#define MAX_RRS	16

static int
rr_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* One lookup rendered as "STATUS [records | error]", records sorted. */
static void
query(const char *name, char *out, size_t outlen)
{
	struct dns_rrset	 s;
	char			 err[256] = "", sorted[MAX_RRS][LINE_MAX_DNSQ];
	size_t			 i, n, used;
	int			 st;

	if (Type == 0)
		st = dns_exists(D, name, err, sizeof(err));
	else
		st = dns_lookup(D, name, Type, &s, err, sizeof(err));
	used = (size_t)snprintf(out, outlen, "%s", dns_status_name(st));
	if (st == DNS_ERROR)
		snprintf(out + used, outlen - used, " %s", err);
	if (st != DNS_OK || Type == 0)
		return;
	/* An RRset has no order (servers rotate it): print it sorted. */
	for (i = 0; i < s.n && i < MAX_RRS; i++)
		rr_text(&s.rr[i], sorted[i], sizeof(sorted[i]));
	qsort(sorted, i, sizeof(sorted[0]), rr_cmp);
	for (n = i, i = 0; i < n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
		    i ? " | " : " ", sorted[i]);
	dns_rrset_free(&s);
}

static void *
hammer(void *arg)
{
	char	 got[LINE_MAX_DNSQ];
	int	 r, i, bad = 0;

	(void)arg;
	for (r = 0; r < Rounds; r++)
		for (i = 0; i < Nnames; i++) {
			query(Names[i], got, sizeof(got));
			if (strcmp(got, Want[i]) != 0) {
				if (bad++ == 0)
					fprintf(stderr, "%s: got '%s' want "
					    "'%s'\n", Names[i], got, Want[i]);
			}
		}
	pthread_mutex_lock(&Mu);
	Mismatches += bad;
	pthread_mutex_unlock(&Mu);
	return NULL;
}

static int
parse_type(const char *s)
{
	if (strcasecmp(s, "txt") == 0) return 16;
	if (strcasecmp(s, "a") == 0) return 1;
	if (strcasecmp(s, "aaaa") == 0) return 28;
	if (strcasecmp(s, "mx") == 0) return 15;
	if (strcasecmp(s, "exists") == 0) return 0;
	fprintf(stderr, "dnsq: unknown type %s\n", s);
	exit(2);
}

static void
run_threads(int nthreads)
{
	pthread_t	*t = calloc((size_t)nthreads, sizeof(*t));
	struct timespec	 a, b;
	int		 i;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (i = 0; i < nthreads; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("threads=%d lookups=%d mismatches=%d ms=%ld\n", nthreads,
	    nthreads * Rounds * Nnames, Mismatches,
	    (long)(b.tv_sec - a.tv_sec) * 1000 +
	    (b.tv_nsec - a.tv_nsec) / 1000000);
	free(t);
}

int
main(int argc, char **argv)
{
	const char	*servers = "";
	char		 err[512];
	long		 timeout = 5000;
	int		 ch, i, nthreads = 0;

	while ((ch = getopt(argc, argv, "s:t:j:n:")) != -1) {
		switch (ch) {
		case 's': servers = optarg; break;
		case 't': timeout = atol(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'n': Rounds = atoi(optarg); break;
		default: exit(2);
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: dnsq [-s SERVERS] [-t MS] [-j N] "
		    "[-n ROUNDS] TYPE NAME...\n");
		exit(2);
	}
	Type = parse_type(argv[optind]);
	Names = argv + optind + 1;
	Nnames = argc - optind - 1;
	if ((D = dns_open(servers, timeout, err, sizeof(err))) == NULL) {
		fprintf(stderr, "dnsq: %s\n", err);
		exit(1);
	}
	Want = calloc((size_t)Nnames, sizeof(*Want));
	for (i = 0; i < Nnames; i++) {
		Want[i] = malloc(LINE_MAX_DNSQ);
		query(Names[i], Want[i], LINE_MAX_DNSQ);
		printf("%s %s\n", Names[i], Want[i]);
	}
	if (nthreads > 0)
		run_threads(nthreads);
	for (i = 0; i < Nnames; i++)
		free(Want[i]);
	free(Want);
	D = dns_free(D);
	return 0;
}
