/*
 * pflog -- one line of Postfix's mail log parsed into a record: the pure
 * "feed a line, get a record" half of outpost-feedback.  No allocation,
 * no globals, no logging, thread-safe; bounded memory: every string of a
 * record is a NUL-terminated copy inside the record itself (the caller's
 * line is never written to and need not outlive the call).
 *
 *   pflog_parse(rec, line, len, year, tzoff)
 *       parses line[0..len) (a trailing LF or CRLF is ignored; so is
 *       anything after PFLOG_LINE_MAX bytes: rec->truncated = 1) into
 *       *rec and returns rec->kind.  Never fails: a line it cannot place
 *       (empty, garbage, a daemon or message it does not know) gives
 *       PFLOG_UNKNOWN with whatever prefix fields it did read (time,
 *       host, service, pid, qid).  A shape it knows but which is cut
 *       short (a truncated line) keeps the fields read so far.
 *       year: the year of a classic syslog time stamp ("Nov  3 16:04:31",
 *       also "Nov 03 ..." as Postfix's own maillog_file writes it), which
 *       has none; tzoff: the offset of that local time from UTC in
 *       seconds east (3600 for CET); rec->time = that time in UTC.  Both
 *       are ignored for RFC 3339 stamps ("2026-12-02T05:22:38.123456+00:00"),
 *       which carry their own.  Rolling the year over at New Year is the
 *       caller's business.
 *   pflog_kind_name(kind), pflog_stage_name(stage), pflog_status_name(st)
 *       "delivery", "RCPT", "bounced" ...; never NULL.
 *   pflog_print(rec, fp)
 *       the record as one line of key=value (present fields only, values
 *       with spaces, quotes, '=' or bytes outside printable ASCII quoted
 *       C-style), then LF.  For tests and debugging.
 *
 * The record.  A field that the line does not carry is NULL (strings),
 * -1 (numbers) or 0 (code, enums: NONE).  Do not copy a struct pflog_rec
 * by value: its pointers point into its own arena.
 *   Prefix (every kind): time (seconds since the epoch, UTC; -1 when the
 *   line has no time stamp we read), usec, host, service
 *   ("postfix/submission/smtpd", "postfix-out/smtp"), daemon (its last
 *   component: "smtpd"), pid, qid (short hex or long queue ID, or
 *   "NOQUEUE" with noqueue = 1).
 *   Kinds and the fields they fill:
 *   PFLOG_CLIENT     smtpd "QID: client=name[ip][:port]": client_name,
 *                    client_addr, client_port, sasl_method, sasl_username,
 *                    sasl_sender, orig_client (XCLIENT/XFORWARD, as logged)
 *   PFLOG_MESSAGE_ID cleanup "message-id=<...>" / "resent-message-id=":
 *                    message_id (as logged, brackets kept), resent
 *   PFLOG_QUEUED     qmgr "from=<...>, size=N, nrcpt=N (queue active)":
 *                    from (brackets stripped; "" for the null sender),
 *                    size, nrcpt
 *   PFLOG_EXPIRED    qmgr "from=<...>, status=expired, returned to sender":
 *                    from, status, text ("returned to sender")
 *   PFLOG_DELIVERY   any daemon's "to=<...>, ..., status=S (text)": to,
 *                    orig_to, relay (host name, "none", "local", a
 *                    transport name), relay_addr, relay_port, conn_use,
 *                    delay, delays ("a/b/c/d" as logged), dsn, status, st
 *                    (SOFTBOUNCE: a bounce that soft_bounce = yes kept),
 *                    text (inside the parentheses, which it may contain),
 *                    and from text: reply, code, enh, stage (below)
 *   PFLOG_NOTIFY     bounce "sender non-delivery notification: NEWQID"
 *                    (also "delivery status", "delay", and "postmaster"
 *                    for "sender"): notify ("non-delivery", ...),
 *                    notify_to ("sender", "postmaster"), new_qid
 *   PFLOG_PICKUP     pickup "QID: uid=N from=<...>[ orig_id=QID]" (mail
 *                    submitted on the MTA host with sendmail(1), or
 *                    requeued by postsuper -r): uid, from, orig_id
 *   PFLOG_REMOVED    "QID: removed" (qmgr, postsuper)
 *   PFLOG_HOLD       "QID: placed on hold" (postsuper), cleanup "QID:
 *                    hold: ..." (text)
 *   PFLOG_RELEASED   "QID: released from hold"
 *   PFLOG_REJECT     "NOQUEUE: reject: RCPT from name[ip]: 550 5.1.1
 *                    <x>: ...; from=<a> to=<b> proto=ESMTP helo=<h>" and
 *                    its siblings (reject_warning, discard, hold, filter,
 *                    milter-reject; a QID instead of NOQUEUE): action,
 *                    stage, client_name, client_addr, reply, code, enh,
 *                    text (= reply), from, to, proto, helo
 *   PFLOG_WARNING    "[QID: ]warning: text" (also error:, fatal:, panic:):
 *                    level ("warning" ...), text
 *   PFLOG_OTHER      lines known to carry nothing for delivery tracking:
 *                    connect from, disconnect from, statistics:, lost
 *                    connection, TLS connection established, daemon
 *                    started ...: text (the message after the prefix)
 *   Reply fields (from the status text of a delivery, or a reject line):
 *   reply is the remote server's reply as Postfix logged it ("550 5.1.1
 *   <x@y>: user unknown"; after "said: " or "refused to talk to me: ",
 *   without the trailing "(in reply to ... command)"), NULL when the text
 *   carries none (local delivery, connection failures); code its reply
 *   code (0 none), enh its enhanced status code (NULL none; may differ
 *   from dsn, which is Postfix's verdict); stage the SMTP stage the text
 *   names ("in reply to RCPT TO command", "while sending MAIL FROM",
 *   "connect to", "refused to talk to me", "initial server greeting").
 *   For classification use reply when present, else text.
 */
#ifndef OUTPOST_PFLOG_H
#define OUTPOST_PFLOG_H

#include <stddef.h>
#include <stdio.h>

#define PFLOG_LINE_MAX	8192	/* longer lines are cut here */
#define PFLOG_ARENA	(2 * PFLOG_LINE_MAX + 512)

enum pflog_kind {
	PFLOG_UNKNOWN,
	PFLOG_CLIENT,
	PFLOG_MESSAGE_ID,
	PFLOG_QUEUED,
	PFLOG_EXPIRED,
	PFLOG_DELIVERY,
	PFLOG_NOTIFY,
	PFLOG_REMOVED,
	PFLOG_HOLD,
	PFLOG_RELEASED,
	PFLOG_REJECT,
	PFLOG_WARNING,
	PFLOG_OTHER,
	PFLOG_PICKUP,
};

enum pflog_stage {
	PFLOG_STAGE_NONE,
	PFLOG_STAGE_CONNECT,	/* connection, banner, DNS lookup of the MX */
	PFLOG_STAGE_HELO,	/* EHLO/HELO/LHLO, AUTH, XFORWARD */
	PFLOG_STAGE_TLS,	/* STARTTLS */
	PFLOG_STAGE_MAIL,
	PFLOG_STAGE_RCPT,
	PFLOG_STAGE_DATA,	/* DATA, BDAT, the body, end of data */
};

enum pflog_status {
	PFLOG_ST_NONE,
	PFLOG_ST_SENT,
	PFLOG_ST_DEFERRED,
	PFLOG_ST_BOUNCED,
	PFLOG_ST_EXPIRED,
	PFLOG_ST_SOFTBOUNCE,	/* soft_bounce = yes: a bounce kept queued */
	PFLOG_ST_OTHER,		/* deliverable, undeliverable (verify) ... */
};

struct pflog_rec {
	enum pflog_kind	 kind;
	int		 truncated;
	long long	 time;
	long		 usec;
	const char	*host;
	const char	*service;
	const char	*daemon;
	long		 pid;
	const char	*qid;
	int		 noqueue;

	const char	*client_name;
	const char	*client_addr;
	long		 client_port;
	const char	*sasl_method;
	const char	*sasl_username;
	const char	*sasl_sender;
	const char	*orig_client;
	const char	*message_id;
	int		 resent;
	const char	*from;
	long long	 size;
	long		 nrcpt;
	const char	*to;
	const char	*orig_to;
	const char	*relay;
	const char	*relay_addr;
	long		 relay_port;
	long		 conn_use;
	double		 delay;		/* -1: none */
	const char	*delays;
	const char	*dsn;
	const char	*status;
	enum pflog_status st;
	const char	*text;
	const char	*reply;
	int		 code;
	const char	*enh;
	enum pflog_stage stage;
	const char	*notify;
	const char	*notify_to;
	const char	*new_qid;
	const char	*action;
	const char	*proto;
	const char	*helo;
	const char	*level;
	long		 uid;
	const char	*orig_id;

	size_t		 used;		/* of arena */
	char		 arena[PFLOG_ARENA];
};

enum pflog_kind	 pflog_parse(struct pflog_rec *, const char *, size_t, int,
		    long);
const char	*pflog_kind_name(enum pflog_kind);
const char	*pflog_stage_name(enum pflog_stage);
const char	*pflog_status_name(enum pflog_status);
void		 pflog_print(const struct pflog_rec *, FILE *);

#endif
