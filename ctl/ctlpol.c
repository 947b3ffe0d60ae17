/*
 * ctlpol -- what the user, plan and suppress verbs share: their option
 * parser, the Redis connection, refusals (stderr, and a JSON object on
 * stdout with --json), name checks, and the effective-limits merge.
 * See ctl.h for the functions.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"

static const struct option longopts[] = {
	{ "plan", required_argument, NULL, 'p' },
	{ "domain", required_argument, NULL, 'd' },
	{ "reason", required_argument, NULL, 'r' },
	{ "ttl", required_argument, NULL, 't' },
	{ "user", required_argument, NULL, 'u' },
	{ "json", no_argument, NULL, 'j' },
	{ NULL, 0, NULL, 0 }
};

int
ctl_opts(struct ctl *ctl, int argc, char **argv, const char *allow,
    struct ctl_opts *o)
{
	int	 ch, idx;

	memset(o, 0, sizeof(*o));
	/* argv[0] is the group, argv[1] the verb: parse from the verb on.
	 * optind 0 makes glibc start afresh (main parsed with "+"). */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "", longopts, &idx)) !=
	    -1) {
		if (ch == 'j') {
			ctl->json = 1;
			continue;
		}
		if (ch == '?' && optopt != 0 &&
		    strncmp(argv[optind], "--", 2) == 0) {
			fprintf(stderr, "outpostctl: %s %s: option %s needs a "
			    "value\n", argv[0], argv[1], argv[optind]);
			return -1;
		}
		if (ch == '?' || strchr(allow, ch) == NULL) {
			fprintf(stderr, "outpostctl: %s %s: unknown option "
			    "\"%s%s\"\n", argv[0], argv[1], ch == '?' ? "" :
			    "--", ch == '?' ? argv[optind] : longopts[idx].name);
			return -1;
		}
		switch (ch) {
		case 'p': o->plan = optarg; break;
		case 'r': o->reason = optarg; break;
		case 't': o->ttl = optarg; break;
		case 'u': o->user = optarg; break;
		case 'd':
			if (o->ndomains == CTL_MAX_DOMAINS) {
				fprintf(stderr, "outpostctl: at most %d "
				    "--domain options\n", CTL_MAX_DOMAINS);
				return -1;
			}
			o->domains[o->ndomains++] = optarg;
			break;
		}
	}
	o->args = argv + 1 + optind;
	o->nargs = argc - 1 - optind;
	return 0;
}

struct redis *
ctl_redis(struct ctl *ctl)
{
	struct redis	*r;
	char		 err[512];

	if ((r = redis_new(&ctl->conf, err, sizeof(err))) == NULL) {
		ctl_refuse(ctl, "%s", err);
		return NULL;
	}
	if (redis_connect(r) < 0) {
		ctl_refuse(ctl, "redis %s: %s", ctl->conf.redis_address,
		    redis_errstr(r));
		return redis_free(r);
	}
	return r;
}

int
ctl_refuse(struct ctl *ctl, const char *fmt, ...)
{
	struct json	*j;
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "outpostctl: %s\n", msg);
	if (ctl->json && (j = json_new(stdout)) != NULL) {
		json_obj_begin(j);
		json_kv_bool(j, "ok", 0);
		json_kv_str(j, "error", msg);
		json_obj_end(j);
		json_end(j);
		json_free(j);
	}
	return EXIT_REFUSED;
}

int
ctl_bad_usage(const char *fmt, ...)
{
	va_list	 ap;

	fputs("outpostctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (outpostctl --help shows the usage)\n", stderr);
	return EXIT_USAGE;
}

int
ctl_redis_failed(struct ctl *ctl, struct redis *r, const char *what)
{
	return ctl_refuse(ctl, "%s: redis: %s", what, redis_errstr(r));
}

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

int
ctl_done(struct ctl *ctl, const char *what, const char *name,
    const char *fmt, ...)
{
	struct json	*j;
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ctl->json) {
		printf("%s\n", msg);
		return EXIT_OK;
	}
	if ((j = json_new(stdout)) == NULL)
		return EXIT_REFUSED;
	json_obj_begin(j);
	json_kv_bool(j, "ok", 1);
	json_kv_str(j, what, name);
	json_kv_str(j, "message", msg);
	json_obj_end(j);
	json_end(j);
	json_free(j);
	return EXIT_OK;
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
