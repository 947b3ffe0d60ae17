/*
 * libFuzzer target for lib/pflog: the input is one log line.  Every
 * string of the record must lie inside the record's arena and be
 * NUL-terminated there (or be one of the static level names), the arena
 * must not overflow, the kind must be a known one, and printing must
 * not crash.
 */
// fuzz-sources: lib/pflog.c lib/pflog_fields.c lib/pflog_print.c
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pflog.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct pflog_rec	 R;

static void
check(const char *s)
{
	const char	*a = R.arena, *end = R.arena + R.used;

	if (s == NULL || s == R.level)
		return;
	if (s < a || s >= end || memchr(s, '\0', (size_t)(end - s)) == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE	*null;
	const char *const *f[] = { &R.host, &R.service, &R.daemon, &R.qid,
	    &R.client_name, &R.client_addr, &R.sasl_method, &R.sasl_username,
	    &R.sasl_sender, &R.orig_client, &R.message_id, &R.from, &R.to,
	    &R.orig_to, &R.relay, &R.relay_addr, &R.delays, &R.dsn,
	    &R.status, &R.text, &R.reply, &R.enh, &R.notify, &R.notify_to,
	    &R.new_qid, &R.action, &R.proto, &R.helo };
	size_t		 i;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	pflog_parse(&R, (const char *)data, size, 2026, 3600);
	if (R.used > sizeof(R.arena) || R.kind > PFLOG_OTHER ||
	    R.stage > PFLOG_STAGE_DATA || R.st > PFLOG_ST_OTHER)
		abort();
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		check(*f[i]);
	if (R.level != NULL && strcmp(R.level, "warning") != 0 &&
	    strcmp(R.level, "error") != 0 && strcmp(R.level, "fatal") != 0 &&
	    strcmp(R.level, "panic") != 0)
		abort();
	pflog_print(&R, null);
	return 0;
}
