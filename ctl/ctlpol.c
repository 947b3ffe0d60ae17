/*
 * ctlpol -- what the user, plan and suppress verbs share: name checks,
 * the sorted listing of users or plans, limits and the effective-limits
 * merge.  See ctlpol.h for the functions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"

int
ctl_name_ok(const char *kind, const char *name)
{
	if (schema_user_valid(name))
		return 1;
	fprintf(stderr, "outpostctl: bad %s name \"%s\" (1 to %d characters, "
	    "no spaces, control characters or {}*?[]\\)\n", kind, name,
	    SCHEMA_USER_MAX);
	return 0;
}

static int
name_cmp(const void *a, const void *b)
{
	const redisReply *const *x = a, *const *y = b;

	return strcmp((*x)->str, (*y)->str);
}

int
ctl_list(struct ctl *ctl, struct redis *r, const char *what,
    const char *set, ctl_list_ask *ask, ctl_list_show *show)
{
	struct json	*j = NULL;
	redisReply	*names, *h;
	size_t		 i;

	if ((names = redis_command(r, "SMEMBERS %s", set)) == NULL)
		return ctl_redis_failed(ctl, r, what);
	if (names->elements > 1)	/* element is NULL when empty */
		qsort(names->element, names->elements,
		    sizeof(*names->element), name_cmp);
	for (i = 0; i < names->elements; i++)
		ask(ctl, r, names->element[i]->str);
	if (ctl->json) {
		j = ctl_json_open(ctl);
		json_arr_begin(j);
	}
	for (i = 0; i < names->elements; i++) {
		if ((h = redis_get_reply(r)) == NULL) {
			freeReplyObject(names);
			json_free(j);
			return ctl_redis_failed(ctl, r, what);
		}
		show(ctl, j, names->element[i]->str, h);
		freeReplyObject(h);
	}
	freeReplyObject(names);
	if (j == NULL)
		return EXIT_OK;
	json_arr_end(j);
	return ctl_json_close(ctl, j);
}

/* Order of limits: by dimension, then window (month last). */
static int
limit_cmp(const void *a, const void *b)
{
	const struct limit	*x = a, *y = b;
	unsigned long		 wx = (unsigned long)x->window;
	unsigned long		 wy = (unsigned long)y->window;

	if (x->dim != y->dim)
		return x->dim < y->dim ? -1 : 1;
	return wx < wy ? -1 : wx > wy;
}

int
ctl_limits_from_hash(const redisReply *h, struct limit *out, int max)
{
	struct limit	 l;
	size_t		 i;
	char		*end;
	int		 n = 0;

	if (h == NULL || h->type != REDIS_REPLY_ARRAY)
		return 0;
	for (i = 0; i + 1 < h->elements && n < max; i += 2) {
		memset(&l, 0, sizeof(l));
		if (schema_limit_field_parse(h->element[i]->str, &l.dim,
		    &l.window) < 0)
			continue;
		l.count = strtoull(h->element[i + 1]->str, &end, 10);
		if (*end != '\0' || l.count == 0)
			continue;
		out[n++] = l;
	}
	qsort(out, (size_t)n, sizeof(*out), limit_cmp);
	return n;
}

int
ctl_limits_merge(const struct limit *plan, int np, const struct limit *own,
    int no, struct ctl_elimit *out, int max)
{
	int	 i, k, n = 0;

	for (i = 0; i < np && n < max; i++) {
		out[n].lim = plan[i];
		out[n++].override = 0;
	}
	for (i = 0; i < no; i++) {
		for (k = 0; k < n; k++)
			if (out[k].lim.dim == own[i].dim &&
			    out[k].lim.window == own[i].window)
				break;
		if (k == n && n == max)
			continue;
		out[k].lim = own[i];
		out[k].override = 1;
		if (k == n)
			n++;
	}
	for (i = 1; i < n; i++)		/* insertion sort: n is small */
		for (k = i; k > 0 && limit_cmp(&out[k - 1].lim, &out[k].lim) >
		    0; k--) {
			struct ctl_elimit t = out[k];
			out[k] = out[k - 1];
			out[k - 1] = t;
		}
	return n;
}

void
ctl_json_limit(struct json *j, const struct limit *l)
{
	char	 buf[LIMIT_TEXT_MAX];

	json_kv_str(j, "limit", limit_format(l, buf, sizeof(buf)));
	json_kv_str(j, "dimension", limit_dim_name(l->dim));
	json_kv_uint(j, "count", l->count);
	if (l->window == LIMIT_MONTH)
		json_kv_str(j, "window", "month");
	else
		json_kv_int(j, "window", l->window);
}

int
ctl_limit_args(char **args, int n, struct limit *out, char *err,
    size_t errlen)
{
	int	 i, k;

	if (n > CTL_MAX_LIMIT_ARGS) {
		snprintf(err, errlen, "at most %d limits at once",
		    CTL_MAX_LIMIT_ARGS);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (limit_parse(args[i], &out[i], err, errlen) < 0)
			return -1;
		for (k = 0; k < i; k++)
			if (out[k].dim == out[i].dim &&
			    out[k].window == out[i].window) {
				snprintf(err, errlen, "%s: same dimension and "
				    "window as %s", args[i], args[k]);
				return -1;
			}
	}
	return 0;
}

int
ctl_limit_ops(const struct limit *l, int n, char (*buf)[64],
    const char **av)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (l[i].none && l[i].window == LIMIT_ANY_WINDOW) {
			av[3 * i] = "D";
			snprintf(buf[2 * i], 64, "%s/", limit_dim_name(l[i].dim));
			buf[2 * i + 1][0] = '\0';
		} else {
			av[3 * i] = l[i].none ? "d" : "s";
			schema_limit_field(l[i].dim, l[i].window, buf[2 * i],
			    64);
			snprintf(buf[2 * i + 1], 64, "%llu", l[i].count);
		}
		av[3 * i + 1] = buf[2 * i];
		av[3 * i + 2] = buf[2 * i + 1];
	}
	return 3 * n;
}
