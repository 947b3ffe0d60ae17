/*
 * outpostctl domain verify DOMAIN | --all -- check a sending domain's DNS
 * (verify_check.c) and record the verdict in Redis (lib/schema.h,
 * "SENDING DOMAINS").
 *
 * A domain is verified when the DKIM record of at least one active
 * selector matches its key AND a DMARC record governs it.  Otherwise it
 * is recorded as unverified with the reasons -- except when a DNS error
 * (timeout, SERVFAIL) left the verdict open: then a verified domain stays
 * verified (a resolver outage must not stop its mail) and the output says
 * the state was kept.  The write is one Lua script; "since" changes only
 * with the state.  Exit 0 only when the domain (with --all: every domain)
 * is verified now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "mailaddr.h"
#include "json.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"

/*
 * KEYS Pdomain:DOMAIN; ARGV state ("verified", "unverified" or "keep": a
 * DNS error left it open), reasons, results.  Returns { previous state
 * or "", state now, since, kept "1"/"0" }.  The index Pdomains is of
 * another slot: its SADD runs first, as a command of its own (an
 * interrupted verify leaves a listed domain without a record, read as
 * never verified, never a record no listing finds).
 */
static const char lua_record[] =
    "local prev = redis.call('HGET', KEYS[1], 'state') or ''\n"
    "local since = redis.call('HGET', KEYS[1], 'since')\n"
    "local st = ARGV[1]\n"
    "if st == 'keep' then\n"
    "  if prev == 'verified' then return { prev, prev, since or '', '1' }"
    " end\n"
    "  st = 'unverified'\n"
    "end\n"
    "local now = redis.call('TIME')[1]\n"
    "if st ~= prev or not since then since = now end\n"
    "redis.call('HSET', KEYS[1], 'state', st, 'checked', now, 'since',"
    " since, 'reasons', ARGV[2], 'results', ARGV[3])\n"
    "return { prev, st, since, '0' }\n";

static const char *const verdicts[] = {
	"ok", "wrong", "missing", "DNS error", "not checked"
};

struct outcome {
	char	 prev[16], state[16];
	long long since;
	int	 kept;
	char	 reasons[1024];
};

static void
reasons_of(const struct vdomain *d, char *buf, size_t len)
{
	size_t	 i;

	buf[0] = '\0';
	for (i = 0; i < d->n; i++) {
		if (d->c[i].verdict == V_OK || d->c[i].verdict == V_UNCHECKED ||
		    strcmp(d->c[i].what, "SPF") == 0)
			continue;
		if (strcmp(d->c[i].what, "DKIM") == 0 && d->dkim_ok)
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s %s %s",
		    buf[0] ? "; " : "", d->c[i].what, d->c[i].subject,
		    verdicts[d->c[i].verdict]);
	}
}

static void
checks_json(struct json *j, const struct vdomain *d)
{
	size_t	 i;

	json_key(j, "checks");
	json_arr_begin(j);
	for (i = 0; i < d->n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "check", d->c[i].what);
		json_kv_str(j, "subject", d->c[i].subject);
		json_kv_str(j, "verdict", verdicts[d->c[i].verdict]);
		json_kv_str(j, "found", d->c[i].found);
		json_kv_str(j, "publish", d->c[i].publish);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* The checks as a JSON text (the "results" field); malloc'd or NULL. */
static char *
results_text(const struct vdomain *d)
{
	struct json	*j;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	if ((j = json_new(fp)) != NULL) {
		json_obj_begin(j);
		checks_json(j, d);
		json_obj_end(j);
		json_end(j);
		json_free(j);
	}
	fclose(fp);
	return buf;
}

static int
record(struct ctl *ctl, const struct vdomain *d, struct outcome *o)
{
	char		 k[2][SCHEMA_KEY_MAX], *res;
	const char	*av[6];
	redisReply	*rep;
	int		 ok;

	schema_key_domain(&ctl->conf, d->domain, k[0], sizeof(k[0]));
	schema_key_global(&ctl->conf, SCHEMA_DOMAINS, k[1], sizeof(k[1]));
	if ((res = results_text(d)) == NULL)
		return ctl_refuse(ctl, "out of memory");
	av[0] = "SADD", av[1] = k[1], av[2] = d->domain;
	if ((rep = redis_commandv(ctl->r, 3, av, NULL)) == NULL) {
		free(res);
		return ctl_write_failed(ctl, ctl->r, "domain verify",
		    "domain show");
	}
	freeReplyObject(rep);
	av[0] = k[0];
	av[1] = d->dkim_ok && d->dmarc_ok ? SCHEMA_VERIFIED : d->dnserr ?
	    "keep" : SCHEMA_UNVERIFIED;
	av[2] = av[1][0] == 'v' ? "" : o->reasons;
	av[3] = res;
	rep = redis_eval(ctl->r, lua_record, 1, 4, av, NULL);
	free(res);
	if (rep == NULL)
		return ctl_write_failed(ctl, ctl->r, "domain verify",
		    "domain show");
	ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 4;
	if (ok) {
		snprintf(o->prev, sizeof(o->prev), "%s", rep->element[0]->str);
		snprintf(o->state, sizeof(o->state), "%s", rep->element[1]->str);
		o->since = atoll(rep->element[2]->str);
		o->kept = rep->element[3]->str[0] == '1';
	}
	freeReplyObject(rep);
	return ok ? 0 : ctl_refuse(ctl, "domain verify: unexpected reply");
}

static void
print_text(const struct vdomain *d, const struct outcome *o)
{
	char	 t[SUPCSV_TIME_MAX];
	size_t	 i;

	for (i = 0; i < d->n; i++) {
		printf("%s: %-5s %-22s %-11s %s\n", d->domain, d->c[i].what,
		    d->c[i].subject, verdicts[d->c[i].verdict], d->c[i].found);
		if (d->c[i].publish != NULL)
			printf("    publish: %s\n", d->c[i].publish);
	}
	supcsv_format_time(o->since, t, sizeof(t));
	if (strcmp(o->state, SCHEMA_VERIFIED) == 0 && o->kept)
		printf("%s: state kept: verified since %s (a DNS error left "
		    "this check undecided: %s)\n", d->domain, t, o->reasons);
	else if (strcmp(o->state, SCHEMA_VERIFIED) == 0)
		printf("%s: verified since %s\n", d->domain, t);
	else
		printf("%s: not verified since %s: %s\n", d->domain, t,
		    o->reasons);
}

static void
outcome_json(struct json *j, const struct vdomain *d,
    const struct outcome *o)
{
	char	 t[SUPCSV_TIME_MAX];

	json_obj_begin(j);
	json_kv_str(j, "domain", d->domain);
	json_kv_bool(j, "verified", !o->kept &&
	    strcmp(o->state, SCHEMA_VERIFIED) == 0);
	json_kv_str(j, "state", o->state);
	json_kv_str(j, "previous", o->prev[0] ? o->prev : NULL);
	json_kv_bool(j, "changed", strcmp(o->prev, o->state) != 0);
	json_kv_bool(j, "kept", o->kept);
	json_kv_str(j, "since", supcsv_format_time(o->since, t, sizeof(t)));
	json_kv_str(j, "reasons", o->reasons);
	json_kv_str(j, "dmarc_policy", d->dmarc_ok ? d->policy : NULL);
	checks_json(j, d);
	json_obj_end(j);
}

static void
vdomain_clear(struct vdomain *d)
{
	size_t	 i;

	for (i = 0; i < d->n; i++)
		free(d->c[i].publish);
	d->n = 0;
}

/* Check, record and (text) print one domain; 0, or the refusal. */
static int
verify_one(struct vctx *v, struct vdomain *d, struct outcome *o)
{
	size_t	 i;

	vcheck_dkim(v, d);
	vcheck_spf(v, d);
	vcheck_dmarc(v, d);
	for (i = 0; i < d->n; i++)	/* records only for what to fix */
		if (d->c[i].verdict != V_WRONG && d->c[i].verdict != V_MISSING) {
			free(d->c[i].publish);
			d->c[i].publish = NULL;
		}
	memset(o, 0, sizeof(*o));
	reasons_of(d, o->reasons, sizeof(o->reasons));
	if (record(v->dom.ctl, d, o) != 0)
		return EXIT_REFUSED;
	if (!v->dom.ctl->json)
		print_text(d, o);
	return 0;
}

static int
verify_single(struct vctx *v, const char *domain)
{
	struct vdomain	*d;
	struct outcome	 o;
	struct json	*j;
	int		 rc;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return ctl_refuse(v->dom.ctl, "out of memory");
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	if ((rc = verify_one(v, d, &o)) == 0 && v->dom.ctl->json) {
		j = ctl_json_open(v->dom.ctl);
		outcome_json(j, d, &o);
		rc = ctl_json_close(v->dom.ctl, j);
	}
	vdomain_clear(d);
	free(d);
	if (rc != 0)
		return rc;
	return !o.kept && strcmp(o.state, SCHEMA_VERIFIED) == 0 ? EXIT_OK :
	    EXIT_REFUSED;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The keys directory's domains and Pdomains' members, sorted, unique;
 * 0 or the refusal.  Free with dkimkey_names_free. */
static int
all_domains(struct vctx *v, char ***names, size_t *n)
{
	struct ctl	*ctl = v->dom.ctl;
	char		 key[SCHEMA_KEY_MAX], err[600];
	redisReply	*rep;
	size_t		 i, k;

	if (dkimkey_domains(v->dom.dir, names, n, err, sizeof(err)) < 0)
		return ctl_refuse(ctl, "%s", err);
	schema_key_global(&ctl->conf, SCHEMA_DOMAINS, key, sizeof(key));
	if ((rep = redis_command(ctl->r, "SMEMBERS %s", key)) == NULL) {
		*names = dkimkey_names_free(*names, *n);
		return ctl_redis_failed(ctl, ctl->r, "domain verify --all");
	}
	*names = realloc(*names, (*n + rep->elements + 1) * sizeof(**names));
	for (i = 0; *names != NULL && i < rep->elements; i++)
		if (mailaddr_domain_is_hostname(rep->element[i]->str))
			(*names)[(*n)++] = strdup(rep->element[i]->str);
	freeReplyObject(rep);
	if (*names == NULL)
		return ctl_refuse(ctl, "out of memory");
	qsort(*names, *n, sizeof(**names), name_cmp);
	for (i = k = 0; i < *n; i++) {	/* drop duplicates */
		if (k > 0 && strcmp((*names)[k - 1], (*names)[i]) == 0)
			free((*names)[i]);
		else
			(*names)[k++] = (*names)[i];
	}
	*n = k;
	return 0;
}

static int
changed(const struct outcome *o)
{
	return (strcmp(o->prev, SCHEMA_VERIFIED) == 0) !=
	    (strcmp(o->state, SCHEMA_VERIFIED) == 0);
}

/* Every domain; exit 0 only when all are verified now. */
static int
verify_all(struct vctx *v)
{
	struct ctl	*ctl = v->dom.ctl;
	struct vdomain	*d;
	struct outcome	*o;
	struct json	*j = NULL;
	char		**names;
	size_t		 n, i, nch = 0, bad = 0;
	int		 rc;

	if ((rc = all_domains(v, &names, &n)) != 0)
		return rc;
	d = calloc(n + 1, sizeof(*d));
	o = calloc(n + 1, sizeof(*o));
	for (i = 0; d != NULL && o != NULL && i < n && rc == 0; i++) {
		snprintf(d[i].domain, sizeof(d[i].domain), "%s", names[i]);
		if (!ctl->json && i > 0)
			printf("\n");
		rc = verify_one(v, &d[i], &o[i]);
		bad += o[i].kept || strcmp(o[i].state, SCHEMA_VERIFIED) != 0;
		nch += changed(&o[i]);
	}
	if (d == NULL || o == NULL)
		rc = ctl_refuse(ctl, "out of memory");
	if (rc == 0 && ctl->json) {
		j = ctl_json_open(ctl);
		json_obj_begin(j);
		json_kv_bool(j, "all_verified", bad == 0);
		json_key(j, "domains");
		json_arr_begin(j);
		for (i = 0; i < n; i++)
			outcome_json(j, &d[i], &o[i]);
		json_arr_end(j);
		json_key(j, "changed");
		json_arr_begin(j);
		for (i = 0; i < n; i++)
			if (changed(&o[i])) {
				json_obj_begin(j);
				json_kv_str(j, "domain", d[i].domain);
				json_kv_str(j, "from", o[i].prev[0] ? o[i].prev :
				    NULL);
				json_kv_str(j, "to", o[i].state);
				json_obj_end(j);
			}
		json_arr_end(j);
		json_obj_end(j);
		rc = ctl_json_close(ctl, j);
	} else if (rc == 0) {
		printf("%s%zu domain%s checked, %zu verified; %s\n", n ? "\n" :
		    "", n, n == 1 ? "" : "s", n - bad, nch ? "changed state:" :
		    "no domain changed state");
		for (i = 0; i < n; i++)
			if (changed(&o[i]))
				printf("  %s: %s -> %s\n", d[i].domain,
				    o[i].prev[0] ? o[i].prev : "never checked",
				    o[i].state);
	}
	for (i = 0; d != NULL && i < n; i++)
		vdomain_clear(&d[i]);
	free(d);
	free(o);
	dkimkey_names_free(names, n);
	if (rc != 0)
		return rc;
	return bad == 0 ? EXIT_OK : EXIT_REFUSED;
}

struct redis *
dom_redis_try(struct ctl *ctl)
{
	struct redis	*r;
	char		 err[512];

	if ((r = redis_new(&ctl->conf, err, sizeof(err))) == NULL ||
	    redis_connect(r) < 0) {
		ctl_warn("redis %s: %s: verification state unknown",
		    ctl->conf.redis_address, r ? redis_errstr(r) : err);
		return redis_free(r);
	}
	return r;
}

static const char *
ftime(long long t, char *buf, size_t len)
{
	return t > 0 ? supcsv_format_time(t, buf, len) : NULL;
}

void
dom_state_json(struct json *j, const struct dom_state *st)
{
	char	 a[SUPCSV_TIME_MAX], b[SUPCSV_TIME_MAX];

	json_key(j, "verification");
	json_obj_begin(j);
	json_kv_str(j, "state", st->unknown ? "unknown" : st->state[0] ?
	    st->state : NULL);
	json_kv_str(j, "since", ftime(st->since, a, sizeof(a)));
	json_kv_str(j, "checked", ftime(st->checked, b, sizeof(b)));
	json_kv_str(j, "reasons", st->reasons);
	json_obj_end(j);
}

const char *
dom_state_word(const struct dom_state *st)
{
	if (st->unknown)
		return "unknown";
	if (st->state[0] == '\0')
		return "-";
	return strcmp(st->state, SCHEMA_VERIFIED) == 0 ? "verified" :
	    "not verified";
}

void
dom_state_text(const struct dom_state *st, const char *domain)
{
	char	 a[SUPCSV_TIME_MAX], b[SUPCSV_TIME_MAX];

	if (st->unknown || st->state[0] == '\0') {
		printf("verified:  %s\n", st->unknown ? "unknown (Redis "
		    "unreachable)" : "never checked");
		if (!st->unknown)
			printf("           (outpostctl domain verify %s)\n",
			    domain);
		return;
	}
	printf("verified:  %s since %s (checked %s)%s%s\n",
	    strcmp(st->state, SCHEMA_VERIFIED) == 0 ? "yes" : "no",
	    supcsv_format_time(st->since, a, sizeof(a)),
	    supcsv_format_time(st->checked, b, sizeof(b)),
	    st->reasons[0] ? ": " : "", st->reasons);
}

int
dom_state_get(struct ctl *ctl, struct redis *r, const char *domain,
    struct dom_state *st)
{
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*rep;

	memset(st, 0, sizeof(*st));
	st->unknown = 1;
	if (r == NULL)
		return -1;
	schema_key_domain(&ctl->conf, domain, key, sizeof(key));
	if ((rep = redis_command(r, "HMGET %s state since checked reasons",
	    key)) == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 4) {
		st->unknown = 0;
		if (rep->element[0]->type == REDIS_REPLY_STRING)
			snprintf(st->state, sizeof(st->state), "%s",
			    rep->element[0]->str);
		if (rep->element[1]->type == REDIS_REPLY_STRING)
			st->since = atoll(rep->element[1]->str);
		if (rep->element[2]->type == REDIS_REPLY_STRING)
			st->checked = atoll(rep->element[2]->str);
		if (rep->element[3]->type == REDIS_REPLY_STRING)
			snprintf(st->reasons, sizeof(st->reasons), "%s",
			    rep->element[3]->str);
	}
	freeReplyObject(rep);
	return 0;
}

int
domain_verify(struct ctl *ctl, struct ctl_opts *o)
{
	struct vctx	 v;
	int		 rc;

	if (o->all == (o->nargs == 1))
		return ctl_bad_usage("domain verify: give DOMAIN or --all");
	if ((rc = vctx_init(&v, ctl)) != 0)
		return rc;
	if (o->all)
		rc = verify_all(&v);
	else
		rc = verify_single(&v, o->domain);
	vctx_free(&v);
	return rc;
}
