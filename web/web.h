/*
 * outpost-web -- private header shared by the files of web/.
 *
 * One process, one libevent loop, one evhttp server on web_listen.  Each
 * request is answered at once from Redis through one blocking client
 * (lib/redis.h) and the readers of outpostctl (ctl/ctl.h: the same code
 * reads what "outpostctl user show" and "log" print); every change runs
 * the outpostctl verb itself (run.c), so a change made here is the one
 * the command line makes.  State: the config, the accounts (admins.c),
 * the sessions and login limits (auth.c), all per process.
 *
 * main.c     arguments (--add-admin, -n, -c), config, listen, loop
 * admins.c   the accounts file web_admins:
 *   admins_load(path, err, errlen)     the accounts, or NULL with err
 *                                      (also when group or others may
 *                                      write the file)
 *   admins_free(a)                     NULL-safe, returns NULL
 *   admins_check(a, name, pass)        the role (ROLE_*) if the password
 *                                      is right, else -1
 *   admins_role(a, name)               the role of name, or -1
 *   admins_add(path, user, name, role, pass, err, errlen)
 *                                      add or replace one account, under
 *                                      an flock of path.lock; the file
 *                                      written to a temporary file with
 *                                      the old one's owner, group and
 *                                      mode (none: 0640, group of account
 *                                      user if it exists), renamed, the
 *                                      directory fsynced; 0 / -1
 * auth.c     sessions (32 random bytes, hex), CSRF tokens, login limits:
 *   auth_new() / auth_free(a)
 *   auth_login(a, name, role)          a new session (its id), or NULL
 *                                      when out of room and none expired
 *   auth_find(a, id)                   the live session, or NULL (ended
 *                                      after AUTH_IDLE without a request
 *                                      or AUTH_LIFETIME after the login)
 *   auth_logout(a, id)
 *   auth_throttle(a, key, now)         0, or the seconds to wait: key
 *                                      failed AUTH_TRIES times within
 *                                      AUTH_WINDOW seconds (locked for
 *                                      AUTH_WINDOW from the last one),
 *                                      the process reached its ceiling
 *                                      of failures, or the table of keys
 *                                      is full of live ones
 *   auth_failed(a, key, now)           count a failed login of key
 *   auth_token(a, name, out)           the CSRF token of a trusted-header
 *                                      admin (HMAC of the name with a
 *                                      per-process secret)
 *   auth_equal(x, y)                   1 if the strings are equal (NULL
 *                                      equals nothing), in a time that
 *                                      tells nothing of either
 * http.c     requests: forms, cookies, the page frame, escaping, routes
 * pages.c    overview, users, one user
 * pages2.c   delivery log, suppressions, domains
 * chart.c    SVG line charts drawn by the server
 * static.c   the style sheet and the script, built in
 * run.c      an outpostctl verb run in process, its output captured
 */
#ifndef OUTPOST_WEB_H
#define OUTPOST_WEB_H

#include <stddef.h>
#include <time.h>

#include "../ctl/ctl.h"

#define ROLE_ADMIN	1
#define ROLE_READONLY	0

#define WEB_SECRET_HEADER	"X-Outpost-Proxy-Secret"
#define WEB_SECRET_MIN	16		/* bytes of web_trusted_secret */

#define AUTH_ID_HEX	64		/* 32 random bytes */
#define AUTH_SESSIONS	1024
#define AUTH_IDLE	(8 * 3600)	/* seconds without a request */
#define AUTH_LIFETIME	(12 * 3600)	/* seconds since the login */
#define AUTH_TRIES	5		/* failed logins per key ... */
#define AUTH_WINDOW	60		/* ... per this many seconds */
#define AUTH_GLOBAL_TRIES 100		/* failed logins per window, all keys */

struct evhttp;
struct evhttp_request;
struct evbuffer;
struct evkeyvalq;

struct admins;
struct auth;

struct session {
	char	 id[AUTH_ID_HEX + 1];
	char	 csrf[AUTH_ID_HEX + 1];
	char	 name[128];
	int	 role;
	time_t	 seen;
	time_t	 born;		/* the login */
};

struct web {
	struct ctl	 ctl;		/* conf, and r: the one Redis client */
	struct evhttp	*http;		/* web_serve's server, freed by serve */
	struct admins	*admins;
	struct timespec	 admins_mtime;	/* of the file admins was read from */
	struct auth	*auth;
};

#define WEB_PARTS	16

/* A part of a multipart/form-data body (cut in place in the body). */
struct web_part {
	const char	*name;
	const char	*val;
	size_t		 len;
};

/* One request being answered. */
struct req {
	struct web		*w;
	struct evhttp_request	*ev;
	char			 path[256];
	struct evkeyvalq	*query;		/* GET parameters */
	struct evkeyvalq	*form;		/* POST parameters, or NULL */
	char			*body;		/* the raw body, NUL-ended */
	size_t			 bodylen;
	struct web_part		 parts[WEB_PARTS];	/* multipart */
	size_t			 nparts;
	const char		*admin;		/* NULL: nobody logged in */
	int			 role;
	const char		*csrf;		/* the token of the forms */
	const char		*sid;		/* session id, or NULL */
	struct evbuffer		*out;
	int			 status;
	int			 secure;	/* X-Forwarded-Proto: https */
	char			 flash[1024];	/* a message atop the page */
};

/* admins.c */
struct admins	*admins_load(const char *, char *, size_t);
struct admins	*admins_free(struct admins *);
int		 admins_check(const struct admins *, const char *,
		    const char *);
int		 admins_role(const struct admins *, const char *);
int		 admins_add(const char *, const char *, const char *, int,
		    const char *, char *, size_t);

/* auth.c */
struct auth	*auth_new(void);
struct auth	*auth_free(struct auth *);
struct session	*auth_login(struct auth *, const char *, int, time_t);
struct session	*auth_find(struct auth *, const char *, time_t);
void		 auth_logout(struct auth *, const char *);
int		 auth_throttle(struct auth *, const char *, time_t);
void		 auth_failed(struct auth *, const char *, time_t);
void		 auth_token(const struct auth *, const char *,
		    char[AUTH_ID_HEX + 1]);
int		 auth_random_hex(char *, size_t);
int		 auth_equal(const char *, const char *);

/*
 * http.c -- what a page uses.
 *   hf(q, fmt, ...)     append to the page: %s a string HTML-escaped
 *                       (NULL: nothing), %r a string as is (markup of
 *                       our own), %q a string URL-encoded (a query
 *                       value in a link), %d int, %l long long, %u unsigned long
 *                       long, %% a '%'.  Nothing else.
 *   param(q, name)      a POST parameter (of the body only: the CSRF
 *                       token never comes from the URL) or a GET one,
 *                       or "" (never NULL)
 *   param_file(q, name, &len)   an uploaded file's bytes, or NULL
 *   page_begin(q, title, nav) / page_end(q)   the frame, nav the menu item
 *   csrf_field(q)       the hidden input every POST form carries
 *   redirect(q, to)     303 to a path of ours
 *   send_text(q, status, ctype, body, len)   an answer that is no page
 *   send_static(q, ctype, body, len)   200, cacheable (max-age=86400)
 *   web_serve(w, addr, base, err, errlen)     bind and register (w->http,
 *                                             evhttp_free before base);
 *                                             0 / -1
 */
void		 hf(struct req *, const char *, ...);
const char	*param(struct req *, const char *);
const char	*param_file(struct req *, const char *, size_t *);
void		 page_begin(struct req *, const char *, const char *);
void		 page_end(struct req *);
void		 csrf_field(struct req *);
void		 redirect(struct req *, const char *);
void		 send_text(struct req *, int, const char *, const char *,
		    size_t);
void		 send_static(struct req *, const char *, const char *,
		    size_t);
struct event_base;
int		 web_serve(struct web *, struct event_base *, char *, size_t);

typedef void	 page_fn(struct req *);

/* static.c: the style sheet and the script (see there) */
void		 static_css(struct req *);
void		 static_js(struct req *);
void		 static_link(struct req *);

/*
 * The policy of every answer: nothing from elsewhere, no inline script
 * or style (style= attributes included), scripts and styles of the
 * console's own files only, forms sent to the console only, no framing.
 */
#define WEB_CSP	"default-src 'none'; script-src 'self'; style-src 'self'; " \
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; " \
    "base-uri 'none'"

/* pages.c, pages2.c */
void		 page_overview(struct req *);
void		 page_users(struct req *);
void		 page_user(struct req *);
void		 post_user_state(struct req *);
void		 page_log(struct req *);
void		 page_suppress(struct req *);
void		 post_suppress_add(struct req *);
void		 post_suppress_del(struct req *);
void		 post_suppress_import(struct req *);
void		 get_suppress_export(struct req *);
void		 page_domains(struct req *);
void		 page_domain(struct req *);

/* chart.c: an SVG line chart of ns series of n values each (v[k * n + i]
 * the value of series k at label i; every step-th label shown), title
 * above it, a legend below; what the script reads is in chart.c. */
struct chart {
	const char			*title;
	const char *const		*names;		/* of the series */
	int				 ns;
	const unsigned long long	*v;
	const char *const		*labels;
	int				 n;
	int				 step;
};
void		 chart_lines(struct req *, const struct chart *);

/*
 * run.c -- an outpostctl verb run in this process (ctl_run, a client of
 * its own), its standard output and error captured.
 *   run_ctl(w, argv, out, outlen)   the exit status (EXIT_*); out gets
 *       what it printed, cut at outlen - 1 bytes, NUL-ended.  argv ends
 *       with NULL.  The caller logs the change with the admin's name.
 *   run_ctl_io(w, argv, in, inlen, &out, &outlen)   the same with in as
 *       the verb's standard input (in NULL: none) and all its output in
 *       a malloc'd *out (free it); -1 when no temporary file could be made
 */
int		 run_ctl(struct web *, const char *const *, char *, size_t);
int		 run_ctl_io(struct web *, const char *const *, const char *,
		    size_t, char **, size_t *);

/* pages.c: the Redis error on the page; the log search as a table */
void		 redis_trouble(struct req *, const char *);
void		 log_table(struct req *, struct ctl_opts *);
/* pages2.c: the remove button of one suppression (user NULL: global) */
void		 sup_remove_button(struct req *, const char *, const char *);

#endif
