/*
 * prom -- a small metrics registry and the Prometheus text exposition
 * format, version 0.0.4 (what GET /metrics answers; lib/promhttp.h
 * serves it).
 *
 * A registry owns metric families; each family has a fixed, small label
 * set declared at registration: at most two label names, each with the
 * list of its values (NULL-terminated, at most PROM_MAXVALUES).  Every
 * combination is a series allocated at registration, so an increment
 * never allocates and a label can never carry a value nobody declared
 * (no user names or addresses: bounded cardinality).  Names follow the
 * format's rules, checked at registration: [a-zA-Z_:][a-zA-Z0-9_:]*;
 * counters end in "_total", gauges and histograms do not; label names
 * [a-zA-Z_][a-zA-Z0-9_]*, not "__..." and not "le" on a histogram.
 * Values are in base units (seconds, bytes).
 *
 * Registration happens before any thread or scrape starts (not locked);
 * after it, increments and rendering may run in any threads at once:
 * values are C11 atomics (relaxed), so the milter's threads count
 * without a lock and the policy path pays one atomic add.
 *
 *   prom_new()                           an empty registry; NULL: no memory
 *   prom_free(reg)                       NULL-safe, returns NULL; every
 *                                        metric of reg goes with it
 *   prom_counter(reg, name, help, l1, v1, l2, v2, err, errlen)
 *   prom_gauge(reg, name, help, l1, v1, l2, v2, err, errlen)
 *       a family with labels l1 (values v1) and l2 (values v2); pass
 *       NULL, NULL for a label not used (l2 only with l1).  Returns the
 *       metric (owned by reg), or NULL with err set.
 *   prom_histogram(reg, name, help, bounds, nbounds, err, errlen)
 *       a histogram without labels; bounds strictly increasing, finite
 *       (the +Inf bucket is implicit); at most PROM_MAXBUCKETS.
 *   prom_process(reg, version)
 *       adds process_cpu_seconds_total, process_resident_memory_bytes,
 *       process_open_fds, process_start_time_seconds (read from /proc at
 *       each render) and outpost_build_info{version} 1.  0 / -1
 *   prom_add(m, a, b, n) / prom_inc(m, a, b)
 *       counter (or gauge) of the series whose label values are a and b
 *       (NULL for an unused label) goes up by n / 1.  0, or -1 when a
 *       value was not declared (nothing counted) or m is NULL.
 *   prom_set(m, a, b, v)                 gauge := v (0 / -1 as above)
 *   prom_observe(m, seconds)             one histogram observation;
 *                                        negative counts as 0
 *   prom_get(m, a, b)                    the series' value (tests)
 *   prom_render(reg, &len)
 *       the exposition text: for each family "# HELP" (backslash and
 *       newline escaped), "# TYPE", then its samples, label values
 *       escaped (backslash, double quote, newline); a histogram's
 *       cumulative _bucket{le="..."} lines, le="+Inf", _sum, _count.
 *       A NUL-terminated malloc'd string (free it), NULL: no memory.
 */
#ifndef OUTPOST_PROM_H
#define OUTPOST_PROM_H

#include <stddef.h>
#include <stdint.h>

#define PROM_MAXVALUES	16
#define PROM_MAXBUCKETS	32
#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct prom;
struct prom_metric;

struct prom		*prom_new(void);
struct prom		*prom_free(struct prom *);
struct prom_metric	*prom_counter(struct prom *, const char *,
			    const char *, const char *, const char *const *,
			    const char *, const char *const *, char *, size_t);
struct prom_metric	*prom_gauge(struct prom *, const char *,
			    const char *, const char *, const char *const *,
			    const char *, const char *const *, char *, size_t);
struct prom_metric	*prom_histogram(struct prom *, const char *,
			    const char *, const double *, size_t, char *,
			    size_t);
int			 prom_process(struct prom *, const char *);

int	 prom_add(struct prom_metric *, const char *, const char *, uint64_t);
int	 prom_inc(struct prom_metric *, const char *, const char *);
int	 prom_set(struct prom_metric *, const char *, const char *, int64_t);
void	 prom_observe(struct prom_metric *, double);
int64_t	 prom_get(const struct prom_metric *, const char *, const char *);
char	*prom_render(struct prom *, size_t *);

#endif
