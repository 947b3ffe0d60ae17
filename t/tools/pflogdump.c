/*
 * pflogdump -- lib/pflog from the command line: the golden files of
 * t/unit/pflog and a quick look at a real mail log.
 *
 * usage: pflogdump [-y YEAR] [-z TZOFF] [-b ROUNDS] [FILE]
 *   Prints pflog_print's line for every line of FILE (or stdin); YEAR
 *   (default 2026) and TZOFF (seconds east of UTC, default 0) are given
 *   to pflog_parse for classic syslog stamps.  With -b, prints nothing
 *   per line but parses the whole input ROUNDS times and reports
 *   "lines=N ns_per_line=X lines_per_s=Y" (CPU time of the process, so
 *   that a busy machine does not inflate it) and the count of each kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pflog.h"

static char *
slurp(FILE *fp, size_t *len)
{
	char	*buf = NULL;
	size_t	 cap = 0, n = 0, r;

	for (;;) {
		if (n + 65536 > cap) {
			cap = cap * 2 + 65536;
			if ((buf = realloc(buf, cap)) == NULL)
				return NULL;
		}
		if ((r = fread(buf + n, 1, cap - n, fp)) == 0)
			break;
		n += r;
	}
	*len = n;
	return buf;
}

static void
bench(const char *buf, size_t len, int year, long tz, long rounds)
{
	static struct pflog_rec	 rec;
	long			 kinds[PFLOG_OTHER + 1] = { 0 }, lines = 0, i;
	const char		*p, *end = buf + len, *nl;
	struct timespec		 a, b;
	double			 ns;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	for (i = 0; i < rounds; i++)
		for (p = buf; p < end; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
				nl = end;
			kinds[pflog_parse(&rec, p, (size_t)(nl - p), year, tz)]++;
			lines++;
		}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	printf("lines=%ld ns_per_line=%.0f lines_per_s=%.0f\n", lines,
	    ns / (double)lines, (double)lines * 1e9 / ns);
	for (i = 0; i <= PFLOG_OTHER; i++)
		if (kinds[i] > 0)
			printf("%s=%ld\n", pflog_kind_name((enum pflog_kind)i),
			    kinds[i]);
}

int
main(int argc, char **argv)
{
	static struct pflog_rec	 rec;
	FILE			*fp = stdin;
	const char		*p, *end, *nl;
	char			*buf;
	size_t			 len;
	long			 tz = 0, rounds = 0;
	int			 c, year = 2026;

	while ((c = getopt(argc, argv, "b:y:z:")) != -1) {
		switch (c) {
		case 'b': rounds = atol(optarg); break;
		case 'y': year = atoi(optarg); break;
		case 'z': tz = atol(optarg); break;
		default:
			fprintf(stderr, "usage: pflogdump [-y YEAR] [-z TZOFF] "
			    "[-b ROUNDS] [FILE]\n");
			return 2;
		}
	}
	if (optind < argc && (fp = fopen(argv[optind], "r")) == NULL) {
		perror(argv[optind]);
		return 1;
	}
	if ((buf = slurp(fp, &len)) == NULL)
		return 1;
	if (rounds > 0) {
		bench(buf, len, year, tz, rounds);
		return 0;
	}
	for (p = buf, end = buf + len; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		pflog_parse(&rec, p, (size_t)(nl - p), year, tz);
		pflog_print(&rec, stdout);
	}
	free(buf);
	return 0;
}
