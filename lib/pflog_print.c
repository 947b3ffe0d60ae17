/*
 * pflog_print -- names of the enums of lib/pflog and a record as one line
 * of key=value (see pflog.h).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pflog.h"

const char *
pflog_kind_name(enum pflog_kind k)
{
	static const char *const names[] = { "unknown", "client",
	    "message-id", "queued", "expired", "delivery", "notify",
	    "removed", "hold", "released", "reject", "warning", "other",
	    "pickup" };

	if ((size_t)k >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[k];
}

const char *
pflog_stage_name(enum pflog_stage s)
{
	static const char *const names[] = { "", "CONNECT", "HELO", "TLS",
	    "MAIL", "RCPT", "DATA" };

	if ((size_t)s >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[s];
}

const char *
pflog_status_name(enum pflog_status s)
{
	static const char *const names[] = { "", "sent", "deferred",
	    "bounced", "expired", "softbounce", "other" };

	if ((size_t)s >= sizeof(names) / sizeof(names[0]))
		return "";
	return names[s];
}

/* A value, quoted C-style when it is empty or holds ' ', '"', '=' ... */
static void
print_value(FILE *fp, const char *v)
{
	const unsigned char	*p;
	int			 quote = *v == '\0';

	for (p = (const unsigned char *)v; *p != '\0' && !quote; p++)
		quote = *p <= ' ' || *p >= 0x7f || *p == '"' || *p == '=' ||
		    *p == '\\';
	if (!quote) {
		fputs(v, fp);
		return;
	}
	putc('"', fp);
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p < ' ' || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			putc(*p, fp);
	}
	putc('"', fp);
}

static void
str(FILE *fp, const char *k, const char *v)
{
	if (v == NULL)
		return;
	fprintf(fp, " %s=", k);
	print_value(fp, v);
}

static void
num(FILE *fp, const char *k, long long v)
{
	if (v >= 0)
		fprintf(fp, " %s=%lld", k, v);
}

static void
print_time(const struct pflog_rec *r, FILE *fp)
{
	struct tm	 tm;
	time_t		 t = (time_t)r->time;

	if (r->time < 0 || gmtime_r(&t, &tm) == NULL)
		return;
	fprintf(fp, " time=%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (r->usec > 0)
		fprintf(fp, ".%06ld", r->usec);
	fputc('Z', fp);
}

void
pflog_print(const struct pflog_rec *r, FILE *fp)
{
	fprintf(fp, "kind=%s", pflog_kind_name(r->kind));
	if (r->truncated)
		fputs(" truncated=1", fp);
	print_time(r, fp);
	str(fp, "host", r->host);
	str(fp, "service", r->service);
	str(fp, "daemon", r->daemon);
	num(fp, "pid", r->pid);
	str(fp, "qid", r->qid);
	str(fp, "level", r->level);
	str(fp, "action", r->action);
	str(fp, "client_name", r->client_name);
	str(fp, "client_addr", r->client_addr);
	num(fp, "client_port", r->client_port);
	str(fp, "sasl_method", r->sasl_method);
	str(fp, "sasl_username", r->sasl_username);
	str(fp, "sasl_sender", r->sasl_sender);
	str(fp, "orig_client", r->orig_client);
	str(fp, "message_id", r->message_id);
	if (r->resent)
		fputs(" resent=1", fp);
	num(fp, "uid", r->uid);
	str(fp, "orig_id", r->orig_id);
	str(fp, "from", r->from);
	num(fp, "size", r->size);
	num(fp, "nrcpt", r->nrcpt);
	str(fp, "to", r->to);
	str(fp, "orig_to", r->orig_to);
	str(fp, "relay", r->relay);
	str(fp, "relay_addr", r->relay_addr);
	num(fp, "relay_port", r->relay_port);
	num(fp, "conn_use", r->conn_use);
	if (r->delay >= 0)
		fprintf(fp, " delay=%.3f", r->delay);
	str(fp, "delays", r->delays);
	str(fp, "dsn", r->dsn);
	str(fp, "status", r->status);
	if (r->stage != PFLOG_STAGE_NONE)
		fprintf(fp, " stage=%s", pflog_stage_name(r->stage));
	if (r->code != 0)
		fprintf(fp, " code=%d", r->code);
	str(fp, "enh", r->enh);
	str(fp, "notify_to", r->notify_to);
	str(fp, "notify", r->notify);
	str(fp, "new_qid", r->new_qid);
	str(fp, "proto", r->proto);
	str(fp, "helo", r->helo);
	str(fp, "reply", r->reply != r->text ? r->reply : NULL);
	str(fp, "text", r->text);
	fputc('\n', fp);
}
