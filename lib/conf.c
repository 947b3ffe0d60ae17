/*
 * conf -- typed configuration table and loader; see conf.h.
 *
 * One row per key: name, type, default text, bounds or allowed words, the
 * offset of its field in struct conf, and an optional check for values a
 * type alone cannot judge (addresses, CIDR lists, algorithm names).  The
 * defaults are parsed by the same code as the file, so a default can never
 * be a value the loader would refuse.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "conf.h"
#include "redis.h"
#include "errf.h"
#include "secret.h"
#include "netaddr.h"

enum conf_type { CT_STR, CT_INT, CT_BOOL, CT_DURATION, CT_LIST, CT_ENUM,
	CT_RATE };

typedef int (*conf_check)(const char *, char *, size_t);

struct conf_key {
	const char		*name;
	enum conf_type		 type;
	const char		*def;
	size_t			 off;
	long			 min, max;	/* CT_INT, CT_DURATION (ms),
						   CT_RATE (ppm) */
	const char *const	*words;		/* CT_ENUM, CT_LIST items */
	conf_check		 check;		/* each value or list item */
};

static const char *const w_level[] = { "debug", "info", "warning", "error",
    NULL };
static const int level_val[] = { LOG_DEBUG, LOG_INFO, LOG_WARNING, LOG_ERR };
static const char *const w_dest[] = { "syslog", "stderr", NULL };
static const char *const w_onerr[] = { "defer", "accept", NULL };
static const char *const w_mode[] = { "auto", "sign", "verify", NULL };
static const char *const w_unknown[] = { "reject", "default", NULL };
static const char *const w_align[] = { "no", "warn", "yes", NULL };
static const char *const w_org[] = { "treewalk", "psl", NULL };
static const char *const w_dnserr[] = { "tempfail", "accept", NULL };
static const char *const w_algs[] = { "rsa-sha256", "ed25519-sha256", NULL };

static int check_address(const char *, char *, size_t);
static int check_cidr(const char *, char *, size_t);
static int check_ip(const char *, char *, size_t);
static int check_canon(const char *, char *, size_t);
static int check_header(const char *, char *, size_t);
static int check_redis(const char *, char *, size_t);
static int check_nameserver(const char *, char *, size_t);
static int check_abspath(const char *, char *, size_t);
static int check_optpath(const char *, char *, size_t);
static int check_pidfile(const char *, char *, size_t);
static int check_logsource(const char *, char *, size_t);
static int check_metrics(const char *, char *, size_t);
static int check_web(const char *, char *, size_t);
static int check_header_name(const char *, char *, size_t);

#define F(x)	offsetof(struct conf, x)
#define DAY	(86400L * 1000)

static const struct conf_key keys[] = {
	{ "redis_address", CT_STR, "127.0.0.1:6379", F(redis_address),
	    0, 0, NULL, check_redis },
	{ "redis_password", CT_STR, "", F(redis_password), 0, 0, NULL, NULL },
	{ "redis_password_file", CT_STR, "", F(redis_password_file), 0, 0,
	    NULL, check_optpath },
	{ "redis_username", CT_STR, "", F(redis_username), 0, 0, NULL, NULL },
	{ "redis_db", CT_INT, "0", F(redis_db), 0, 1000000, NULL, NULL },
	{ "redis_sentinel_password", CT_STR, "", F(redis_sentinel_password),
	    0, 0, NULL, NULL },
	{ "redis_sentinel_username", CT_STR, "", F(redis_sentinel_username),
	    0, 0, NULL, NULL },
	{ "redis_min_replicas", CT_INT, "0", F(redis_min_replicas), 0, 64,
	    NULL, NULL },
	{ "redis_prefix", CT_STR, "outpost:", F(redis_prefix), 0, 0, NULL,
	    NULL },
	{ "redis_timeout", CT_DURATION, "2s", F(redis_timeout), 1, 60000,
	    NULL, NULL },
	{ "dns_nameserver", CT_STR, "", F(dns_nameserver), 0, 0, NULL,
	    check_nameserver },
	{ "dns_timeout", CT_DURATION, "5s", F(dns_timeout), 1, 60000, NULL,
	    NULL },
	{ "keys_directory", CT_STR, "/etc/outpost/keys", F(keys_directory),
	    0, 0, NULL, check_abspath },
	{ "log_level", CT_ENUM, "info", F(log_level), 0, 0, w_level, NULL },
	{ "log_destination", CT_ENUM, "syslog", F(log_destination), 0, 0,
	    w_dest, NULL },
	{ "user", CT_STR, "outpost", F(user), 0, 0, NULL, NULL },
	{ "on_error", CT_ENUM, "defer", F(on_error), 0, 0, w_onerr, NULL },
	{ "pid_file", CT_STR, "", F(pid_file), 0, 0, NULL, check_pidfile },

	{ "milter_socket", CT_STR,
	    "unix:/var/spool/postfix/outpost/milter.sock",
	    F(milter_socket), 0, 0, NULL, check_address },
	{ "milter_metrics_listen", CT_STR, "", F(milter_metrics_listen), 0, 0,
	    NULL, check_metrics },
	{ "milter_mode", CT_ENUM, "auto", F(milter_mode), 0, 0, w_mode, NULL },
	{ "milter_timeout", CT_DURATION, "30s", F(milter_timeout), 1000,
	    DAY, NULL, NULL },
	{ "internal_hosts", CT_LIST, "127.0.0.0/8, ::1", F(internal_hosts),
	    0, 0, NULL, check_cidr },
	{ "sign_daemon_name", CT_STR, "", F(sign_daemon_name), 0, 0, NULL,
	    NULL },
	{ "sign_algorithms", CT_LIST, "rsa-sha256, ed25519-sha256",
	    F(sign_algorithms), 1, 0, w_algs, NULL },
	{ "canonicalization", CT_STR, "relaxed/relaxed", F(canonicalization),
	    0, 0, NULL, check_canon },
	{ "sign_headers", CT_LIST, "from, reply-to, subject, date, to, cc, "
	    "message-id, mime-version, content-type, "
	    "content-transfer-encoding, in-reply-to, references, resent-date, "
	    "resent-from, resent-to, resent-cc, list-id, list-help, "
	    "list-unsubscribe, list-unsubscribe-post, list-subscribe, "
	    "list-post, list-owner, list-archive", F(sign_headers), 1, 0,
	    NULL, check_header },
	{ "oversign_headers", CT_LIST, "from, to, cc, subject, date, "
	    "message-id, reply-to, mime-version, content-type",
	    F(oversign_headers), 0, 0, NULL, check_header },
	{ "sign_subdomains", CT_BOOL, "no", F(sign_subdomains), 0, 0, NULL,
	    NULL },
	{ "authorize_senders", CT_BOOL, "yes", F(authorize_senders), 0, 0,
	    NULL, NULL },
	{ "authserv_id", CT_STR, "", F(authserv_id), 0, 0, NULL, NULL },
	{ "dmarc_enforce", CT_BOOL, "no", F(dmarc_enforce), 0, 0, NULL, NULL },
	{ "max_signatures", CT_INT, "8", F(max_signatures), 1, 64, NULL,
	    NULL },
	{ "milter_refunds", CT_BOOL, "yes", F(milter_refunds), 0, 0, NULL,
	    NULL },
	{ "relay_addresses", CT_LIST, "", F(relay_addresses), 0, 0, NULL,
	    check_ip },
	{ "require_alignment", CT_ENUM, "warn", F(require_alignment), 0, 0,
	    w_align, NULL },
	{ "dmarc_org_domain", CT_ENUM, "treewalk", F(dmarc_org_domain), 0, 0,
	    w_org, NULL },
	{ "dns_error_action", CT_ENUM, "tempfail", F(dns_error_action), 0, 0,
	    w_dnserr, NULL },

	{ "feedback_log", CT_STR, "/var/log/mail.log", F(feedback_log), 0,
	    0, NULL, check_logsource },
	{ "bounce_rules", CT_STR, "/etc/outpost/bounce-rules",
	    F(bounce_rules), 0, 0, NULL, check_abspath },
	{ "bounce_rules_local", CT_STR, "/etc/outpost/bounce-rules.local",
	    F(bounce_rules_local), 0, 0, NULL, check_optpath },
	{ "feedback_metrics_listen", CT_STR, "", F(feedback_metrics_listen),
	    0, 0, NULL, check_metrics },
	{ "log_retention", CT_DURATION, "7d", F(log_retention), 3600L * 1000,
	    400 * DAY, NULL, NULL },
	{ "hard_bounce_suppress_for", CT_DURATION, "7d",
	    F(hard_bounce_suppress_for), 0, 3650 * DAY, NULL, NULL },
	{ "bounce_window", CT_DURATION, "7d", F(bounce_window), 3600L * 1000,
	    90 * DAY, NULL, NULL },
	{ "bounce_min_sample", CT_INT, "100", F(bounce_min_sample), 1,
	    100000000, NULL, NULL },
	{ "bounce_pause_rate", CT_RATE, "10%", F(bounce_pause_rate), 1,
	    1000000, NULL, NULL },
	{ "complaint_pause_rate", CT_RATE, "0.5%", F(complaint_pause_rate), 1,
	    1000000, NULL, NULL },

	{ "policyd_listen", CT_LIST,
	    "unix:/var/spool/postfix/outpost/policy.sock", F(policyd_listen),
	    1, 0, NULL, check_address },
	{ "policyd_metrics_listen", CT_STR, "", F(policyd_metrics_listen), 0,
	    0, NULL, check_metrics },
	{ "policyd_idle_timeout", CT_DURATION, "600s",
	    F(policyd_idle_timeout), 1000, DAY, NULL, NULL },
	{ "policyd_unknown_user", CT_ENUM, "reject", F(policyd_unknown_user),
	    0, 0, w_unknown, NULL },
	{ "default_plan", CT_STR, "default", F(default_plan), 0, 0, NULL,
	    NULL },
	{ "suppress_fold_case", CT_BOOL, "yes", F(suppress_fold_case), 0, 0,
	    NULL, NULL },
	{ "policyd_dry_run", CT_BOOL, "no", F(policyd_dry_run), 0, 0, NULL,
	    NULL },

	{ "web_listen", CT_STR, "inet:127.0.0.1:8025", F(web_listen), 0, 0,
	    NULL, check_web },
	{ "web_admins", CT_STR, "/etc/outpost/web-admins", F(web_admins), 0,
	    0, NULL, check_abspath },
	{ "web_trusted_header", CT_STR, "", F(web_trusted_header), 0, 0,
	    NULL, check_header_name },
	{ "web_trusted_secret", CT_STR, "", F(web_trusted_secret), 0, 0,
	    NULL, NULL },
};
#define NKEYS	(sizeof(keys) / sizeof(keys[0]))

#define FIELD(c, k, t)	((t *)(void *)((char *)(c) + (k)->off))
#define CFIELD(c, k, t)	((const t *)(const void *)((const char *)(c) + (k)->off))

/* ---- checks ----------------------------------------------------------- */

static int
check_address(const char *v, char *err, size_t errlen)
{
	struct netaddr	 a;

	return netaddr_parse(v, &a, err, errlen);
}

static int
check_cidr(const char *v, char *err, size_t errlen)
{
	struct cidr	 c;

	if (cidr_parse(v, &c) == 0)
		return 0;
	return errf(err, errlen, "not an IP address or network: \"%s\"", v);
}

/* One address, no network: relay_addresses are what receivers see. */
static int
check_ip(const char *v, char *err, size_t errlen)
{
	struct cidr	 c;

	if (strchr(v, '/') == NULL && cidr_parse(v, &c) == 0)
		return 0;
	return errf(err, errlen, "not an IP address: \"%s\"", v);
}

static int
check_canon(const char *v, char *err, size_t errlen)
{
	static const char *const ok[] = { "relaxed/relaxed", "relaxed/simple",
	    "simple/relaxed", "simple/simple", "relaxed", "simple", NULL };
	int	 i;

	for (i = 0; ok[i] != NULL; i++)
		if (strcmp(v, ok[i]) == 0)
			return 0;
	return errf(err, errlen, "expected HEADER/BODY, each relaxed or "
	    "simple: \"%s\"", v);
}

static int
check_header(const char *v, char *err, size_t errlen)
{
	const char	*p;

	for (p = v; *p != '\0'; p++)
		if (*p <= 32 || *p >= 127 || *p == ':')
			break;
	if (*p == '\0' && p != v)
		return 0;
	return errf(err, errlen, "not a header field name: \"%s\"", v);
}

static int
check_redis(const char *v, char *err, size_t errlen)
{
	struct redis_addr	 a;

	if (redis_addr_parse(v, &a, err, errlen) < 0 ||
	    redis_addr_supported_sync(&a, v, err, errlen) < 0)
		return -1;
	return 0;
}

static int
check_nameserver(const char *v, char *err, size_t errlen)
{
	char		 buf[64], *at;
	struct cidr	 c;

	if (*v == '\0')
		return 0;
	if (strlen(v) < sizeof(buf)) {
		strcpy(buf, v);
		if ((at = strchr(buf, '@')) != NULL)
			*at++ = '\0';
		if (strchr(buf, '/') == NULL && cidr_parse(buf, &c) == 0 &&
		    (at == NULL || (*at != '\0' && strspn(at, "0123456789") ==
		    strlen(at) && atoi(at) > 0 && atoi(at) < 65536)))
			return 0;
	}
	return errf(err, errlen, "expected IP or IP@PORT: \"%s\"", v);
}

static int
check_abspath(const char *v, char *err, size_t errlen)
{
	if (v[0] == '/')
		return 0;
	return errf(err, errlen, "must be an absolute path: \"%s\"", v);
}

/* Empty (unset), or an absolute path. */
static int
check_optpath(const char *v, char *err, size_t errlen)
{
	return v[0] == '\0' ? 0 : check_abspath(v, err, errlen);
}

/* An inet: address: the console is served over TCP (evhttp). */
static int
check_web(const char *v, char *err, size_t errlen)
{
	struct netaddr	 a;

	if (netaddr_parse(v, &a, err, errlen) < 0)
		return -1;
	if (a.kind != NETADDR_INET)
		return errf(err, errlen, "the web console is served over TCP: "
		    "expected inet:HOST:PORT, not \"%s\"", v);
	return 0;
}

/* Empty (off) or a header field name. */
static int
check_header_name(const char *v, char *err, size_t errlen)
{
	return *v == '\0' ? 0 : check_header(v, err, errlen);
}

/* Empty (off) or an inet: address: evhttp serves TCP only. */
static int
check_metrics(const char *v, char *err, size_t errlen)
{
	struct netaddr	 a;

	if (*v == '\0')
		return 0;
	if (netaddr_parse(v, &a, err, errlen) < 0)
		return -1;
	if (a.kind != NETADDR_INET)
		return errf(err, errlen, "metrics are served over TCP: "
		    "expected inet:HOST:PORT, not \"%s\"", v);
	return 0;
}

/* "-" (standard input) or an absolute path. */
static int
check_logsource(const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "-") == 0 || v[0] == '/')
		return 0;
	return errf(err, errlen, "feedback_log must be an absolute path or "
	    "\"-\" (standard input): \"%s\"", v);
}

/* Empty (no pid file), or an absolute path naming the program as %p. */
static int
check_pidfile(const char *v, char *err, size_t errlen)
{
	const char	*p;
	int		 progs = 0;

	if (*v == '\0')
		return 0;
	if (v[0] != '/')
		return errf(err, errlen, "pid_file must be an absolute path: "
		    "\"%s\"", v);
	for (p = v; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] != 'p')
			return errf(err, errlen, "pid_file: only %%p (the "
			    "program name) may follow a '%%': \"%s\"", v);
		progs++;
	}
	if (progs == 0)
		return errf(err, errlen, "pid_file must contain %%p, the "
		    "program name, so that each daemon has its own file: "
		    "\"%s\"", v);
	return 0;
}

/* ---- setting one key -------------------------------------------------- */

static const struct conf_key *
find_key(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
word_index(const char *const *words, const char *v)
{
	int	 i;

	for (i = 0; words[i] != NULL; i++)
		if (strcasecmp(words[i], v) == 0)
			return i;
	return -1;
}

static void
word_list(const char *const *words, char *buf, size_t len)
{
	int	 i;

	buf[0] = '\0';
	for (i = 0; words[i] != NULL; i++) {
		strncat(buf, i ? ", " : "", len - strlen(buf) - 1);
		strncat(buf, words[i], len - strlen(buf) - 1);
	}
}

static int
set_list(struct conf *c, const struct conf_key *k, const char *v, char *err,
    size_t errlen)
{
	struct strlist	 l;
	size_t		 i;
	char		 w[128];

	if (conf_parse_list(v, &l) < 0)
		return errf(err, errlen, "out of memory");
	if (l.n < (size_t)k->min) {
		errf(err, errlen, "%s must not be empty", k->name);
		strlist_free(&l);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		if (k->words != NULL && word_index(k->words, l.v[i]) < 0) {
			word_list(k->words, w, sizeof(w));
			errf(err, errlen, "%s: unknown value \"%s\" "
			    "(expected %s)", k->name, l.v[i], w);
			strlist_free(&l);
			return -1;
		}
		if (k->check != NULL && k->check(l.v[i], err, errlen) < 0) {
			strlist_free(&l);
			return -1;
		}
	}
	strlist_free(FIELD(c, k, struct strlist));
	*FIELD(c, k, struct strlist) = l;
	return 0;
}

static int
set_value(struct conf *c, const struct conf_key *k, const char *v,
    char *err, size_t errlen)
{
	char	*end, w[128];
	long	 n;
	int	 i;

	switch (k->type) {
	case CT_STR:
		if (k->check != NULL && k->check(v, err, errlen) < 0)
			return -1;
		if ((end = strdup(v)) == NULL)
			return errf(err, errlen, "out of memory");
		free(*FIELD(c, k, char *));
		*FIELD(c, k, char *) = end;
		return 0;
	case CT_INT:
		errno = 0;
		n = strtol(v, &end, 10);
		if (*v == '\0' || *end != '\0' || errno != 0)
			return errf(err, errlen, "%s: not a number: \"%s\"",
			    k->name, v);
		if (n < k->min || n > k->max)
			return errf(err, errlen, "%s: %ld is out of range "
			    "(%ld..%ld)", k->name, n, k->min, k->max);
		*FIELD(c, k, long) = n;
		return 0;
	case CT_DURATION:
		if (conf_parse_duration(v, &n) < 0)
			return errf(err, errlen, "%s: not a duration: \"%s\" "
			    "(examples: 500ms, 5s, 2m, 1h, 1d)", k->name, v);
		if (n < k->min || n > k->max)
			return errf(err, errlen, "%s: %s is out of range "
			    "(%ldms..%lds)", k->name, v, k->min,
			    k->max / 1000);
		*FIELD(c, k, long) = n;
		return 0;
	case CT_RATE:
		if (conf_parse_rate(v, &n) < 0)
			return errf(err, errlen, "%s: not a percentage: \"%s\" "
			    "(examples: 10%%, 0.5%%)", k->name, v);
		if (n < k->min || n > k->max)
			return errf(err, errlen, "%s: %s is out of range",
			    k->name, v);
		*FIELD(c, k, long) = n;
		return 0;
	case CT_BOOL:
		if (conf_parse_bool(v, &i) < 0)
			return errf(err, errlen, "%s: expected yes or no: "
			    "\"%s\"", k->name, v);
		*FIELD(c, k, int) = i;
		return 0;
	case CT_ENUM:
		if ((i = word_index(k->words, v)) < 0) {
			word_list(k->words, w, sizeof(w));
			return errf(err, errlen, "%s: unknown value \"%s\" "
			    "(expected %s)", k->name, v, w);
		}
		*FIELD(c, k, int) = k->words == w_level ? level_val[i] : i;
		return 0;
	case CT_LIST:
		return set_list(c, k, v, err, errlen);
	}
	return -1;
}

int
conf_set(struct conf *c, const char *name, const char *value, char *err,
    size_t errlen)
{
	const struct conf_key	*k;

	if ((k = find_key(name)) == NULL)
		return errf(err, errlen, "unknown parameter \"%s\"", name);
	return set_value(c, k, value, err, errlen);
}

void
conf_init(struct conf *c)
{
	char	 err[256];
	size_t	 i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NKEYS; i++)
		if (set_value(c, &keys[i], keys[i].def, err, sizeof(err)) < 0)
			abort();	/* a default the table itself refuses */
}

void
conf_free(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < NKEYS; i++) {
		if (keys[i].type == CT_STR)
			free(*FIELD(c, &keys[i], char *));
		else if (keys[i].type == CT_LIST)
			strlist_free(FIELD(c, &keys[i], struct strlist));
	}
	memset(c, 0, sizeof(*c));
}

int
conf_copy(struct conf *dst, const struct conf *src)
{
	const struct strlist	*from;
	struct strlist		*to;
	size_t			 i, j;

	conf_init(dst);
	for (i = 0; i < NKEYS; i++) {
		switch (keys[i].type) {
		case CT_STR:
			free(*FIELD(dst, &keys[i], char *));
			if ((*FIELD(dst, &keys[i], char *) =
			    strdup(*CFIELD(src, &keys[i], char *))) == NULL)
				goto fail;
			break;
		case CT_LIST:
			to = FIELD(dst, &keys[i], struct strlist);
			from = CFIELD(src, &keys[i], struct strlist);
			strlist_free(to);
			if (from->n > 0 && (to->v = calloc(from->n,
			    sizeof(*to->v))) == NULL)
				goto fail;
			for (j = 0; j < from->n; j++, to->n++)
				if ((to->v[j] = strdup(from->v[j])) == NULL)
					goto fail;
			break;
		case CT_INT:
		case CT_DURATION:
		case CT_RATE:
			*FIELD(dst, &keys[i], long) =
			    *CFIELD(src, &keys[i], long);
			break;
		default:
			*FIELD(dst, &keys[i], int) = *CFIELD(src, &keys[i], int);
			break;
		}
	}
	return 0;
fail:
	conf_free(dst);
	return -1;
}

/* ---- the file --------------------------------------------------------- */

static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Apply one logical line (continuations joined).  Returns 0 or -1 with
 * "file:line: reason" in err.
 */
static int
apply_line(struct conf *c, char *line, const char *path, int lineno,
    char *seen, char *err, size_t errlen)
{
	const struct conf_key	*k;
	char			*eq, *name, *value, why[512];

	if ((eq = strchr(line, '=')) == NULL)
		return errf(err, errlen, "%s:%d: expected \"name = value\"",
		    path, lineno);
	*eq = '\0';
	name = trim(line);
	value = trim(eq + 1);
	if ((k = find_key(name)) == NULL)
		return errf(err, errlen, "%s:%d: unknown parameter \"%s\"",
		    path, lineno, name);
	if (seen[k - keys])
		return errf(err, errlen, "%s:%d: %s is set twice", path, lineno,
		    name);
	seen[k - keys] = 1;
	if (set_value(c, k, value, why, sizeof(why)) < 0)
		return errf(err, errlen, "%s:%d: %s", path, lineno, why);
	return 0;
}

static int
read_file(struct conf *c, FILE *fp, const char *path, char *err,
    size_t errlen)
{
	char	 buf[8192], logical[16384], seen[NKEYS];
	int	 lineno = 0, start = 0, have = 0;
	size_t	 len;

	memset(seen, 0, sizeof(seen));
	logical[0] = '\0';
	while (fgets(buf, sizeof(buf), fp) != NULL) {
		lineno++;
		len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n')
			return errf(err, errlen, "%s:%d: line too long", path,
			    lineno);
		if (buf[0] == '#' || trim(buf)[0] == '\0' ||
		    trim(buf)[0] == '#')
			continue;
		if (isspace((unsigned char)buf[0])) {
			if (!have)
				return errf(err, errlen, "%s:%d: continuation "
				    "line without a parameter", path, lineno);
			if (strlen(logical) + strlen(buf) + 2 >=
			    sizeof(logical)) {
				return errf(err, errlen, "%s:%d: value too "
				    "long", path, start);
			}
			strcat(logical, " ");
			strcat(logical, trim(buf));
			continue;
		}
		if (have && apply_line(c, logical, path, start, seen, err,
		    errlen) < 0)
			return -1;
		strcpy(logical, trim(buf));
		start = lineno;
		have = 1;
	}
	if (ferror(fp))
		return errf(err, errlen, "%s: read error: %s", path,
		    strerror(errno));
	if (have && apply_line(c, logical, path, start, seen, err, errlen) < 0)
		return -1;
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	FILE	*fp;
	int	 rc;

	conf_init(c);
	if ((fp = fopen(path, "r")) == NULL) {
		errf(err, errlen, "%s: %s", path, strerror(errno));
		conf_free(c);
		return -1;
	}
	rc = read_file(c, fp, path, err, errlen);
	fclose(fp);
	if (rc < 0)
		conf_free(c);
	return rc;
}

const char *
conf_path(const char *arg)
{
	const char	*env;

	if (arg != NULL)
		return arg;
	if ((env = getenv("OUTPOST_CONF")) != NULL && *env != '\0')
		return env;
	return CONF_DEFAULT_PATH;
}

int
conf_load_path(struct conf *c, const char *arg, char *err, size_t errlen)
{
	const char	*path = conf_path(arg);

	if (conf_load(c, path, err, errlen) == 0) {
		if (secret_load(c, err, errlen) == 0)
			return 0;
		conf_free(c);
		return -1;
	}
	if (arg == NULL && getenv("OUTPOST_CONF") == NULL &&
	    access(path, F_OK) < 0 && errno == ENOENT) {
		conf_init(c);
		return 0;
	}
	return -1;
}

/* ---- printing --------------------------------------------------------- */

/* 5000 ppm -> "0.5%" */
static void
render_rate(long ppm, char *buf, size_t len)
{
	char	 frac[8];
	int	 n;

	n = snprintf(frac, sizeof(frac), "%04ld", ppm % 10000);
	while (n > 0 && frac[n - 1] == '0')
		frac[--n] = '\0';
	snprintf(buf, len, "%ld%s%s%%", ppm / 10000, n > 0 ? "." : "", frac);
}

static void
render(const struct conf *c, const struct conf_key *k, char *buf, size_t len)
{
	const struct strlist	*l;
	size_t			 i;
	int			 v;

	buf[0] = '\0';
	switch (k->type) {
	case CT_STR:
		snprintf(buf, len, "%s", *CFIELD(c, k, char *));
		break;
	case CT_INT:
		snprintf(buf, len, "%ld", *CFIELD(c, k, long));
		break;
	case CT_DURATION:
		if (*CFIELD(c, k, long) % 1000 != 0)
			snprintf(buf, len, "%ldms", *CFIELD(c, k, long));
		else
			snprintf(buf, len, "%lds", *CFIELD(c, k, long) / 1000);
		break;
	case CT_RATE:
		render_rate(*CFIELD(c, k, long), buf, len);
		break;
	case CT_BOOL:
		snprintf(buf, len, "%s", *CFIELD(c, k, int) ? "yes" : "no");
		break;
	case CT_ENUM:
		v = *CFIELD(c, k, int);
		if (k->words == w_level) {
			for (i = 0; i < 4; i++)
				if (level_val[i] == v)
					v = (int)i;
		}
		snprintf(buf, len, "%s", k->words[v]);
		break;
	case CT_LIST:
		l = CFIELD(c, k, struct strlist);
		for (i = 0; i < l->n; i++) {
			strncat(buf, i ? ", " : "", len - strlen(buf) - 1);
			strncat(buf, l->v[i], len - strlen(buf) - 1);
		}
		break;
	}
}

int
conf_get_text(const struct conf *c, const char *name, char *buf, size_t len)
{
	const struct conf_key	*k;

	if ((k = find_key(name)) == NULL)
		return -1;
	render(c, k, buf, len);
	return 0;
}

void
conf_each(const struct conf *c, int all,
    void (*fn)(const char *, const char *, void *), void *arg)
{
	struct conf	 def;
	char		 a[2048], b[2048];
	size_t		 i;

	conf_init(&def);
	for (i = 0; i < NKEYS; i++) {
		render(c, &keys[i], a, sizeof(a));
		render(&def, &keys[i], b, sizeof(b));
		if (!all && strcmp(a, b) == 0)
			continue;
		if (keys[i].type == CT_STR && strstr(keys[i].name, "password")
		    && strstr(keys[i].name, "_file") == NULL && a[0] != '\0')
			strcpy(a, "(set, not shown)");
		fn(keys[i].name, a, arg);
	}
	conf_free(&def);
}

static void
print_one(const char *name, const char *value, void *fp)
{
	fprintf(fp, "%s = %s\n", name, value);
}

void
conf_print(const struct conf *c, FILE *fp, int all)
{
	conf_each(c, all, print_one, fp);
}
