/*
 * conf -- the one configuration file of every outpost program.
 *
 * The file is main.cf-like: "key = value" lines, '#' comments, blank lines,
 * a line starting with white space continues the previous value.  Every key
 * is described once in the typed table of conf.c (name, type, default,
 * bounds, destination field); the loader rejects unknown keys and bad values
 * with "file:line: reason".
 *
 *   conf_init(c)            fill *c with the defaults (never fails)
 *   conf_load(c, path, err, errlen)
 *                           conf_init + read path; 0, or -1 with err set
 *                           and *c already freed (conf_init it to reuse)
 *   conf_set(c, key, value, err, errlen)
 *                           set one key from text, as the loader would
 *   conf_get_text(c, key, buf, len)
 *                           the value of key rendered as text (0 / -1)
 *   conf_print(c, fp, all)  "key = value" for every key (all) or only those
 *                           that differ from the default (postconf -n)
 *   conf_each(c, all, fn, arg)
 *                           fn(name, value text, arg) for the same keys, in
 *                           table order; passwords are masked as in print
 *   conf_copy(dst, src)     dst becomes an independent copy of src; 0, or
 *                           -1 (out of memory) with dst freed
 *   conf_free(c)            release what conf_init/conf_load allocated
 *   conf_path(arg)          arg, else $OUTPOST_CONF, else the default path
 *   conf_load_path(c, arg, err, errlen)
 *                           conf_load(conf_path(arg)), except that a file
 *                           missing at the default place (no -c, no
 *                           $OUTPOST_CONF) means "all defaults"; a file
 *                           that was named must exist; then, when
 *                           redis_password_file is set, the password is
 *                           read from it (secret_load, secret.h).  0 or -1
 *
 * Durations are kept in milliseconds, sizes in bytes.  Lists are arrays of
 * strings split on commas and white space.
 */
#ifndef OUTPOST_CONF_H
#define OUTPOST_CONF_H

#include <stddef.h>
#include <stdio.h>

#define CONF_DEFAULT_PATH "/etc/outpost/outpost.conf"

struct strlist {
	size_t	 n;
	char	**v;
};

enum on_error { ON_ERROR_DEFER, ON_ERROR_ACCEPT };
enum milter_mode { MODE_AUTO, MODE_SIGN, MODE_VERIFY };
enum log_dest { LOGDEST_SYSLOG, LOGDEST_STDERR };
enum unknown_user { UNKNOWN_REJECT, UNKNOWN_DEFAULT };
enum require_alignment { ALIGN_NO, ALIGN_WARN, ALIGN_YES };
enum dmarc_org { ORG_TREEWALK, ORG_PSL };
enum dns_error_action { DNSERR_TEMPFAIL, DNSERR_ACCEPT };

struct conf {
	/* shared */
	char		*redis_address;
	char		*redis_password;	/* or read from: */
	char		*redis_password_file;	/*   (secret.h) */
	char		*redis_username;
	long		 redis_db;
	char		*redis_sentinel_password;	/* sentinel: AUTH */
	char		*redis_sentinel_username;
	long		 redis_min_replicas;	/* WAIT after writes; 0 off */
	char		*redis_prefix;
	long		 redis_timeout;		/* ms */
	char		*dns_nameserver;
	long		 dns_timeout;		/* ms */
	char		*keys_directory;
	int		 log_level;		/* LOG_DEBUG .. LOG_ERR */
	int		 log_destination;	/* enum log_dest */
	char		*user;
	int		 on_error;		/* enum on_error */
	char		*pid_file;		/* "": none; %p = program */

	/* outpost-milter */
	char		*milter_socket;
	char		*milter_metrics_listen;	/* "": off */
	int		 milter_mode;		/* enum milter_mode */
	long		 milter_timeout;	/* ms */
	struct strlist	 internal_hosts;
	char		*sign_daemon_name;
	struct strlist	 sign_algorithms;
	char		*canonicalization;
	struct strlist	 sign_headers;
	struct strlist	 oversign_headers;
	int		 sign_subdomains;
	int		 authorize_senders;
	char		*authserv_id;
	int		 dmarc_enforce;
	long		 max_signatures;	/* DKIM signatures verified */
	int		 milter_refunds;
	struct strlist	 relay_addresses;	/* IPs, for SPF checks */
	int		 require_alignment;	/* enum require_alignment */
	int		 dmarc_org_domain;	/* enum dmarc_org */
	int		 dns_error_action;	/* enum dns_error_action */

	/* outpost-feedback */
	char		*feedback_log;		/* file followed, "-" stdin */
	char		*feedback_metrics_listen;	/* "": off */
	char		*bounce_rules;		/* shipped rules file */
	char		*bounce_rules_local;	/* site rules, read first */
	long		 log_retention;		/* ms */
	long		 hard_bounce_suppress_for; /* ms, 0 = forever */
	long		 bounce_window;		/* ms */
	long		 bounce_min_sample;
	long		 bounce_pause_rate;	/* parts per million */
	long		 complaint_pause_rate;	/* parts per million */

	/* outpost-policyd */
	struct strlist	 policyd_listen;
	char		*policyd_metrics_listen;	/* "": off */
	long		 policyd_idle_timeout;	/* ms */
	int		 policyd_unknown_user;	/* enum unknown_user */
	char		*default_plan;
	int		 suppress_fold_case;	/* lib/schema.h schema_sup_addr */
	int		 policyd_dry_run;	/* limits logged, not enforced */

	/* outpost-web */
	char		*web_listen;		/* inet: only */
	char		*web_admins;		/* accounts file */
	char		*web_trusted_header;	/* "": log in with a password */
	char		*web_trusted_secret;	/* the proxy's, with the header */
};

void	 conf_init(struct conf *);
int	 conf_load(struct conf *, const char *, char *, size_t);
int	 conf_set(struct conf *, const char *, const char *, char *, size_t);
int	 conf_get_text(const struct conf *, const char *, char *, size_t);
void	 conf_print(const struct conf *, FILE *, int);
void	 conf_each(const struct conf *, int,
	    void (*)(const char *, const char *, void *), void *);
int	 conf_copy(struct conf *, const struct conf *);
void	 conf_free(struct conf *);
const char *conf_path(const char *);
int	 conf_load_path(struct conf *, const char *, char *, size_t);

/* Value parsers shared with outpostctl; 0 or -1. */
int	 conf_parse_duration(const char *, long *);	/* "5s" -> 5000 */
int	 conf_parse_bool(const char *, int *);
int	 conf_parse_rate(const char *, long *);		/* "0.5%" -> 5000 */
int	 conf_parse_list(const char *, struct strlist *);
void	 strlist_free(struct strlist *);
int	 strlist_has(const struct strlist *, const char *);	/* case-insens. */

#endif
