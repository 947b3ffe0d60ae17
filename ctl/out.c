/*
 * outpostctl -- the one path for refusals, successes and JSON documents,
 * and the Redis connection of the verbs that need it.  See ctl.h for the
 * contract every verb keeps.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"

struct json *
ctl_json_open(struct ctl *ctl)
{
	struct json	*j;

	(void)ctl;
	if ((j = json_new(stdout)) == NULL) {
		fputs("outpostctl: out of memory\n", stderr);
		exit(EXIT_REFUSED);
	}
	return j;
}

int
ctl_json_close(struct ctl *ctl, struct json *j)
{
	int	 rc;

	rc = json_end(j);
	json_free(j);
	if (fflush(stdout) == EOF || rc < 0) {
		ctl->json = 0;		/* stdout is what failed */
		return ctl_refuse(ctl, "could not write the JSON document");
	}
	return EXIT_OK;
}

/* {"ok":OK[,KEY:VALUE],MKEY:MSG} on stdout. */
static int
print_status(struct ctl *ctl, int ok, const char *key, const char *value,
    const char *mkey, const char *msg)
{
	struct json	*j;

	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", ok);
	if (key != NULL)
		json_kv_str(j, key, value);
	json_kv_str(j, mkey, msg);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

int
ctl_refuse(struct ctl *ctl, const char *fmt, ...)
{
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "outpostctl: %s\n", msg);
	if (ctl->json)
		(void)print_status(ctl, 0, NULL, NULL, "error", msg);
	return EXIT_REFUSED;
}

int
ctl_bad_usage(const char *fmt, ...)
{
	va_list	 ap;

	fputs("outpostctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (outpostctl --help shows the usage)\n", stderr);
	return EXIT_USAGE;
}

void
ctl_warn(const char *fmt, ...)
{
	va_list	 ap;

	fputs("outpostctl: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
ctl_done(struct ctl *ctl, const char *what, const char *name,
    const char *fmt, ...)
{
	char		 msg[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!ctl->json) {
		printf("%s\n", msg);
		return EXIT_OK;
	}
	return print_status(ctl, 1, what, name, "message", msg);
}

struct redis *
ctl_redis(struct ctl *ctl)
{
	struct redis	*r;
	char		 err[512];

	if ((r = redis_new(&ctl->conf, err, sizeof(err))) == NULL) {
		ctl_refuse(ctl, "%s", err);
		return NULL;
	}
	if (redis_connect(r) < 0) {
		ctl_refuse(ctl, "redis %s: %s", ctl->conf.redis_address,
		    redis_errstr(r));
		return redis_free(r);
	}
	return r;
}

int
ctl_redis_failed(struct ctl *ctl, struct redis *r, const char *what)
{
	return ctl_refuse(ctl, "%s: redis: %s", what, redis_errstr(r));
}

int
ctl_write_failed(struct ctl *ctl, struct redis *r, const char *what,
    const char *check)
{
	switch (redis_unanswered(r)) {
	case REDIS_SENT_TIMEOUT:
		return ctl_refuse(ctl, "%s: outcome unknown (Redis did not "
		    "answer within redis_timeout): check with outpostctl %s",
		    what, check);
	case REDIS_SENT_LOST:
		return ctl_refuse(ctl, "%s: outcome unknown (%s): check with "
		    "outpostctl %s", what, redis_errstr(r), check);
	default:
		return ctl_redis_failed(ctl, r, what);
	}
}
