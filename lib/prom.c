/*
 * prom -- metrics registry and text exposition; see prom.h.  The process
 * metrics read from /proc are in prom_proc.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errf.h"
#include "prom.h"
#include "prom_int.h"

struct prom_metric {
	struct prom_metric	*next;
	enum prom_kind		 kind;
	char			*name, *help;
	char			*lname[2];		/* NULL: unused */
	const char *const	*lval[2];
	size_t			 nval[2];
	size_t			 nseries;
	_Atomic int64_t		*v;		/* nseries values; histogram:
						   nbounds + 1 bucket counts */
	double			 bounds[PROM_MAXBUCKETS];
	size_t			 nbounds;
	_Atomic uint64_t	 sum_ns;	/* histogram */
};

struct prom {
	struct prom_metric	*head, **tail;
	int			 process;
	char			*version;
};

struct prom *
prom_new(void)
{
	struct prom	*reg;

	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return NULL;
	reg->tail = &reg->head;
	return reg;
}

static void
metric_free(struct prom_metric *m)
{
	free(m->name);
	free(m->help);
	free(m->lname[0]);
	free(m->lname[1]);
	free(m->v);
	free(m);
}

struct prom *
prom_free(struct prom *reg)
{
	struct prom_metric	*m, *next;

	if (reg == NULL)
		return NULL;
	for (m = reg->head; m != NULL; m = next) {
		next = m->next;
		metric_free(m);
	}
	free(reg->version);
	free(reg);
	return NULL;
}

/* ---- names ------------------------------------------------------------ */

static int
name_ok(const char *s, int colon)
{
	const char	*p;

	if (s == NULL || *s == '\0' || (*s >= '0' && *s <= '9'))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' ||
		    (colon && *p == ':')))
			return 0;
	return 1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t	 n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int
check_name(struct prom *reg, enum prom_kind kind, const char *name,
    char *err, size_t errlen)
{
	struct prom_metric	*m;

	if (!name_ok(name, 1))
		return errf(err, errlen, "bad metric name \"%s\"",
		    name ? name : "");
	if (kind == PK_COUNTER && !ends_with(name, "_total"))
		return errf(err, errlen, "counter %s: name must end in "
		    "_total", name);
	if (kind != PK_COUNTER && ends_with(name, "_total"))
		return errf(err, errlen, "%s: only counters end in _total",
		    name);
	if (kind == PK_HISTOGRAM && (ends_with(name, "_bucket") ||
	    ends_with(name, "_sum") || ends_with(name, "_count")))
		return errf(err, errlen, "histogram %s: reserved suffix",
		    name);
	for (m = reg->head; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return errf(err, errlen, "metric %s registered twice",
			    name);
	return 0;
}

static int
check_label(enum prom_kind kind, const char *l, const char *const *v,
    size_t *n, char *err, size_t errlen)
{
	if (!name_ok(l, 0) || strncmp(l, "__", 2) == 0 ||
	    (kind == PK_HISTOGRAM && strcmp(l, "le") == 0))
		return errf(err, errlen, "bad label name \"%s\"", l);
	if (v == NULL || v[0] == NULL)
		return errf(err, errlen, "label %s: no values", l);
	for (*n = 0; v[*n] != NULL; (*n)++)
		if (*n == PROM_MAXVALUES)
			return errf(err, errlen, "label %s: more than %d "
			    "values", l, PROM_MAXVALUES);
	return 0;
}

/* ---- registration ----------------------------------------------------- */

static struct prom_metric *
reg_add(enum prom_kind kind, const char *name,
    const char *help, size_t nv, char *err, size_t errlen)
{
	struct prom_metric	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->name = strdup(name)) == NULL ||
	    (m->help = strdup(help ? help : "")) == NULL ||
	    (m->v = calloc(nv, sizeof(*m->v))) == NULL) {
		if (m != NULL)
			metric_free(m);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	m->kind = kind;
	m->nseries = nv;
	return m;
}

static void
reg_link(struct prom *reg, struct prom_metric *m)
{
	*reg->tail = m;
	reg->tail = &m->next;
}

static struct prom_metric *
family(struct prom *reg, enum prom_kind kind, const char *name,
    const char *help, const char *l1, const char *const *v1, const char *l2,
    const char *const *v2, char *err, size_t errlen)
{
	struct prom_metric	*m;
	size_t			 n1 = 1, n2 = 1;

	if (check_name(reg, kind, name, err, errlen) < 0 ||
	    (l1 != NULL && check_label(kind, l1, v1, &n1, err, errlen) < 0) ||
	    (l2 != NULL && check_label(kind, l2, v2, &n2, err, errlen) < 0))
		return NULL;
	if (l2 != NULL && (l1 == NULL || strcmp(l1, l2) == 0)) {
		errf(err, errlen, "%s: label %s: second label without a "
		    "distinct first", name, l2);
		return NULL;
	}
	if ((m = reg_add(kind, name, help, n1 * n2, err, errlen)) == NULL)
		return NULL;
	if ((l1 != NULL && (m->lname[0] = strdup(l1)) == NULL) ||
	    (l2 != NULL && (m->lname[1] = strdup(l2)) == NULL)) {
		metric_free(m);
		errf(err, errlen, "out of memory");
		return NULL;
	}
	m->lval[0] = l1 ? v1 : NULL;
	m->lval[1] = l2 ? v2 : NULL;
	m->nval[0] = l1 ? n1 : 0;
	m->nval[1] = l2 ? n2 : 0;
	reg_link(reg, m);
	return m;
}

struct prom_metric *
prom_counter(struct prom *reg, const char *name, const char *help,
    const char *l1, const char *const *v1, const char *l2,
    const char *const *v2, char *err, size_t errlen)
{
	return family(reg, PK_COUNTER, name, help, l1, v1, l2, v2, err,
	    errlen);
}

struct prom_metric *
prom_gauge(struct prom *reg, const char *name, const char *help,
    const char *l1, const char *const *v1, const char *l2,
    const char *const *v2, char *err, size_t errlen)
{
	return family(reg, PK_GAUGE, name, help, l1, v1, l2, v2, err, errlen);
}

struct prom_metric *
prom_histogram(struct prom *reg, const char *name, const char *help,
    const double *bounds, size_t nbounds, char *err, size_t errlen)
{
	struct prom_metric	*m;
	size_t			 i;

	if (check_name(reg, PK_HISTOGRAM, name, err, errlen) < 0)
		return NULL;
	if (nbounds == 0 || nbounds > PROM_MAXBUCKETS) {
		errf(err, errlen, "histogram %s: 1 to %d bounds", name,
		    PROM_MAXBUCKETS);
		return NULL;
	}
	for (i = 0; i < nbounds; i++)
		if (!isfinite(bounds[i]) || (i > 0 &&
		    bounds[i] <= bounds[i - 1])) {
			errf(err, errlen, "histogram %s: bounds must be "
			    "finite and increasing", name);
			return NULL;
		}
	m = reg_add(PK_HISTOGRAM, name, help, nbounds + 1, err, errlen);
	if (m == NULL)
		return NULL;
	memcpy(m->bounds, bounds, nbounds * sizeof(*bounds));
	m->nbounds = nbounds;
	reg_link(reg, m);
	return m;
}

int
prom_process(struct prom *reg, const char *version)
{
	free(reg->version);
	if ((reg->version = strdup(version)) == NULL)
		return -1;
	reg->process = 1;
	return 0;
}

/* ---- updates ---------------------------------------------------------- */

static size_t
value_index(const struct prom_metric *m, int l, const char *v)
{
	size_t	 i;

	if (m->lname[l] == NULL)
		return v == NULL ? 0 : (size_t)-1;
	if (v == NULL)
		return (size_t)-1;
	for (i = 0; i < m->nval[l]; i++)
		if (strcmp(m->lval[l][i], v) == 0)
			return i;
	return (size_t)-1;
}

static _Atomic int64_t *
series(const struct prom_metric *m, const char *a, const char *b)
{
	size_t	 i, j;

	if (m == NULL || m->kind == PK_HISTOGRAM)
		return NULL;
	if ((i = value_index(m, 0, a)) == (size_t)-1 ||
	    (j = value_index(m, 1, b)) == (size_t)-1)
		return NULL;
	return &m->v[i * (m->nval[1] ? m->nval[1] : 1) + j];
}

int
prom_add(struct prom_metric *m, const char *a, const char *b, uint64_t n)
{
	_Atomic int64_t	*p;

	if ((p = series(m, a, b)) == NULL)
		return -1;
	atomic_fetch_add_explicit(p, (int64_t)n, memory_order_relaxed);
	return 0;
}

int
prom_inc(struct prom_metric *m, const char *a, const char *b)
{
	return prom_add(m, a, b, 1);
}

int
prom_set(struct prom_metric *m, const char *a, const char *b, int64_t v)
{
	_Atomic int64_t	*p;

	if (m == NULL || m->kind != PK_GAUGE || (p = series(m, a, b)) == NULL)
		return -1;
	atomic_store_explicit(p, v, memory_order_relaxed);
	return 0;
}

int64_t
prom_get(const struct prom_metric *m, const char *a, const char *b)
{
	_Atomic int64_t	*p;

	if ((p = series(m, a, b)) == NULL)
		return -1;
	return atomic_load_explicit(p, memory_order_relaxed);
}

void
prom_observe(struct prom_metric *m, double seconds)
{
	size_t	 i;

	if (m == NULL || m->kind != PK_HISTOGRAM)
		return;
	if (!(seconds > 0))
		seconds = 0;
	if (seconds > 1e9)
		seconds = 1e9;
	for (i = 0; i < m->nbounds && seconds > m->bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&m->v[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->sum_ns, (uint64_t)(seconds * 1e9 + 0.5),
	    memory_order_relaxed);
}

/* ---- rendering -------------------------------------------------------- */

static const char *const kind_name[] = { "counter", "gauge", "histogram" };

static void
put_labels(struct pbuf *b, const struct prom_metric *m, size_t i, size_t j,
    const char *le)
{
	int	 any = 0;

	if (m->lname[0] == NULL && le == NULL)
		return;
	pbuf_puts(b, "{");
	if (m->lname[0] != NULL) {
		pbuf_label(b, m->lname[0], m->lval[0][i]);
		any = 1;
	}
	if (m->lname[1] != NULL) {
		pbuf_puts(b, ",");
		pbuf_label(b, m->lname[1], m->lval[1][j]);
	}
	if (le != NULL) {
		if (any)
			pbuf_puts(b, ",");
		pbuf_label(b, "le", le);
	}
	pbuf_puts(b, "}");
}

static void
render_histogram(struct pbuf *b, const struct prom_metric *m)
{
	char		 le[64];
	uint64_t	 cum = 0;
	size_t		 i;

	for (i = 0; i <= m->nbounds; i++) {
		cum += (uint64_t)atomic_load_explicit(&m->v[i],
		    memory_order_relaxed);
		if (i < m->nbounds)
			snprintf(le, sizeof(le), "%.17g", m->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		pbuf_printf(b, "%s_bucket", m->name);
		put_labels(b, m, 0, 0, le);
		pbuf_printf(b, " %llu\n", (unsigned long long)cum);
	}
	pbuf_printf(b, "%s_sum %.9f\n", m->name,
	    (double)atomic_load_explicit(&m->sum_ns, memory_order_relaxed) /
	    1e9);
	pbuf_printf(b, "%s_count %llu\n", m->name, (unsigned long long)cum);
}

static void
render_metric(struct pbuf *b, const struct prom_metric *m)
{
	size_t	 i, j, n1, n2;

	pbuf_head(b, m->name, m->help, kind_name[m->kind]);
	if (m->kind == PK_HISTOGRAM) {
		render_histogram(b, m);
		return;
	}
	n1 = m->nval[0] ? m->nval[0] : 1;
	n2 = m->nval[1] ? m->nval[1] : 1;
	for (i = 0; i < n1; i++)
		for (j = 0; j < n2; j++) {
			pbuf_puts(b, m->name);
			put_labels(b, m, i, j, NULL);
			pbuf_printf(b, " %lld\n", (long long)
			    atomic_load_explicit(&m->v[i * n2 + j],
			    memory_order_relaxed));
		}
}

char *
prom_render(struct prom *reg, size_t *len)
{
	struct pbuf		 b;
	struct prom_metric	*m;

	memset(&b, 0, sizeof(b));
	for (m = reg->head; m != NULL; m = m->next)
		render_metric(&b, m);
	if (reg->process)
		prom_proc_render(&b, reg->version);
	pbuf_puts(&b, "");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	if (len != NULL)
		*len = b.len;
	return b.s;
}
