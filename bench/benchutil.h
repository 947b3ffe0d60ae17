/*
 * benchutil -- helpers the load generators share: clock, fatal errors,
 * latency samples, connecting to a server, a process's CPU and memory.
 *
 *   bench_now()          monotonic clock, seconds.
 *   bench_die(what)      prints "PROG: what: strerror(errno)", exits 1.
 *   bench_realloc(p, n)  realloc that dies on failure ("realloc").
 *   bench_lat_add(l, s)  appends a sample (seconds); the array grows.
 *   bench_lat_append(d, s) appends all of s's samples to d.
 *   bench_lat_sort(l)    sorts the samples ascending.
 *   bench_lat_pct(l, p)  the p-th percentile of sorted samples: element
 *                        n*p/100, 0 when there are none.
 *   bench_lat_clear(l)   frees the samples, leaves an empty record.
 *   bench_connect(spec)  connects a stream socket to "unix:/path" or
 *                        "inet:HOST:PORT" (HOST may be "[v6]"; TCP_NODELAY
 *                        set); returns the descriptor, or -1 (errno
 *                        set when a system call failed).
 *   bench_proc_cpu_ms(pid)  utime+stime of process pid in ms, or -1
 *                        (pid <= 0, no such process).
 *   bench_proc_rss_kb(pid)  VmRSS of process pid in kB, or -1.
 *   bench_self_cpu_ms()  this process's user+system CPU in ms.
 *
 * The caller owns struct bench_lat and frees it with bench_lat_clear.
 */
#ifndef OUTPOST_BENCHUTIL_H
#define OUTPOST_BENCHUTIL_H

#include <stddef.h>

struct bench_lat {
	double	*v;		/* samples, seconds */
	long	 n, cap;
};

double	 bench_now(void);
void	 bench_die(const char *what) __attribute__((noreturn));
void	*bench_realloc(void *p, size_t n);

void	 bench_lat_add(struct bench_lat *l, double secs);
void	 bench_lat_append(struct bench_lat *, const struct bench_lat *);
void	 bench_lat_sort(struct bench_lat *l);
double	 bench_lat_pct(const struct bench_lat *l, int pct);
void	 bench_lat_clear(struct bench_lat *l);

int	 bench_connect(const char *spec);

double	 bench_proc_cpu_ms(int pid);
long	 bench_proc_rss_kb(int pid);
double	 bench_self_cpu_ms(void);

#endif
