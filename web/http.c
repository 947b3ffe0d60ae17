/*
 * http -- the requests of outpost-web on evhttp: the route table, who is
 * asking (session cookie or web_trusted_header), the CSRF check of every
 * POST, the role check of every change, forms (urlencoded and
 * multipart/form-data) and the HTML frame of the pages.
 *
 * A session is checked against web_admins at each request (read again
 * when its mtime changes): an account removed ends its sessions, a role
 * changed applies at once.
 *
 * Order of the checks, each one answered before the next is tried:
 *   unknown path 404; wrong method 405; not logged in: a GET goes to
 *   /login (303), a POST is 403; a POST whose "csrf" field is not the
 *   session's token 403; a change by a read-only admin 403.
 * Every answer carries a Content-Security-Policy (WEB_CSP) that allows
 * nothing from elsewhere and no inline script or style, and
 * Cache-Control: no-store -- except the two static files of static.c
 * (max-age), which, like /login, need no login.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "errf.h"
#include "log.h"
#include "netaddr.h"
#include "web.h"

#define COOKIE		"outpost_session"
#define BODY_MAX	(16 * 1024 * 1024)	/* a CSV import */

#define M_GET		1
#define M_POST		2

struct route {
	const char	*path;
	int		 method;
	page_fn		*fn;
	int		 change;	/* admin role only */
	int		 open;		/* answered without a login */
};

static void page_login(struct req *);
static void post_login(struct req *);
static void post_logout(struct req *);

static const struct route routes[] = {
	{ "/login", M_GET, page_login, 0, 1 },
	{ "/login", M_POST, post_login, 0, 1 },
	{ "/static/outpost.css", M_GET, static_css, 0, 1 },
	{ "/static/outpost.js", M_GET, static_js, 0, 1 },
	{ "/logout", M_POST, post_logout, 0, 0 },
	{ "/", M_GET, page_overview, 0, 0 },
	{ "/users", M_GET, page_users, 0, 0 },
	{ "/user", M_GET, page_user, 0, 0 },
	{ "/user/state", M_POST, post_user_state, 1, 0 },
	{ "/log", M_GET, page_log, 0, 0 },
	{ "/suppress", M_GET, page_suppress, 0, 0 },
	{ "/suppress/add", M_POST, post_suppress_add, 1, 0 },
	{ "/suppress/del", M_POST, post_suppress_del, 1, 0 },
	{ "/suppress/import", M_POST, post_suppress_import, 1, 0 },
	{ "/suppress/export", M_GET, get_suppress_export, 0, 0 },
	{ "/domains", M_GET, page_domains, 0, 0 },
	{ "/domain", M_GET, page_domain, 0, 0 },
};
#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

void
hf(struct req *q, const char *fmt, ...)
{
	va_list		 ap;
	const char	*s, *p;
	char		*e;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			evbuffer_add(q->out, p, 1);
			continue;
		}
		switch (*++p) {
		case 's':
			for (s = va_arg(ap, const char *); s && *s; s++) {
				switch (*s) {
				case '&': evbuffer_add(q->out, "&amp;", 5); break;
				case '<': evbuffer_add(q->out, "&lt;", 4); break;
				case '>': evbuffer_add(q->out, "&gt;", 4); break;
				case '"': evbuffer_add(q->out, "&quot;", 6); break;
				case '\'': evbuffer_add(q->out, "&#39;", 5); break;
				default: evbuffer_add(q->out, s, 1);
				}
			}
			break;
		case 'r':
			if ((s = va_arg(ap, const char *)) != NULL)
				evbuffer_add(q->out, s, strlen(s));
			break;
		case 'q':	/* URL-encoded: nothing left to escape */
			if ((s = va_arg(ap, const char *)) != NULL &&
			    (e = evhttp_uriencode(s, -1, 0)) != NULL) {
				evbuffer_add(q->out, e, strlen(e));
				free(e);
			}
			break;
		case 'd':
			evbuffer_add_printf(q->out, "%d", va_arg(ap, int));
			break;
		case 'l':
			evbuffer_add_printf(q->out, "%lld",
			    va_arg(ap, long long));
			break;
		case 'u':
			evbuffer_add_printf(q->out, "%llu",
			    va_arg(ap, unsigned long long));
			break;
		case '%':
			evbuffer_add(q->out, "%", 1);
			break;
		default:		/* a bug of ours: show it */
			evbuffer_add(q->out, "%?", 2);
			if (*p == '\0')
				p--;
		}
	}
	va_end(ap);
}

const char *
param(struct req *q, const char *name)
{
	const char	*v;
	size_t		 i;

	if (q->form != NULL && (v = evhttp_find_header(q->form, name)) != NULL)
		return v;
	for (i = 0; i < q->nparts; i++)
		if (strcmp(q->parts[i].name, name) == 0)
			return q->parts[i].val;
	if (q->body == NULL && q->query != NULL &&	/* a POST: body only */
	    (v = evhttp_find_header(q->query, name)) != NULL)
		return v;
	return "";
}

/* ---- multipart/form-data -------------------------------------------- */

/* The parts of a multipart body, cut in place (each value NUL-ended in
 * the body copy, which has room: the boundary follows every value). */
static void
multipart_parse(struct req *q, const char *ctype)
{
	char		 bnd[256];
	const char	*b;
	char		*p, *end = q->body + q->bodylen, *hdr, *val, *next;
	char		*nm, *nmend;
	size_t		 bl;

	q->nparts = 0;
	if ((b = strstr(ctype, "boundary=")) == NULL)
		return;
	b += 9;
	if (*b == '"')
		b++;
	bl = (size_t)snprintf(bnd, sizeof(bnd), "\r\n--%.*s", (int)strcspn(b,
	    "\";"), b);
	if (bl >= sizeof(bnd))
		return;
	/* the first boundary has no CRLF before it */
	if ((p = (char *)memmem(q->body, q->bodylen, bnd + 2, bl - 2)) == NULL)
		return;
	p += bl - 2;
	while (q->nparts < WEB_PARTS && p + 2 <= end &&
	    strncmp(p, "\r\n", 2) == 0) {
		hdr = p + 2;
		if ((val = (char *)memmem(hdr, (size_t)(end - hdr), "\r\n\r\n",
		    4)) == NULL)
			return;
		*val = '\0';
		val += 4;
		if ((next = (char *)memmem(val, (size_t)(end - val), bnd,
		    bl)) == NULL)
			return;
		if ((nm = strcasestr(hdr, "name=\"")) != NULL &&
		    (nm == hdr || nm[-1] != 'e') &&	/* not filename= */
		    (nmend = strchr(nm + 6, '"')) != NULL) {
			*nmend = '\0';
			q->parts[q->nparts].name = nm + 6;
			q->parts[q->nparts].val = val;
			q->parts[q->nparts].len = (size_t)(next - val);
			q->nparts++;
		}
		*next = '\0';
		p = next + bl;
	}
}

/* The bytes of an uploaded part (its length in *len), or NULL. */
const char *
param_file(struct req *q, const char *name, size_t *len)
{
	size_t	 i;

	for (i = 0; i < q->nparts; i++)
		if (strcmp(q->parts[i].name, name) == 0) {
			*len = q->parts[i].len;
			return q->parts[i].val;
		}
	return NULL;
}

/* ---- frame ----------------------------------------------------------- */

void
csrf_field(struct req *q)
{
	hf(q, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	    q->csrf);
}

void
page_begin(struct req *q, const char *title, const char *nav)
{
	static const char *const items[][2] = {
		{ "/", "Overview" }, { "/users", "Users" },
		{ "/log", "Delivery log" }, { "/suppress", "Suppressions" },
		{ "/domains", "Domains" },
	};
	size_t	 i;

	hf(q, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "<title>%s - outpost</title>", title);
	static_link(q);
	hf(q, "</head><body><header><strong>outpost</strong>");
	for (i = 0; q->admin != NULL && i < sizeof(items) / sizeof(items[0]);
	    i++)
		hf(q, "<a href=\"%r\"%r>%r</a>", items[i][0],
		    nav && strcmp(nav, items[i][0]) == 0 ?
		    " aria-current=\"page\"" : "", items[i][1]);
	if (q->admin != NULL) {
		hf(q, "<form method=\"post\" action=\"/logout\">%s (%r) ",
		    q->admin, q->role == ROLE_ADMIN ? "admin" : "read-only");
		csrf_field(q);
		hf(q, "<button data-test=\"logout\">Log out</button></form>");
	}
	hf(q, "</header><main><h1>%s</h1>", title);
	if (q->flash[0] != '\0')
		hf(q, "<p class=\"flash%r\" data-test=\"flash\">%s</p>",
		    q->status >= 400 ? " err" : "", q->flash);
}

void
page_end(struct req *q)
{
	hf(q, "</main></body></html>\n");
}

static void
headers_cc(struct req *q, const char *ctype, const char *cache)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(q->ev);

	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", cache);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "same-origin");
	evhttp_add_header(h, "Content-Security-Policy", WEB_CSP);
}

static void
headers(struct req *q, const char *ctype)
{
	headers_cc(q, ctype, "no-store");
}

void
redirect(struct req *q, const char *to)
{
	evhttp_add_header(evhttp_request_get_output_headers(q->ev),
	    "Location", to);
	q->status = 303;
}

void
send_text(struct req *q, int status, const char *ctype, const char *body,
    size_t len)
{
	evbuffer_drain(q->out, evbuffer_get_length(q->out));
	evbuffer_add(q->out, body, len);
	headers(q, ctype);
	q->status = -status;	/* headers set: reply() adds none */
}

void
send_static(struct req *q, const char *ctype, const char *body, size_t len)
{
	evbuffer_drain(q->out, evbuffer_get_length(q->out));
	evbuffer_add(q->out, body, len);
	headers_cc(q, ctype, "public, max-age=86400");
	q->status = -200;
}

static void
refuse(struct req *q, int status, const char *why)
{
	evbuffer_drain(q->out, evbuffer_get_length(q->out));
	q->status = status;
	snprintf(q->flash, sizeof(q->flash), "%s", why);
	page_begin(q, status == 403 ? "Forbidden" : status == 429 ?
	    "Too many attempts" : status == 404 ? "Not found" : "Refused",
	    NULL);
	page_end(q);
}

/* ---- login ----------------------------------------------------------- */

static void
login_form(struct req *q)
{
	page_begin(q, "Log in", NULL);
	hf(q, "<form method=\"post\" action=\"/login\"><p><label>Name "
	    "<input name=\"name\" data-test=\"login-user\" autocomplete="
	    "\"username\" required></label></p><p><label>Password <input "
	    "type=\"password\" name=\"password\" data-test=\"login-password\""
	    " autocomplete=\"current-password\" required></label></p>"
	    "<p><button data-test=\"login-submit\">Log in</button></p>"
	    "</form>");
	page_end(q);
}

static void
page_login(struct req *q)
{
	if (q->admin != NULL) {
		redirect(q, "/");
		return;
	}
	login_form(q);
}

static const char *
client_addr(struct req *q)
{
	struct evhttp_connection	*c = evhttp_request_get_connection(q->ev);
	const char			*host = NULL;
	ev_uint16_t			 port;

	if (c != NULL)
		evhttp_connection_get_peer(c, (char **)&host, &port);
	return host != NULL ? host : "?";
}

static void
admins_fresh(struct web *w)
{
	struct stat		 st;
	struct admins		*a;
	char			 err[512];

	if (stat(w->ctl.conf.web_admins, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (w->admins != NULL && st.st_mtim.tv_sec == w->admins_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == w->admins_mtime.tv_nsec)
		return;
	if ((a = admins_load(w->ctl.conf.web_admins, err, sizeof(err))) ==
	    NULL) {
		log_err("accounts not reloaded: %s", err);
		return;
	}
	admins_free(w->admins);
	w->admins = a;
	w->admins_mtime = st.st_mtim;
}

static void
post_login(struct req *q)
{
	const char	*name = param(q, "name"), *addr = client_addr(q);
	char		 k1[192], ra[16], cookie[256];
	struct session	*s;
	int		 wait, role;
	time_t		 now = time(NULL);

	/* The pair: failures for a name elsewhere never lock out its owner
	 * here; another name tried here is another pair. */
	snprintf(k1, sizeof(k1), "%.46s %.140s", addr, name);
	if ((wait = auth_throttle(q->w->auth, k1, now)) > 0) {
		log_warn("login refused: too many attempts: client=%s name=%s",
		    addr, name);
		snprintf(ra, sizeof(ra), "%d", wait);
		evhttp_add_header(evhttp_request_get_output_headers(q->ev),
		    "Retry-After", ra);
		refuse(q, 429, "Too many login attempts: wait a minute.");
		return;
	}
	admins_fresh(q->w);
	if ((role = admins_check(q->w->admins, name, param(q, "password")))
	    < 0) {
		log_warn("login failed: client=%s name=%s", addr, name);
		auth_failed(q->w->auth, k1, now);
		q->status = 401;
		snprintf(q->flash, sizeof(q->flash), "Wrong name or password.");
		login_form(q);
		return;
	}
	if ((s = auth_login(q->w->auth, name, role, now)) == NULL) {
		refuse(q, 503, "No session could be made.");
		return;
	}
	log_info("login: admin=%s role=%s client=%s", name, role ==
	    ROLE_ADMIN ? "admin" : "read-only", addr);
	snprintf(cookie, sizeof(cookie), "%s=%s; Path=/; HttpOnly; "
	    "SameSite=Strict%s", COOKIE, s->id, q->secure ? "; Secure" : "");
	evhttp_add_header(evhttp_request_get_output_headers(q->ev),
	    "Set-Cookie", cookie);
	redirect(q, "/");
}

static void
post_logout(struct req *q)
{
	char	 cookie[128];

	log_info("logout: admin=%s", q->admin);
	auth_logout(q->w->auth, q->sid);
	snprintf(cookie, sizeof(cookie), "%s=; Path=/; HttpOnly; "
	    "SameSite=Strict; Max-Age=0", COOKIE);
	evhttp_add_header(evhttp_request_get_output_headers(q->ev),
	    "Set-Cookie", cookie);
	redirect(q, q->w->ctl.conf.web_trusted_header[0] ? "/" : "/login");
}

/* ---- dispatch -------------------------------------------------------- */

/* The session cookie's value, or NULL. */
static const char *
cookie_sid(struct req *q, char *buf, size_t len)
{
	const char	*c, *p;
	size_t		 n;

	c = evhttp_find_header(evhttp_request_get_input_headers(q->ev),
	    "Cookie");
	for (p = c; p != NULL && (p = strstr(p, COOKIE "=")) != NULL;
	    p += sizeof(COOKIE)) {
		if (p != c && p[-1] != ' ' && p[-1] != ';')
			continue;
		p += sizeof(COOKIE);
		n = strcspn(p, "; ");
		if (n >= len)
			return NULL;
		memcpy(buf, p, n);
		buf[n] = '\0';
		return buf;
	}
	return NULL;
}

/* Who asks: the trusted header, or the session.  0, or -1 (refused). */
static int
identify(struct req *q, struct session **sp, char *tok)
{
	struct web	*w = q->w;
	const char	*hn = w->ctl.conf.web_trusted_header, *v;
	char		 sid[AUTH_ID_HEX + 2];
	struct session	*s;

	*sp = NULL;
	if (*hn != '\0') {
		if (!auth_equal(evhttp_find_header(
		    evhttp_request_get_input_headers(q->ev), WEB_SECRET_HEADER),
		    w->ctl.conf.web_trusted_secret)) {
			log_warn("refused: no or a wrong %s (not from the "
			    "proxy): client=%s", WEB_SECRET_HEADER,
			    client_addr(q));
			refuse(q, 403, "This console answers its proxy only.");
			return -1;
		}
		v = evhttp_find_header(evhttp_request_get_input_headers(q->ev),
		    hn);
		admins_fresh(w);
		if (v == NULL || (q->role = admins_role(w->admins, v)) < 0) {
			log_warn("refused: header %s names no account in %s: "
			    "%s", hn, w->ctl.conf.web_admins, v ? v : "(none)");
			refuse(q, 403, "Your name is not an account of this "
			    "console.");
			return -1;
		}
		q->admin = v;
		auth_token(w->auth, v, tok);
		q->csrf = tok;
		return 0;
	}
	if ((s = auth_find(w->auth, cookie_sid(q, sid, sizeof(sid)),
	    time(NULL))) != NULL) {
		admins_fresh(w);	/* the account as it is now */
		if ((s->role = admins_role(w->admins, s->name)) < 0) {
			log_warn("session ended: admin=%s is no longer in %s",
			    s->name, w->ctl.conf.web_admins);
			auth_logout(w->auth, s->id);
			return 0;
		}
		q->admin = s->name;
		q->role = s->role;
		q->csrf = s->csrf;
		q->sid = s->id;
		*sp = s;
	}
	return 0;
}

static int
same_token(const char *a, const char *b)
{
	return *b != '\0' && auth_equal(a, b);
}

static int
read_body(struct req *q)
{
	struct evbuffer	*in = evhttp_request_get_input_buffer(q->ev);
	const char	*ct;
	size_t		 n = evbuffer_get_length(in);

	if ((q->body = malloc(n + 1)) == NULL)
		return -1;
	evbuffer_remove(in, q->body, n);
	q->body[n] = '\0';
	q->bodylen = n;
	ct = evhttp_find_header(evhttp_request_get_input_headers(q->ev),
	    "Content-Type");
	if (ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0) {
		multipart_parse(q, ct);
		return 0;
	}
	if ((q->form = calloc(1, sizeof(*q->form))) == NULL)
		return -1;
	TAILQ_INIT(q->form);
	return evhttp_parse_query_str(q->body, q->form) < 0 ? 1 : 0;
}

static const struct route *
route_of(struct req *q, int method, int *wrong_method)
{
	size_t	 i;

	*wrong_method = 0;
	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].path, q->path) != 0)
			continue;
		if (routes[i].method == method)
			return &routes[i];
		*wrong_method = 1;
	}
	return NULL;
}

static void
dispatch(struct req *q, int method)
{
	const struct route	*rt;
	struct session		*s;
	char			 tok[AUTH_ID_HEX + 1];
	int			 wrong;

	if ((rt = route_of(q, method, &wrong)) == NULL) {
		if (wrong)
			evhttp_add_header(evhttp_request_get_output_headers(
			    q->ev), "Allow", method == M_GET ? "POST" : "GET");
		refuse(q, wrong ? 405 : 404, wrong ? "Method not allowed." :
		    "No such page.");
		return;
	}
	if (identify(q, &s, tok) < 0)
		return;
	if (!rt->open && q->admin == NULL) {
		if (method == M_GET)
			redirect(q, "/login");
		else
			refuse(q, 403, "Not logged in.");
		return;
	}
	if (method == M_POST && rt->fn != post_login &&
	    !same_token(param(q, "csrf"), q->csrf)) {
		log_warn("refused: POST %s without the right CSRF token: "
		    "admin=%s client=%s", q->path, q->admin, client_addr(q));
		refuse(q, 403, "This form has expired or was not sent by this "
		    "console (CSRF token missing or wrong): reload the page.");
		return;
	}
	if (rt->change && q->role != ROLE_ADMIN) {
		log_warn("refused: %s by read-only admin=%s", q->path,
		    q->admin);
		refuse(q, 403, "Your account is read-only.");
		return;
	}
	rt->fn(q);
}

static void
answer(struct evhttp_request *ev, void *arg)
{
	struct req		 q;
	struct evkeyvalq	 query;
	const struct evhttp_uri	*u = evhttp_request_get_evhttp_uri(ev);
	const char		*path = u ? evhttp_uri_get_path(u) : NULL;
	const char		*qs = u ? evhttp_uri_get_query(u) : NULL;
	const char		*xf;
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(ev);
	int			 method = cmd == EVHTTP_REQ_POST ? M_POST : M_GET;

	memset(&q, 0, sizeof(q));
	q.w = arg;
	q.ev = ev;
	q.status = 200;
	TAILQ_INIT(&query);
	q.query = &query;
	snprintf(q.path, sizeof(q.path), "%s", path && *path ? path : "/");
	xf = evhttp_find_header(evhttp_request_get_input_headers(ev),
	    "X-Forwarded-Proto");
	q.secure = xf != NULL && strcasecmp(xf, "https") == 0;
	if ((q.out = evbuffer_new()) == NULL) {
		evhttp_send_error(ev, HTTP_INTERNAL, NULL);
		return;
	}
	if (qs != NULL)
		evhttp_parse_query_str(qs, &query);
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD &&
	    cmd != EVHTTP_REQ_POST)
		refuse(&q, 405, "Method not allowed.");
	else if (method == M_POST && read_body(&q) != 0)
		refuse(&q, 400, "The form could not be read.");
	else
		dispatch(&q, method);
	if (q.status > 0)
		headers(&q, "text/html; charset=utf-8");
	evhttp_send_reply(ev, q.status > 0 ? q.status : -q.status, NULL,
	    q.out);
	evbuffer_free(q.out);
	evhttp_clear_headers(&query);
	if (q.form != NULL) {
		evhttp_clear_headers(q.form);
		free(q.form);
	}
	free(q.body);
}

int
web_serve(struct web *w, struct event_base *base, char *err, size_t errlen)
{
	struct evhttp	*http;
	struct netaddr	 a;

	if (netaddr_parse(w->ctl.conf.web_listen, &a, err, errlen) < 0)
		return -1;
	if ((http = w->http = evhttp_new(base)) == NULL)
		return errf(err, errlen, "evhttp_new failed");
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST);
	evhttp_set_timeout(http, 30);
	evhttp_set_max_headers_size(http, 16384);
	evhttp_set_max_body_size(http, BODY_MAX);
	evhttp_set_gencb(http, answer, w);
	if (evhttp_bind_socket(http, a.host, (unsigned short)atoi(a.port)) < 0)
		return errf(err, errlen, "web_listen %s: cannot listen",
		    w->ctl.conf.web_listen);
	return 0;
}
