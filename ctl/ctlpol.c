/*
 * ctlpol -- what the user, plan and suppress verbs share: their option
 * parser and verb tables, the Redis connection, refusals (stderr, and a
 * JSON object on stdout with --json), name checks, the sorted listing of
 * users or plans, and the effective-limits merge.  See ctlpol.h for the
 * functions (ctl_vsay, used by every group, is in ctl.h).
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
	{ "any", no_argument, NULL, 'a' },
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
		case 'a': o->any = 1; break;
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

/* {"ok":OK[,KEY:VALUE],MKEY:MSG} on stdout; 0, or -1 out of memory. */
static int
print_status(int ok, const char *key, const char *value, const char *mkey,
    const char *msg)
{
	struct json	*j;

	if ((j = json_new(stdout)) == NULL)
		return -1;
	json_obj_begin(j);
	json_kv_bool(j, "ok", ok);
	if (key != NULL)
		json_kv_str(j, key, value);
	json_kv_str(j, mkey, msg);
	json_obj_end(j);
	json_end(j);
	json_free(j);
	return 0;
}

int
ctl_refuse(struct ctl *ctl, const char *fmt, ...)
{
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "outpostctl: %s\n", msg);
	if (ctl->json)
		(void)print_status(0, NULL, NULL, "error", msg);
	return EXIT_REFUSED;
}

int
ctl_vsay(int rc, const char *tail, const char *fmt, va_list ap)
{
	fputs("outpostctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", tail);
	return rc;
}

int
ctl_bad_usage(const char *fmt, ...)
{
	va_list	 ap;
	int	 rc;

	va_start(ap, fmt);
	rc = ctl_vsay(EXIT_USAGE, " (outpostctl --help shows the usage)", fmt,
	    ap);
	va_end(ap);
	return rc;
}

int
ctl_redis_failed(struct ctl *ctl, struct redis *r, const char *what)
{
	return ctl_refuse(ctl, "%s: redis: %s", what, redis_errstr(r));
}

int
ctl_write_failed(struct ctl *ctl, struct redis *r, const char *what,
    const char *check)
{
	switch (redis_unanswered(r)) {
	case REDIS_SENT_TIMEOUT:
		return ctl_refuse(ctl, "%s: outcome unknown (Redis did not "
		    "answer within redis_timeout): check with outpostctl %s",
		    what, check);
	case REDIS_SENT_LOST:
		return ctl_refuse(ctl, "%s: outcome unknown (%s): check with "
		    "outpostctl %s", what, redis_errstr(r), check);
	default:
		return ctl_redis_failed(ctl, r, what);
	}
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
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ctl->json) {
		printf("%s\n", msg);
		return EXIT_OK;
	}
	return print_status(1, what, name, "message", msg) < 0 ? EXIT_REFUSED :
	    EXIT_OK;
}

const struct ctl_verb *
ctl_verb(struct ctl *ctl, int argc, char **argv, const struct ctl_verb *v,
    size_t n, struct ctl_opts *o)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (argc > 1 && strcmp(argv[1], v[i].verb) == 0)
			break;
	if (i == n) {
		ctl_bad_usage("%s: unknown verb \"%s\"", argv[0],
		    argc > 1 ? argv[1] : "");
		return NULL;
	}
	if (ctl_opts(ctl, argc, argv, v[i].opts, o) < 0)
		return NULL;
	return &v[i];
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
	qsort(names->element, names->elements, sizeof(*names->element),
	    name_cmp);
	for (i = 0; i < names->elements; i++)
		ask(ctl, r, names->element[i]->str);
	if (ctl->json) {
		j = json_new(stdout);
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
	if (j != NULL) {
		json_arr_end(j);
		json_end(j);
		json_free(j);
	}
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
