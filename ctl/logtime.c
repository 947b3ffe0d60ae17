/*
 * outpostctl -- what log, stats and user show share about the delivery
 * log and the per-user figures: the clock, the period arguments, the key
 * names (lib/schema.h "DELIVERY LOG", "PER-USER FIGURES") and the rates.
 * See ctl.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"

int
ctl_now_ms(struct ctl *ctl, struct redis *r, long long *ms)
{
	redisReply	*rep;
	int		 ok;

	if ((rep = redis_command(r, "TIME")) == NULL)
		return ctl_redis_failed(ctl, r, "TIME");
	ok = rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING;
	if (ok)
		*ms = strtoll(rep->element[0]->str, NULL, 10) * 1000 +
		    strtoll(rep->element[1]->str, NULL, 10) / 1000;
	freeReplyObject(rep);
	return ok ? EXIT_OK : ctl_refuse(ctl, "TIME: unexpected reply");
}

/*
 * An ISO 8601 date ("2026-12-01", "2026-12-01T10:00:00Z") when it looks
 * like one (a '-' after four digits), else a duration back from now.
 */
int
ctl_when(const char *s, long long now, long long *ms)
{
	long long	 t;
	long		 d;

	if (strlen(s) >= 10 && s[4] == '-') {
		if (supcsv_parse_time(s, &t) < 0)
			return -1;
		*ms = t * 1000;
		return 0;
	}
	if (conf_parse_duration(s, &d) < 0)
		return -1;
	*ms = now - d;
	return 0;
}

int
ctl_count(const char *s, long max, long *n)
{
	char	*end;
	long	 v;

	if (*s < '0' || *s > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > max)
		return -1;
	*n = v;
	return 0;
}

/* lib/schema.h's names (P{log}:KIND:NAME, P{log}:all, P{log}:who). */
int
ctl_log_key(struct ctl *ctl, const char *kind, const char *name, char *buf)
{
	return schema_key_log(&ctl->conf, kind, *name ? name : NULL, buf,
	    SCHEMA_KEY_MAX);
}

char *
ctl_rate(unsigned long long num, unsigned long long den, char *buf,
    size_t len)
{
	if (den == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f%%", 100.0 * (double)num /
		    (double)den);
	return buf;
}
