/*
 * pages2 -- the delivery log search, the suppressions and the domains.
 *
 * log          the filters of "outpostctl log" (ctl_log_search: one index
 *              read, no scan)
 * suppress     look an address up (the global list and, with a user,
 *              that user's list: one HGET each, sup_where), add, remove,
 *              import a CSV upload, export the CSV: the changes and the
 *              export are the outpostctl verbs (run.c)
 * domains      the domains of Pdomains with their verification state
 *              (dom_state_get), "outpostctl domain list"; one domain:
 *              "outpostctl domain show" (the records to publish) and the
 *              last "domain verify" result stored in Pdomain:DOMAIN
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/http.h>

#include "log.h"
#include "mailaddr.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"
#include "web.h"

static const char *
opt(struct req *q, const char *name)
{
	const char	*v = param(q, name);

	return *v != '\0' ? v : NULL;
}

static void
field(struct req *q, const char *label, const char *name, const char *hint)
{
	hf(q, "<label>%s <input name=\"%s\" value=\"%s\" placeholder=\"%s\">"
	    "</label> ", label, name, param(q, name), hint);
}

void
page_log(struct req *q)
{
	static const char *const st[] = { "", "delivered", "deferred",
	    "bounced", "expired", "refused" };
	struct ctl_opts	 o;
	const char	*cur = param(q, "status");
	size_t		 i;

	page_begin(q, "Delivery log", "/log");
	hf(q, "<form method=\"get\" action=\"/log\">");
	field(q, "User", "user", "name or [IP]");
	field(q, "Recipient", "rcpt", "address");
	field(q, "Sender", "from", "address");
	field(q, "Queue ID", "qid", "");
	hf(q, "<label>Status <select name=\"status\">");
	for (i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		hf(q, "<option%r>%r</option>", strcmp(cur, st[i]) == 0 ?
		    " selected" : "", st[i]);
	hf(q, "</select></label> ");
	field(q, "Since", "since", "2h, 7d, 2026-12-01");
	field(q, "Until", "until", "");
	field(q, "Limit", "limit", "50");
	hf(q, "<button data-test=\"log-search\">Search</button></form>");
	memset(&o, 0, sizeof(o));
	o.user = opt(q, "user"), o.rcpt = opt(q, "rcpt");
	o.from = opt(q, "from"), o.qid = opt(q, "qid");
	o.status = opt(q, "status"), o.since = opt(q, "since");
	o.until = opt(q, "until"), o.limit = opt(q, "limit");
	if (o.user != NULL && !schema_who_valid(o.user))
		hf(q, "<p class=\"flash err\">Not a user name or [IP].</p>");
	else
		log_table(q, &o);
	page_end(q);
}

/* ---- suppressions ---------------------------------------------------- */

void
sup_remove_button(struct req *q, const char *addr, const char *user)
{
	if (q->role != ROLE_ADMIN)
		return;
	hf(q, "<form class=\"inline\" method=\"post\" action=\"/suppress/del\">");
	csrf_field(q);
	hf(q, "<input type=\"hidden\" name=\"address\" value=\"%s\">", addr);
	if (user != NULL)
		hf(q, "<input type=\"hidden\" name=\"user\" value=\"%s\">",
		    user);
	hf(q, "<button data-test=\"suppress-remove\" data-confirm=\"Remove "
	    "this suppression?\">Remove</button></form>");
}

/* One list's entry of addr (user NULL: global), as a row. */
static int
sup_row(struct req *q, const char *addr, const char *user)
{
	struct sup_where	 w;
	struct schema_sup	 e;
	char			 c[SUPCSV_TIME_MAX], x[SUPCSV_TIME_MAX];
	redisReply		*v;
	const char		*av[3];
	size_t			 al[3];
	int			 live;

	if (sup_where(&q->w->ctl, user, addr, &w) < 0)
		return 0;
	av[0] = "HGET", av[1] = w.key, av[2] = w.field;
	al[0] = 4, al[1] = strlen(w.key), al[2] = (size_t)w.flen;
	if ((v = redis_commandv(q->w->ctl.r, 3, av, al)) == NULL) {
		redis_trouble(q, "suppressions");
		return 0;
	}
	live = v->type == REDIS_REPLY_STRING &&
	    schema_sup_decode(v->str, &e) == 0 &&
	    (e.expires == 0 || e.expires > (long long)time(NULL));
	freeReplyObject(v);
	if (!live)
		return 0;
	hf(q, "<tr data-test=\"sup-entry\"><td>%s</td><td>%s</td><td>%s</td>"
	    "<td>%s</td><td>%s</td><td>", addr, user ? user : "(global)",
	    supcsv_reason_name(e.reason), supcsv_format_time(e.created, c,
	    sizeof(c)), e.expires ? supcsv_format_time(e.expires, x,
	    sizeof(x)) : "never");
	sup_remove_button(q, addr, user);
	hf(q, "</td></tr>");
	return 1;
}

static void
sup_forms(struct req *q)
{
	static const char *const reasons[] = { "manual", "hard-bounce",
	    "complaint", "unsubscribe" };
	size_t	 i;

	hf(q, "<p><a href=\"/suppress/export\" data-test=\"suppress-export\">"
	    "Export the global list (CSV)</a></p>");
	if (q->role != ROLE_ADMIN)
		return;
	hf(q, "<h2>Add</h2><form method=\"post\" action=\"/suppress/add\">");
	csrf_field(q);
	hf(q, "<label>Address <input name=\"address\" required></label> "
	    "<label>User (empty: global) <input name=\"user\"></label> "
	    "<label>Reason <select name=\"reason\">");
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		hf(q, "<option>%r</option>", reasons[i]);
	hf(q, "</select></label> <label>Expires after <input name=\"ttl\" "
	    "placeholder=\"30d (empty: never)\"></label> <button data-test="
	    "\"suppress-add\">Add</button></form>");
	hf(q, "<h2>Import</h2><form method=\"post\" action=\"/suppress/import\" "
	    "enctype=\"multipart/form-data\">");
	csrf_field(q);
	hf(q, "<label>CSV file (as exported) <input type=\"file\" name=\"csv\" "
	    "accept=\".csv,text/csv\" required></label> <label>User (empty: "
	    "global) <input name=\"user\"></label> <button data-test="
	    "\"suppress-import\">Import</button></form>");
}

static void
sup_page(struct req *q)
{
	const char	*a = param(q, "address"), *user = opt(q, "user");
	char		 addr[MAILADDR_MAX + 1], err[256];
	int		 n = 0;

	page_begin(q, "Suppressions", "/suppress");
	hf(q, "<form method=\"get\" action=\"/suppress\"><label>Address "
	    "<input name=\"address\" value=\"%s\" data-test=\"suppress-search\""
	    "></label> <label>User (optional) <input name=\"user\" value=\"%s\""
	    "></label> <button>Look up</button></form>", a, user);
	if (*a != '\0' && mailaddr_norm(a, addr, sizeof(addr), err,
	    sizeof(err)) < 0)
		hf(q, "<p class=\"flash err\">Not an address: %s</p>", err);
	else if (*a != '\0') {
		schema_sup_addr(&q->w->ctl.conf, addr);
		hf(q, "<table data-test=\"sups\"><tr><th>address</th><th>list"
		    "</th><th>reason</th><th>since</th><th>expires</th><th></th>"
		    "</tr>");
		n += sup_row(q, addr, NULL);
		if (user != NULL && schema_user_valid(user))
			n += sup_row(q, addr, user);
		hf(q, "</table>%r", n == 0 ? "<p data-test=\"sup-none\">Not "
		    "suppressed.</p>" : "");
	}
	sup_forms(q);
	page_end(q);
}

void
page_suppress(struct req *q)
{
	sup_page(q);
}

/* Run a suppress verb for the form; the page again with its answer. */
static void
sup_change(struct req *q, const char *const *av, const char *what)
{
	int	 rc;

	rc = run_ctl(q->w, av, q->flash, sizeof(q->flash));
	log_warn("change: admin=%s suppress %s %s%s%s: %s", q->admin, what,
	    param(q, "address"), *param(q, "user") ? " user=" : "",
	    param(q, "user"), rc == EXIT_OK ? "done" : q->flash);
	if (rc != EXIT_OK)
		q->status = rc == EXIT_USAGE ? 400 : 409;
	sup_page(q);
}

void
post_suppress_add(struct req *q)
{
	const char	*av[12] = { "suppress", "add" };
	int		 n = 2;

	if (opt(q, "user"))
		av[n++] = "--user", av[n++] = param(q, "user");
	if (opt(q, "reason"))
		av[n++] = "--reason", av[n++] = param(q, "reason");
	if (opt(q, "ttl"))
		av[n++] = "--ttl", av[n++] = param(q, "ttl");
	av[n++] = "--";		/* an address is never an option */
	av[n++] = param(q, "address");
	av[n] = NULL;
	sup_change(q, av, "add");
}

void
post_suppress_del(struct req *q)
{
	const char	*av[7] = { "suppress", "del", "--", param(q, "address") };

	if (opt(q, "user"))	/* the options before "--" */
		av[2] = "--user", av[3] = param(q, "user"), av[4] = "--",
		    av[5] = param(q, "address");
	sup_change(q, av, "del");
}

void
post_suppress_import(struct req *q)
{
	const char	*av[7] = { "suppress", "import", "--", "-" };
	const char	*csv;
	char		*out;
	size_t		 len, outlen;
	int		 rc;

	if ((csv = param_file(q, "csv", &len)) == NULL) {
		q->status = 400;
		snprintf(q->flash, sizeof(q->flash), "No CSV file was sent.");
		sup_page(q);
		return;
	}
	if (opt(q, "user"))
		av[2] = "--user", av[3] = param(q, "user"), av[4] = "--",
		    av[5] = "-";
	rc = run_ctl_io(q->w, av, csv, len, &out, &outlen);
	snprintf(q->flash, sizeof(q->flash), "%s", rc < 0 ?
	    "the import could not be run" : out);
	log_warn("change: admin=%s suppress import (%zu bytes)%s%s: %s",
	    q->admin, len, opt(q, "user") ? " user=" : "", param(q, "user"),
	    rc == EXIT_OK ? "done" : q->flash);
	free(out);
	if (rc != EXIT_OK)
		q->status = 409;
	sup_page(q);
}

void
get_suppress_export(struct req *q)
{
	const char	*av[6] = { "suppress", "export" };
	char		*out;
	size_t		 outlen;
	int		 rc;

	if (opt(q, "user"))
		av[2] = "--user", av[3] = param(q, "user");
	rc = run_ctl_io(q->w, av, NULL, 0, &out, &outlen);
	if (rc != EXIT_OK) {
		q->status = 409;
		snprintf(q->flash, sizeof(q->flash), "%s", out ? out :
		    "the export could not be run");
		free(out);
		sup_page(q);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(q->ev),
	    "Content-Disposition", "attachment; filename=\"suppressions.csv\"");
	send_text(q, 200, "text/csv; charset=utf-8", out, outlen);
	free(out);
}

/* ---- domains --------------------------------------------------------- */

static void
run_pre(struct req *q, const char *const *av)
{
	char	*out;
	size_t	 n;

	if (run_ctl_io(q->w, av, NULL, 0, &out, &n) < 0) {
		hf(q, "<p class=\"flash err\">could not be run</p>");
		return;
	}
	hf(q, "<pre>%s</pre>", out);
	free(out);
}

void
page_domains(struct req *q)
{
	static const char *const av[] = { "domain", "list", NULL };
	struct dom_state	 st;
	char			 key[SCHEMA_KEY_MAX], t[SUPCSV_TIME_MAX];
	redisReply		*m;
	size_t			 i;

	page_begin(q, "Domains", "/domains");
	schema_key_global(&q->w->ctl.conf, SCHEMA_DOMAINS, key, sizeof(key));
	if ((m = redis_command(q->w->ctl.r, "SMEMBERS %s", key)) == NULL) {
		redis_trouble(q, "domains");
		page_end(q);
		return;
	}
	hf(q, "<h2>Verification</h2><table data-test=\"domains\"><tr><th>"
	    "domain</th><th>state</th><th>last checked</th><th>why not "
	    "verified</th></tr>");
	for (i = 0; i < m->elements && i < 1000; i++) {
		dom_state_get(&q->w->ctl, q->w->ctl.r, m->element[i]->str, &st);
		hf(q, "<tr><td><a href=\"/domain?d=%q\">%s</a></td><td>%s</td>"
		    "<td>%s</td><td>%s</td></tr>", m->element[i]->str,
		    m->element[i]->str, dom_state_word(&st), st.checked ?
		    supcsv_format_time(st.checked, t, sizeof(t)) : "never",
		    st.reasons);
	}
	hf(q, "</table>%r", m->elements ? "" : "<p>No domain was verified "
	    "yet (<code>outpostctl domain verify</code>).</p>");
	freeReplyObject(m);
	hf(q, "<h2>Keys (outpostctl domain list)</h2>");
	run_pre(q, av);
	page_end(q);
}

void
page_domain(struct req *q)
{
	const char	*d = param(q, "d");
	const char	*av[] = { "domain", "show", "--", d, NULL };
	char		 key[SCHEMA_KEY_MAX], title[300];
	redisReply	*v;

	snprintf(title, sizeof(title), "Domain %s", d);
	page_begin(q, title, "/domains");
	hf(q, "<h2>Keys and the records to publish</h2>");
	run_pre(q, av);
	hf(q, "<h2>Last verification</h2>");
	if (schema_key_domain(&q->w->ctl.conf, d, key, sizeof(key)) < 0 ||
	    (v = redis_command(q->w->ctl.r, "HMGET %s state checked reasons "
	    "results", key)) == NULL) {
		hf(q, "<p>Not known.</p>");
		page_end(q);
		return;
	}
	if (v->elements == 4 && v->element[0]->type == REDIS_REPLY_STRING)
		hf(q, "<p>%s, checked %s; %s</p><pre data-test=\"verify-result\""
		    ">%s</pre>", v->element[0]->str, v->element[1]->str ?
		    v->element[1]->str : "", v->element[2]->str ?
		    v->element[2]->str : "", v->element[3]->str ?
		    v->element[3]->str : "");
	else
		hf(q, "<p>Never verified: <code>outpostctl domain verify %s"
		    "</code>.</p>", d);
	freeReplyObject(v);
	page_end(q);
}
