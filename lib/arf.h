/*
 * arf -- spam complaint reports, parsed: ARF (RFC 5965; RFC 6650 for the
 * rules on generating them, RFC 6591 for auth-failure reports, RFC 6590
 * redaction) and the Microsoft JMRP shape (a multipart/mixed message
 * with the original attached as message/rfc822 and no feedback-report
 * part).  What a complaint processor needs to attribute the complaint to
 * the user who sent the original: the feedback fields, and from the
 * attached original (often only its headers, often with the recipient
 * redacted) its Message-ID, addresses, every Received header's "by HOST"
 * and "id QUEUEID", and the d= of its DKIM signatures.
 *
 * A pure parser: no I/O, no logging, no globals, thread-safe.  Memory is
 * bounded: at most about 3 times the bytes parsed while parsing (a copy
 * with normalised line ends and one decoded part at a time), and a fixed
 * number of strings of at most ARF_VALUE_MAX bytes in the result.
 *
 *   arf_parse(msg, len, max, r, err, errlen)
 *       Parses the whole report message (headers and body; LF or CRLF line
 *       ends, need not be NUL-terminated) into *r, which it first clears.
 *       Only the first max bytes are looked at (max 0: no limit); a longer
 *       message gets ARF_F_CUT.  Returns 0 whenever it could look at the
 *       message, whatever the message is: r->kind and r->is_arf say
 *       whether it is a complaint, r->why says why not, r->flags what was
 *       missing or odd, and every field found is filled.  -1 only when
 *       out of memory (err says so; *r is then empty).  The caller frees
 *       *r with arf_report_free() after either result.
 *
 *       r->kind is ARF_KIND_ARF for a message with a message/feedback-report
 *       part: is_arf 1.  The strict shape is a top-level multipart/report
 *       with report-type=feedback-report; a feedback-report part found in
 *       any other container (report-type missing or different, multipart
 *       /mixed) is accepted too, with ARF_F_LOOSE and a why.  A top-level
 *       multipart/report; report-type=feedback-report without the
 *       feedback-report part (some generators, or a cut message) is ARF
 *       with ARF_F_NO_REPORT.
 *       ARF_KIND_JMRP (is_arf 0): no feedback-report part, but an attached
 *       original and Microsoft's marks (the report's From at hotmail.com,
 *       outlook.com or microsoft.com, a Subject "complaint about message
 *       from IP", an X-HmXmrOriginalRecipient field in the original or
 *       X-MS- fields in the report's header).  Then type is
 *       ARF_TYPE_ABUSE, feedback_type "abuse", user_agent "Microsoft JMRP"
 *       unless the report named one, source_ip the IP of that Subject, and
 *       rcpt_to the X-HmXmrOriginalRecipient address.
 *       ARF_KIND_NONE (is_arf 0): anything else (a bounce, plain mail);
 *       why says what it is ("multipart/report with report-type=
 *       delivery-status, not feedback-report").  Fields are still filled
 *       from whatever parts were found.
 *
 *       The original is the first message/rfc822, message/rfc822-headers
 *       or text/rfc822-headers part anywhere in the tree (nested
 *       multiparts are walked, up to ARF_MAX_DEPTH levels and
 *       ARF_MAX_PARTS parts); base64 or quoted-printable is decoded first
 *       (ARF_F_ORIG_DECODED).  Without one, a text/plain part that is not
 *       the first of its multipart and begins with header fields
 *       including Received, Message-ID or From is taken
 *       (ARF_F_ORIG_TEXT); else ARF_F_NO_ORIGINAL.  An original without
 *       a body gets ARF_F_ORIG_HEADERS.
 *
 * Strings in the result: malloc'ed, NUL-terminated, unfolded (each run of
 * white space and control bytes is one space), trimmed, cut at
 * ARF_VALUE_MAX bytes, bytes as received (not checked for UTF-8), NULL
 * when absent.  The first occurrence of a single field counts.
 *   feedback_type      lower case, any value ("abuse", "not-spam",
 *                      "x-custom"); type is its enum (ARF_TYPE_UNKNOWN
 *                      for a value not in the RFC 5965/6591/6650 set)
 *   mail_from, rcpt_to[], orig.return_path
 *                      the address without angle brackets ("" for <>)
 *   arrival_date       Arrival-Date, or the older Received-Date
 *   orig.message_id    "<left@right>" as Postfix logs message-id=, the
 *                      first <...> of the field (else the trimmed value)
 *   orig.from, orig.to the field values as written; orig.from_addr and
 *                      orig.to_addr their (first) address: inside <...>,
 *                      else the word with '@', else the whole value
 *                      ("xxxxx" stays "xxxxx")
 *   orig.received[]    every Received field, top (last hop) first: by is
 *                      the host after "by" (lower case), id the word
 *                      after "id" ("4Xyz12Abc"), comments skipped, each
 *                      NULL when absent
 *   orig.dkim_d[]      the d= of each DKIM-Signature, lower case
 *   orig.ms_rcpt       X-HmXmrOriginalRecipient (JMRP)
 * Bounded lists: past ARF_MAX_RCPT, ARF_MAX_URI, ARF_MAX_RECEIVED,
 * ARF_MAX_DKIM entries the rest are dropped with ARF_F_LIMIT.
 *
 * ARF_F_RCPT_REDACTED: no recipient address usable for suppression:
 * every candidate (rcpt_to[], orig.ms_rcpt, orig.to_addr) is absent or
 * redacted (no '@', nothing on one side of it, a local part of only
 * x, X and * or one containing "redacted").
 *
 *   arf_report_free(r)     frees what r holds, empties it; NULL ok
 *   arf_queue_id(r, hosts, nhosts)
 *       the id of the topmost Received field of the original whose by
 *       host equals one of hosts (case-insensitive) and that has an id:
 *       how the caller finds its own MTA's queue ID among the hops; NULL
 *       when none matches.  Owned by r.
 *   arf_type_name(t)       "abuse" .. "unknown", "" for ARF_TYPE_NONE
 */
#ifndef OUTPOST_ARF_H
#define OUTPOST_ARF_H

#include <stddef.h>

#define ARF_MAX_RCPT		16
#define ARF_MAX_URI		8
#define ARF_MAX_RECEIVED	32
#define ARF_MAX_DKIM		8
#define ARF_MAX_DEPTH		8
#define ARF_MAX_PARTS		64
#define ARF_VALUE_MAX		2048

enum arf_kind {
	ARF_KIND_NONE,
	ARF_KIND_ARF,
	ARF_KIND_JMRP
};

enum arf_type {
	ARF_TYPE_NONE,			/* no Feedback-Type */
	ARF_TYPE_ABUSE,
	ARF_TYPE_FRAUD,
	ARF_TYPE_VIRUS,
	ARF_TYPE_OTHER,
	ARF_TYPE_NOT_SPAM,
	ARF_TYPE_AUTH_FAILURE,
	ARF_TYPE_UNKNOWN		/* a value not above; see feedback_type */
};

#define ARF_F_NO_REPORT		0x0001	/* no message/feedback-report part */
#define ARF_F_NO_ORIGINAL	0x0002	/* no copy of the original */
#define ARF_F_ORIG_HEADERS	0x0004	/* original without a body */
#define ARF_F_ORIG_TEXT		0x0008	/* original from a text/plain part */
#define ARF_F_ORIG_DECODED	0x0010	/* original was base64/QP */
#define ARF_F_NO_TYPE		0x0020	/* report part without Feedback-Type */
#define ARF_F_TRUNCATED		0x0040	/* a multipart without its close */
#define ARF_F_CUT		0x0080	/* longer than max: the rest ignored */
#define ARF_F_LIMIT		0x0100	/* a list, part or depth bound hit */
#define ARF_F_BAD_ENCODING	0x0200	/* invalid base64/QP bytes skipped */
#define ARF_F_LOOSE		0x0400	/* ARF, but not in the strict shape */
#define ARF_F_RCPT_REDACTED	0x0800	/* no usable recipient address */

struct arf_received {
	char	*by;
	char	*id;
};

struct arf_original {
	char			*message_id;
	char			*from;
	char			*from_addr;
	char			*to;
	char			*to_addr;
	char			*subject;
	char			*date;
	char			*return_path;
	char			*ms_rcpt;
	struct arf_received	 received[ARF_MAX_RECEIVED];
	size_t			 nreceived;
	char			*dkim_d[ARF_MAX_DKIM];
	size_t			 ndkim;
};

struct arf_report {
	int			 is_arf;
	enum arf_kind		 kind;
	char			 why[256];
	unsigned int		 flags;
	char			*report_from;	/* the report's own From */
	char			*report_subject;
	enum arf_type		 type;
	char			*feedback_type;
	char			*user_agent;
	char			*version;
	char			*mail_from;	/* Original-Mail-From */
	char			*rcpt_to[ARF_MAX_RCPT];	/* Original-Rcpt-To */
	size_t			 nrcpt_to;
	char			*arrival_date;
	char			*source_ip;
	char			*reported_domain;
	char			*reported_uri[ARF_MAX_URI];
	size_t			 nreported_uri;
	char			*auth_results;	/* Authentication-Results */
	char			*auth_failure;	/* Auth-Failure (RFC 6591) */
	char			*incidents;
	char			*envelope_id;	/* Original-Envelope-Id */
	char			*reporting_mta;
	struct arf_original	 orig;
};

int	 arf_parse(const char *, size_t, size_t, struct arf_report *, char *,
	    size_t);
void	 arf_report_free(struct arf_report *);
const char *arf_queue_id(const struct arf_report *, const char *const *,
	    size_t);
const char *arf_type_name(enum arf_type);

#endif
