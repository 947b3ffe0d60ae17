/*
 * prom_proc -- the text buffer of the exposition (see prom_int.h) and
 * the process metrics, read from /proc at each render: CPU time
 * (utime + stime of /proc/self/stat), resident set (/proc/self/statm),
 * open descriptors (entries of /proc/self/fd), start time (starttime of
 * /proc/self/stat after btime of /proc/stat).  A figure that cannot be
 * read is left out, never invented.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prom_int.h"

static int
grow(struct pbuf *b, size_t n)
{
	char	*s;
	size_t	 cap;

	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	for (cap = b->cap ? b->cap : 4096; cap < b->len + n + 1; cap *= 2)
		;
	if ((s = realloc(b->s, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->s = s;
	b->cap = cap;
	return 0;
}

static void
put(struct pbuf *b, const char *s, size_t n)
{
	if (grow(b, n) < 0)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
pbuf_puts(struct pbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

void
pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 tmp[512];
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->oom = 1;	/* our formats are short: a bug, not data */
		return;
	}
	put(b, tmp, (size_t)n);
}

/* Escape backslash and newline, and the double quote when quote. */
static void
escaped(struct pbuf *b, const char *s, int quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			put(b, "\\\\", 2);
		else if (*s == '\n')
			put(b, "\\n", 2);
		else if (quote && *s == '"')
			put(b, "\\\"", 2);
		else
			put(b, s, 1);
	}
}

void
pbuf_label(struct pbuf *b, const char *name, const char *value)
{
	pbuf_puts(b, name);
	put(b, "=\"", 2);
	escaped(b, value, 1);
	put(b, "\"", 1);
}

void
pbuf_head(struct pbuf *b, const char *name, const char *help,
    const char *type)
{
	pbuf_printf(b, "# HELP %s ", name);
	escaped(b, help, 0);
	pbuf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* Fields 14 (utime), 15 (stime), 22 (starttime) of /proc/self/stat. */
static int
self_stat(double *cpu, double *start)
{
	FILE			*fp;
	char			 buf[1024], *p;
	unsigned long long	 ut, st, t0;
	long			 hz = sysconf(_SC_CLK_TCK);
	double			 btime = -1;

	if ((fp = fopen("/proc/self/stat", "r")) == NULL)
		return -1;
	p = fgets(buf, sizeof(buf), fp);
	fclose(fp);
	/* after the command name, which may hold spaces and parentheses */
	if (p == NULL || hz <= 0 || (p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu %*d %*d %*d %*d %*d %*d %llu", &ut, &st, &t0) != 3)
		return -1;
	*cpu = (double)(ut + st) / (double)hz;
	if ((fp = fopen("/proc/stat", "r")) == NULL)
		return -1;
	while (fgets(buf, sizeof(buf), fp) != NULL)
		if (strncmp(buf, "btime ", 6) == 0)
			btime = strtod(buf + 6, NULL);
	fclose(fp);
	if (btime < 0)
		return -1;
	*start = btime + (double)t0 / (double)hz;
	return 0;
}

static long
open_fds(void)
{
	DIR		*d;
	struct dirent	*e;
	long		 n = 0;

	if ((d = opendir("/proc/self/fd")) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;		/* the directory's own descriptor */
}

static long long
rss_bytes(void)
{
	FILE		*fp;
	long long	 size, rss;
	int		 n;

	if ((fp = fopen("/proc/self/statm", "r")) == NULL)
		return -1;
	n = fscanf(fp, "%lld %lld", &size, &rss);
	fclose(fp);
	return n == 2 ? rss * sysconf(_SC_PAGESIZE) : -1;
}

void
prom_proc_render(struct pbuf *b, const char *version)
{
	double		 cpu, start;
	long		 fds;
	long long	 rss;

	if (self_stat(&cpu, &start) == 0) {
		pbuf_head(b, "process_cpu_seconds_total",
		    "User and system CPU time spent in seconds.", "counter");
		pbuf_printf(b, "process_cpu_seconds_total %.2f\n", cpu);
		pbuf_head(b, "process_start_time_seconds", "Start time of the "
		    "process since unix epoch in seconds.", "gauge");
		pbuf_printf(b, "process_start_time_seconds %.2f\n", start);
	}
	if ((rss = rss_bytes()) >= 0) {
		pbuf_head(b, "process_resident_memory_bytes",
		    "Resident memory size in bytes.", "gauge");
		pbuf_printf(b, "process_resident_memory_bytes %lld\n", rss);
	}
	if ((fds = open_fds()) >= 0) {
		pbuf_head(b, "process_open_fds", "Number of open file "
		    "descriptors.", "gauge");
		pbuf_printf(b, "process_open_fds %ld\n", fds);
	}
	pbuf_head(b, "outpost_build_info", "The version of outpost this "
	    "program was built from (always 1).", "gauge");
	pbuf_puts(b, "outpost_build_info{");
	pbuf_label(b, "version", version);
	pbuf_puts(b, "} 1\n");
}
