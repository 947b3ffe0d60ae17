/*
 * outpostctl domain -- what it prints: the records of a new pair
 * (dom_print_new, after add and rotate), "domain list" and "domain show",
 * each as text for a person or, with --json, one JSON document on stdout
 * (lib/json).  Refusals through ctl_refuse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "dkimkey.h"
#include "json.h"
#include "redis.h"

/* The TXT value and zone line of one key; both NULL if unloadable. */
static void
key_record(struct dom *d, const char *domain, const struct dkimkey_info *in,
    char **txt, char **rec)
{
	EVP_PKEY	*pk;
	char		 err[256];

	*txt = *rec = NULL;
	if (!in->present)
		return;
	pk = dkimkey_load(in->path, d->owner, d->group, 0, NULL, NULL, err,
	    sizeof(err));
	if (pk == NULL)
		return;
	if (dkimkey_txt_value(pk, txt, err, sizeof(err)) < 0 ||
	    dkimkey_dns_record(pk, domain, in->selector, rec, err,
	    sizeof(err)) < 0) {
		free(*txt);
		*txt = NULL;
	}
	EVP_PKEY_free(pk);
}

static const char *
state_of(const struct dkimkey_info *in)
{
	return !in->present ? "missing" : in->active ? "active" : "pending";
}

/* One selector as a JSON object. */
static void
key_json(struct dom *d, struct json *j, const char *domain,
    const struct dkimkey_info *in)
{
	char	*txt, *rec, name[512];

	key_record(d, domain, in, &txt, &rec);
	snprintf(name, sizeof(name), "%s._domainkey.%s.", in->selector, domain);
	json_obj_begin(j);
	json_kv_str(j, "selector", in->selector);
	json_kv_str(j, "algorithm", in->alg == DKIMKEY_UNKNOWN ? NULL :
	    dkimkey_alg_name(in->alg));
	json_kv_int(j, "bits", in->bits);
	json_kv_str(j, "state", state_of(in));
	json_kv_str(j, "file", in->path);
	json_kv_bool(j, "safe", in->problem[0] == '\0');
	json_kv_str(j, "problem", in->problem[0] ? in->problem : NULL);
	json_kv_str(j, "warning", in->warning[0] ? in->warning : NULL);
	json_kv_str(j, "dns_name", name);
	json_kv_str(j, "txt", txt);
	json_kv_str(j, "record", rec);
	json_obj_end(j);
	free(txt);
	free(rec);
}

static void
print_records(struct dom *d, const char *domain,
    const struct dkimkey_info *v, size_t n)
{
	char	*txt, *rec;
	size_t	 i;

	for (i = 0; i < n; i++) {
		key_record(d, domain, &v[i], &txt, &rec);
		if (rec != NULL)
			printf("%s\n", rec);
		free(txt);
		free(rec);
	}
}

/* "outpostctl [-c FILE] " as the admin should type it again. */
static void
print_cmd_prefix(struct dom *d)
{
	printf("outpostctl ");
	if (strcmp(d->ctl->conf_path, CONF_DEFAULT_PATH) != 0)
		printf("-c %s ", d->ctl->conf_path);
}

static void
print_new_text(struct dom *d, const char *domain, const char *verb,
    const char *base, const struct dkimkey_info *v, size_t n)
{
	size_t	 i;

	printf("%s: created %s", domain, strcmp(verb, "add") == 0 ?
	    "active" : "pending");
	for (i = 0; i < n; i++)
		printf("%s %s (%s %d)", i ? "," : "", v[i].selector,
		    dkimkey_alg_name(v[i].alg), v[i].bits);
	printf(" in %s/%s\n\n", d->dir, domain);
	printf("Publish these DKIM records (TXT) in DNS:\n\n");
	print_records(d, domain, v, n);
	if (strcmp(verb, "add") == 0) {
		printf("\nSuggested, not required (adjust to how %s sends "
		    "mail before publishing):\n\n", domain);
		printf("%s. IN TXT \"v=spf1 mx ~all\"\n", domain);
		printf("_dmarc.%s. IN TXT \"v=DMARC1; p=none; "
		    "rua=mailto:dmarc-reports@%s\"\n", domain, domain);
	} else {
		printf("\nOnce they are visible in DNS, sign with the new "
		    "pair:\n\n  ");
		print_cmd_prefix(d);
		printf("domain activate %s %s\n", domain, base);
	}
}

/* A suggested record as a JSON object. */
static void
json_suggest(struct json *j, const char *purpose, const char *name,
    const char *txt)
{
	json_obj_begin(j);
	json_kv_str(j, "purpose", purpose);
	json_kv_str(j, "dns_name", name);
	json_kv_str(j, "txt", txt);
	json_obj_end(j);
}

static int
print_new_json(struct dom *d, const char *domain, const char *verb,
    const char *base, const struct dkimkey_info *v, size_t n)
{
	struct json	*j;
	char		 buf[600], name[300];
	size_t		 i;

	j = ctl_json_open(d->ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", 1);
	json_kv_str(j, "domain", domain);
	json_kv_str(j, "action", verb);
	json_kv_str(j, "base", base);
	snprintf(buf, sizeof(buf), "%s/%s", d->dir, domain);
	json_kv_str(j, "directory", buf);
	json_key(j, "selectors");
	json_arr_begin(j);
	for (i = 0; i < n; i++)
		key_json(d, j, domain, &v[i]);
	json_arr_end(j);
	json_key(j, "suggested");
	json_arr_begin(j);
	if (strcmp(verb, "add") == 0) {
		snprintf(name, sizeof(name), "%s.", domain);
		json_suggest(j, "spf", name, "v=spf1 mx ~all");
		snprintf(name, sizeof(name), "_dmarc.%s.", domain);
		snprintf(buf, sizeof(buf), "v=DMARC1; p=none; "
		    "rua=mailto:dmarc-reports@%s", domain);
		json_suggest(j, "dmarc", name, buf);
	}
	json_arr_end(j);
	json_obj_end(j);
	return ctl_json_close(d->ctl, j);
}

int
dom_print_new(struct dom *d, const char *domain, const char *verb,
    const char *base)
{
	struct dkimkey_info	*info, v[2];
	char			 r[DKIMKEY_SELMAX + 2], e[DKIMKEY_SELMAX + 2];
	char			 err[512];
	size_t			 n, i, k = 0;

	if (dkimkey_list(d->dir, domain, d->owner, d->group, &info, &n, NULL,
	    err, sizeof(err)) < 0)
		return ctl_refuse(d->ctl, "%s", err);
	snprintf(r, sizeof(r), "%sr", base);
	snprintf(e, sizeof(e), "%se", base);
	/* RSA first, then Ed25519, as written. */
	for (i = 0; i < n && k < 2; i++)
		if (strcmp(info[i].selector, r) == 0)
			v[k++] = info[i];
	for (i = 0; i < n && k < 2; i++)
		if (strcmp(info[i].selector, e) == 0)
			v[k++] = info[i];
	free(info);
	if (k != 2)
		return ctl_refuse(d->ctl, "%s: new keys not found", domain);
	if (d->ctl->json)
		return print_new_json(d, domain, verb, base, v, k);
	print_new_text(d, domain, verb, base, v, k);
	return EXIT_OK;
}

/*
 * "ok" (0), a problem (1, text in buf), "no keys" (2), or ok but a key is
 * only accepted with a warning (3, text in buf: mode 0640).
 */
static int
domain_status(struct dom *d, const char *domain, const char *toperr,
    char *buf, size_t len)
{
	struct dkimkey_loaded	 ld;
	int			 rc;

	if (toperr != NULL) {
		snprintf(buf, len, "%s", toperr);
		return 1;
	}
	rc = dkimkey_load_domain(d->dir, domain, d->owner, d->group, &ld, buf,
	    len);
	if (rc > 0 && ld.warn[0] != '\0') {
		snprintf(buf, len, "%s", ld.warn);
		rc = 3;
	}
	dkimkey_loaded_clear(&ld);
	if (rc == 0)
		snprintf(buf, len, "no keys");
	return rc == 3 ? 3 : rc > 0 ? 0 : rc == 0 ? 2 : 1;
}

/* domain_status's verdict in --json ("ok" also with a warning) and text. */
static const char *
status_word(int st)
{
	return st == 0 || st == 3 ? "ok" : st == 1 ? "problem" : "none";
}

static const char *
status_text(int st)
{
	return st == 0 ? "ok" : st == 1 ? "problem: " : st == 3 ?
	    "ok, warning: " : "no keys";
}

static void
list_one(struct dom *d, struct json *j, struct redis *r, const char *domain,
    const char *toperr)
{
	struct dom_state	 vs;
	struct dkimkey_info	*info = NULL;
	struct dkimkey_active	 act;
	char			 why[600], err[256], sels[300] = "";
	size_t			 n = 0, i, pending = 0;
	int			 st;

	memset(&act, 0, sizeof(act));
	if (dkimkey_list(d->dir, domain, d->owner, d->group, &info, &n, &act,
	    err, sizeof(err)) < 0)
		n = 0;
	for (i = 0; i < n; i++)
		pending += info[i].present && !info[i].active;
	free(info);
	st = domain_status(d, domain, toperr, why, sizeof(why));
	dom_state_get(d->ctl, r, domain, &vs);
	if (j != NULL) {
		json_obj_begin(j);
		json_kv_str(j, "domain", domain);
		json_key(j, "active");
		json_arr_begin(j);
		for (i = 0; i < act.n; i++)
			json_str(j, act.sel[i]);
		json_arr_end(j);
		json_kv_uint(j, "pending", pending);
		json_kv_str(j, "status", status_word(st));
		json_kv_str(j, "problem", st == 1 ? why : NULL);
		json_kv_str(j, "warning", st == 3 ? why : NULL);
		dom_state_json(j, &vs);
		json_obj_end(j);
		return;
	}
	for (i = 0; i < act.n; i++)
		snprintf(sels + strlen(sels), sizeof(sels) - strlen(sels),
		    "%s%s", i ? "," : "", act.sel[i]);
	printf("%-30s %-24s %-7zu %-12s %s%s\n", domain, act.n ? sels : "-",
	    pending, dom_state_word(&vs), status_text(st),
	    st == 1 || st == 3 ? why : "");
}

int
domain_list(struct ctl *ctl, struct ctl_opts *o)
{
	struct json	*j = NULL;
	struct redis	*r;
	struct dom	 d;
	char		 toperr[600], **names;
	size_t		 n, i;
	int		 bad;

	(void)o;
	if (dom_init(&d, ctl, 0) != 0)
		return EXIT_REFUSED;
	bad = dkimkey_dir_ok(d.dir, d.owner, toperr, sizeof(toperr)) < 0;
	if (bad && errno == ENOENT)
		n = 0, names = NULL;
	else if (dkimkey_domains(d.dir, &names, &n, toperr,
	    sizeof(toperr)) < 0)
		return ctl_refuse(ctl, "%s", toperr);
	r = n > 0 ? dom_redis_try(ctl) : NULL;
	if (ctl->json) {
		j = ctl_json_open(ctl);
		json_arr_begin(j);
	} else if (n > 0)
		printf("%-30s %-24s %-7s %-12s %s\n", "DOMAIN", "ACTIVE",
		    "PENDING", "VERIFIED", "STATUS");
	for (i = 0; i < n; i++)
		list_one(&d, j, r, names[i], bad ? toperr : NULL);
	redis_free(r);
	dkimkey_names_free(names, n);
	if (j == NULL)
		return EXIT_OK;
	json_arr_end(j);
	return ctl_json_close(ctl, j);
}

static void
show_text(struct dom *d, const char *domain, int st, const char *why,
    const struct dom_state *vs, const struct dkimkey_info *v, size_t n)
{
	size_t	 i;

	printf("domain:    %s\ndirectory: %s/%s\nstatus:    %s%s\n", domain,
	    d->dir, domain, status_text(st), st == 1 || st == 3 ? why : "");
	dom_state_text(vs, domain);
	printf("\n");
	if (n > 0)
		printf("%-20s %-9s %-5s %-8s %-7s %s\n", "SELECTOR", "ALGORITHM",
		    "BITS", "STATE", "SAFETY", "FILE");
	for (i = 0; i < n; i++) {
		printf("%-20s %-9s %-5d %-8s %-7s %s\n", v[i].selector,
		    dkimkey_alg_name(v[i].alg), v[i].bits, state_of(&v[i]),
		    v[i].problem[0] ? "UNSAFE" : v[i].warning[0] ? "warning" :
		    "ok", v[i].path);
		if (v[i].problem[0] != '\0')
			printf("  %s: %s\n", v[i].selector, v[i].problem);
		else if (v[i].warning[0] != '\0')
			printf("  %s: warning: %s\n", v[i].selector,
			    v[i].warning);
	}
	if (n > 0) {
		printf("\nDNS records (TXT):\n\n");
		print_records(d, domain, v, n);
	}
}

static int
show_json(struct dom *d, const char *domain, const char *path, int st,
    const char *why, const struct dom_state *vs, const struct dkimkey_info *v,
    size_t n)
{
	struct json	*j;
	size_t		 i;

	j = ctl_json_open(d->ctl);
	json_obj_begin(j);
	json_kv_str(j, "domain", domain);
	json_kv_str(j, "directory", path);
	json_kv_str(j, "status", status_word(st));
	json_kv_str(j, "problem", st == 1 ? why : NULL);
	json_kv_str(j, "warning", st == 3 ? why : NULL);
	dom_state_json(j, vs);
	json_key(j, "selectors");
	json_arr_begin(j);
	for (i = 0; i < n; i++)
		key_json(d, j, domain, &v[i]);
	json_arr_end(j);
	json_obj_end(j);
	return ctl_json_close(d->ctl, j);
}

int
domain_show(struct ctl *ctl, struct ctl_opts *o)
{
	struct dkimkey_info	*v;
	struct dom_state	 vs;
	struct redis		*r;
	struct dom		 d;
	const char		*domain = o->domain;
	char			 path[4096], err[600], top[600];
	size_t			 n;
	int			 st, rc = EXIT_OK;

	if (dom_init(&d, ctl, 0) != 0)
		return EXIT_REFUSED;
	if (dkimkey_path(path, sizeof(path), d.dir, domain, NULL) < 0 ||
	    access(path, F_OK) < 0)
		return ctl_refuse(ctl, "%s: no such domain in %s", domain, d.dir);
	if (dkimkey_list(d.dir, domain, d.owner, d.group, &v, &n, NULL, err,
	    sizeof(err)) < 0)
		return ctl_refuse(ctl, "%s", err);
	if (dkimkey_dir_ok(d.dir, d.owner, top, sizeof(top)) < 0)
		st = domain_status(&d, domain, top, err, sizeof(err));
	else
		st = domain_status(&d, domain, NULL, err, sizeof(err));
	r = dom_redis_try(ctl);
	dom_state_get(ctl, r, domain, &vs);
	redis_free(r);
	if (ctl->json)
		rc = show_json(&d, domain, path, st, err, &vs, v, n);
	else
		show_text(&d, domain, st, err, &vs, v, n);
	free(v);
	return rc;
}
