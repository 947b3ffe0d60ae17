/*
 * bounce -- the classification of a delivery outcome (Postfix's status,
 * dsn=, the remote reply) into a category and a finer class, by rules
 * read from files an admin edits without a rebuild (shipped as
 * etc/bounce-rules; bounce_rules_local is loaded before it).  Library
 * code: never logs, 0/-1 with err.  A loaded rule set is read-only and
 * may be shared by threads.
 *
 *   bounce_rules_new()                    an empty set; NULL out of memory
 *   bounce_rules_add_file(rs, path, err, errlen)
 *   bounce_rules_add_text(rs, name, text, len, err, errlen)
 *       append the rules of a file (or of text, reported as name) after
 *       those already in rs.  0, or -1 with err "FILE:LINE: reason"
 *       ("etc/bounce-rules:12: unknown category 'hardd'"); on -1, rs
 *       keeps the rules of the earlier files only.
 *   bounce_rules_load(paths, n, err, errlen)
 *       new + add_file of each path in order (the site file first); the
 *       set, or NULL with err.
 *   bounce_rules_free(rs)                 NULL-safe, returns NULL
 *   bounce_rules_count(rs)                number of rules
 *   bounce_classify(rs, status, dsn, code, stage, text, &v)
 *       the first rule, in load order, whose every condition holds.
 *       status: Postfix's status= word ("sent", "bounced" ...); dsn: its
 *       dsn= ("5.1.1"); code: the remote reply code, 0 when none; stage:
 *       "CONNECT", "HELO", "TLS", "MAIL", "RCPT", "DATA" or NULL
 *       (pflog_stage_name); text: the remote reply, or Postfix's status
 *       text when there is none (any may be NULL: an absent value is the
 *       empty string).  Returns 1 and v = the rule's category, class,
 *       file and line; or 0 when no rule matched and v = the fallback:
 *       status sent -> delivered, expired -> expired, anything else ->
 *       soft, class "unmatched", file NULL, line 0 (an outcome nobody
 *       wrote a rule for never suppresses an address).  v's strings
 *       live as long as rs.
 *   bounce_category_name(cat) / bounce_category_lookup(name)
 *       "hard" <-> BOUNCE_HARD; NULL / -1 when unknown.
 *
 * The rules file
 *   One rule per line:  CATEGORY CLASS [CONDITION ...]
 *   Blank lines and lines whose first non-blank is '#' are skipped.
 *   CATEGORY  delivered | soft | hard | block | expired
 *   CLASS     [a-z0-9][a-z0-9._-]* up to 31 characters ("bad-mailbox")
 *   CONDITION, each at most once per rule, all must hold:
 *     status=LIST   Postfix status words, comma-separated (sent,
 *                   deferred, bounced, expired)
 *     dsn=GLOB      the enhanced code: "5.1.1", "5.1.*", "?.7.2?";
 *                   '*' matches any run of characters, '?' one
 *     code=GLOB     the 3-digit reply code: "550", "4??", "5*"; never
 *                   matches when the reply had no code
 *     stage=LIST    CONNECT, HELO, TLS, MAIL, RCPT, DATA, none (no stage
 *                   known), any; comma-separated, case-insensitive
 *     text=REGEX    a POSIX extended regular expression, matched
 *                   case-insensitively anywhere in the text; write it
 *                   in double quotes when it holds blanks:
 *                   text="no such (user|mailbox)".  Inside quotes \"
 *                   is a quote; every other backslash is kept for the
 *                   regex ("5\.7\.1").  Compiled once, at load.
 *   First match wins.  Lines of at most 4096 bytes; at most 10,000 rules.
 *   Why regex and not globs for text: the replies of one meaning come
 *   in many wordings ("mailbox full", "mailbox is full", "over quota",
 *   "quota exceeded"), and alternation keeps one meaning on one line;
 *   POSIX regex is in libc, and the code conditions are checked first so
 *   regexec only runs on rules whose codes already fit.
 */
#ifndef OUTPOST_BOUNCE_H
#define OUTPOST_BOUNCE_H

#include <stddef.h>

enum bounce_cat {
	BOUNCE_DELIVERED,
	BOUNCE_SOFT,
	BOUNCE_HARD,
	BOUNCE_BLOCK,
	BOUNCE_EXPIRED,
};
#define BOUNCE_NCAT	5

#define BOUNCE_CLASS_MAX	31
#define BOUNCE_LINE_MAX		4096
#define BOUNCE_RULES_MAX	10000

struct bounce_verdict {
	enum bounce_cat	 category;
	const char	*class;
	const char	*file;
	int		 line;
};

struct bounce_rules;

struct bounce_rules	*bounce_rules_new(void);
int			 bounce_rules_add_file(struct bounce_rules *,
			    const char *, char *, size_t);
int			 bounce_rules_add_text(struct bounce_rules *,
			    const char *, const char *, size_t, char *,
			    size_t);
struct bounce_rules	*bounce_rules_load(const char *const *, size_t,
			    char *, size_t);
struct bounce_rules	*bounce_rules_free(struct bounce_rules *);
size_t			 bounce_rules_count(const struct bounce_rules *);
int			 bounce_classify(const struct bounce_rules *,
			    const char *, const char *, int, const char *,
			    const char *, struct bounce_verdict *);
const char		*bounce_category_name(int);
int			 bounce_category_lookup(const char *);

#endif
