/*
 * outpostctl suppress list / export / import -- whole suppression lists,
 * streamed in constant memory.
 *
 *   sup_list(ctl, o), sup_export(ctl, o): sup_dump(ctl, r, user, csv)
 *       every live (not expired) entry of the global list or of user's:
 *       csv = 1 writes the CSV of lib/supcsv.h with its header line
 *       (export), csv = 0 one "ADDRESS REASON CREATED EXPIRES" line each,
 *       or a JSON array with --json (list, and export too).  Buckets are read DUMP_BATCH
 *       at a time, so memory does not grow with the list.  The order is
 *       the storage order (by bucket), not sorted.
 *   sup_import(ctl, o)
 *       reads the CSV from o->args[0] ("-": stdin) line by line; each good line
 *       is one HSET, pipelined IMPORT_BATCH at a time; each bad line is
 *       reported as "FILE:LINE: reason" on stderr and skipped.  Ends with
 *       "imported N (new X), rejected M"; exit 1 if any line was rejected
 *       or Redis failed (then it says how far it got).  Each line is
 *       atomic, the file as a whole is not.  With --user the lines go
 *       IMPORT_USER_BATCH at a time in one script that writes only while
 *       the user exists (lua_import): a concurrent "user del" stops the
 *       import and leaves nothing of it behind.
 *
 * Entries are stored with minute precision (lib/schema.h), so an export
 * re-imported gives back exactly the same entries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "json.h"
#include "redis.h"
#include "schema.h"
#include "supcsv.h"
#include "xmalloc.h"

#define DUMP_BATCH	64	/* buckets per pipeline */
#define IMPORT_BATCH	1000	/* HSETs per pipeline */
#define IMPORT_USER_BATCH 300	/* entries per script (--user) */

static int
user_missing(struct ctl *ctl, struct redis *r, const char *user)
{
	char		 acct[SCHEMA_KEY_MAX];
	redisReply	*rep;
	long long	 n;

	if (user == NULL)
		return 0;
	schema_key_user(&ctl->conf, user, SCHEMA_ACCT, acct, sizeof(acct));
	if ((rep = redis_command(r, "EXISTS %s", acct)) == NULL)
		return ctl_redis_failed(ctl, r, "suppress");
	n = rep->integer;
	freeReplyObject(rep);
	if (n == 0)
		return ctl_refuse(ctl, "user %s does not exist", user);
	return 0;
}

/* One entry of a bucket, written in the chosen format. */
static void
emit(struct ctl *ctl, struct json *j, int csv, const char *addr,
    const struct schema_sup *e)
{
	struct supcsv_rec	 rec;
	char			 line[SUPCSV_LINE_MAX];
	char			 c[SUPCSV_TIME_MAX], x[SUPCSV_TIME_MAX];

	if (csv) {
		if (strlen(addr) >= sizeof(rec.address))
			return;		/* never stored by outpost */
		strcpy(rec.address, addr);
		rec.reason = e->reason;
		rec.created = e->created;
		rec.expires = e->expires;
		if (supcsv_format(&rec, line, sizeof(line)) > 0)
			printf("%s\n", line);
		return;
	}
	supcsv_format_time(e->created, c, sizeof(c));
	if (e->expires != 0)
		supcsv_format_time(e->expires, x, sizeof(x));
	if (!ctl->json) {
		printf("%s %s %s %s\n", addr, supcsv_reason_name(e->reason), c,
		    e->expires ? x : "never");
		return;
	}
	json_obj_begin(j);
	json_kv_str(j, "address", addr);
	json_kv_str(j, "reason", supcsv_reason_name(e->reason));
	json_kv_str(j, "created", c);
	json_kv_str(j, "expires", e->expires ? x : NULL);
	json_obj_end(j);
}

/* Emit the live entries of one HGETALL reply; the number of bad ones. */
static long
emit_bucket(struct ctl *ctl, struct json *j, int csv, const redisReply *h,
    long long now, long *count)
{
	struct schema_sup	 e;
	char			 addr[SCHEMA_SUP_FIELD_MAX + 1];
	size_t			 i;
	long			 bad = 0;

	for (i = 0; i + 1 < h->elements; i += 2) {
		if (schema_sup_field_decode(h->element[i]->str,
		    h->element[i]->len, addr, sizeof(addr)) < 0 ||
		    schema_sup_decode(h->element[i + 1]->str, &e) < 0) {
			bad++;
			continue;
		}
		if (e.expires != 0 && e.expires <= now)
			continue;
		emit(ctl, j, csv, addr, &e);
		(*count)++;
	}
	return bad;
}

static int
dump_buckets(struct ctl *ctl, struct redis *r, const char *user,
    struct json *j, int csv, long *count, long *bad)
{
	char		 key[SCHEMA_KEY_MAX];
	redisReply	*h;
	unsigned	 nb, b, k, n;
	long long	 now = (long long)time(NULL);

	nb = user ? SCHEMA_SUP_USER_BUCKETS : SCHEMA_SUP_GLOBAL_BUCKETS;
	for (b = 0; b < nb; b += n) {
		n = nb - b < DUMP_BATCH ? nb - b : DUMP_BATCH;
		for (k = 0; k < n; k++) {
			schema_key_sup(&ctl->conf, user, b + k, key,
			    sizeof(key));
			if (redis_append(r, "HGETALL %s", key) < 0)
				return -1;
		}
		for (k = 0; k < n; k++) {
			if ((h = redis_get_reply(r)) == NULL)
				return -1;
			*bad += emit_bucket(ctl, j, csv, h, now, count);
			freeReplyObject(h);
		}
	}
	return 0;
}

static int
sup_dump(struct ctl *ctl, struct redis *r, const char *user, int csv)
{
	struct json	*j = NULL;
	long		 count = 0, bad = 0;
	int		 rc;

	if (user_missing(ctl, r, user))
		return EXIT_REFUSED;
	if (ctl->json)
		csv = 0;		/* --json: the JSON array of list */
	if (csv)
		printf("%s\n", SUPCSV_HEADER);
	else if (ctl->json) {
		j = ctl_json_open(ctl);
		json_arr_begin(j);
	}
	rc = dump_buckets(ctl, r, user, j, csv, &count, &bad);
	if (j != NULL) {
		json_arr_end(j);
		if (rc == 0 && ctl_json_close(ctl, j) != EXIT_OK)
			return EXIT_REFUSED;
		if (rc < 0)
			json_free(j);
	}
	fflush(stdout);
	if (rc < 0)
		return ctl_redis_failed(ctl, r, csv ? "suppress export" :
		    "suppress list");
	if (bad > 0)
		fprintf(stderr, "outpostctl: warning: %ld stored entries could "
		    "not be decoded and were skipped\n", bad);
	return EXIT_OK;
}

int
sup_list(struct ctl *ctl, struct ctl_opts *o)
{
	return sup_dump(ctl, ctl->r, o->user, 0);
}

int
sup_export(struct ctl *ctl, struct ctl_opts *o)
{
	return sup_dump(ctl, ctl->r, o->user, 1);
}

/*
 * Read one line (with its '\n') into buf, at most size - 1 bytes; the
 * rest of a longer line is consumed and *overlong set.  Returns the
 * number of bytes stored, -1 at end of file.  NUL bytes are kept.
 */
static long
read_line(FILE *fp, char *buf, size_t size, int *overlong)
{
	size_t	 n = 0;
	int	 c;

	*overlong = 0;
	while ((c = getc_unlocked(fp)) != EOF) {
		if (n + 1 < size)
			buf[n++] = (char)c;
		else
			*overlong = 1;
		if (c == '\n')
			break;
	}
	if (c == EOF && n == 0 && !*overlong)
		return -1;
	buf[n] = '\0';
	return (long)n;
}

/* One entry of a user import batch (lua_import's ARGV triple). */
struct ientry {
	char	 key[SCHEMA_KEY_MAX];	/* the user's bucket */
	char	 field[SCHEMA_SUP_FIELD_MAX];
	size_t	 flen;
	char	 val[64];
};

struct import {
	struct ctl	*ctl;
	struct redis	*r;
	const char	*user;
	const char	*name;		/* file name for messages */
	unsigned long	 line;
	long		 pending, imported, added, rejected;
	/* --user: the batch, the account's "created", its key */
	struct ientry	*batch;
	char		 created[32];
	char		 acct[SCHEMA_KEY_MAX];
	int		 gone;		/* the user was deleted meanwhile */
};

/*
 * A batch of a user's import: KEYS acct, then the bucket of each entry
 * (all of the user's slot, built by schema_key_sup); ARGV created, then
 * (field, value) pairs, pair i for KEYS[i + 1].  Writes only while
 * the account is the one the import started with (its "created"), so a
 * batch can never recreate the buckets "user del" removed: that script
 * deletes acct and every bucket in one step, and each batch runs wholly
 * before it (then it is deleted with the rest) or wholly after (then it
 * writes nothing).  -1 when the user is gone, else the number of new
 * entries.
 */
static const char lua_import[] =
    "if redis.call('HGET', KEYS[1], 'created') ~= ARGV[1] then return -1"
    " end\n"
    "local n = 0\n"
    "for i = 2, #KEYS do\n"
    "  n = n + redis.call('HSET', KEYS[i], ARGV[2 * i - 2],"
    " ARGV[2 * i - 1])\n"
    "end\n"
    "return n\n";

/* Send a user's batch as one script; 0, or -1 (Redis failed, or the
 * user is gone: im->gone). */
static int
flush_user(struct import *im)
{
	const char	*av[2 + 3 * IMPORT_USER_BATCH];
	size_t		 al[2 + 3 * IMPORT_USER_BATCH];
	redisReply	*rep;
	long		 i, argc;

	if (im->pending == 0)
		return 0;
	av[0] = im->acct, al[0] = strlen(im->acct);
	for (i = 0; i < im->pending; i++)
		av[1 + i] = im->batch[i].key, al[1 + i] =
		    strlen(im->batch[i].key);
	argc = 1 + im->pending;
	av[argc] = im->created, al[argc++] = strlen(im->created);
	for (i = 0; i < im->pending; i++) {
		av[argc] = im->batch[i].field;
		al[argc++] = im->batch[i].flen;
		av[argc] = im->batch[i].val;
		al[argc++] = strlen(im->batch[i].val);
	}
	if ((rep = redis_eval(im->r, lua_import, (int)(1 + im->pending),
	    (int)argc, av, al)) == NULL)
		return -1;
	if (rep->integer < 0)
		im->gone = 1;
	else {
		im->imported += im->pending;
		im->added += rep->integer;
	}
	freeReplyObject(rep);
	im->pending = 0;
	return im->gone ? -1 : 0;
}

/* Read the replies of the pending HSETs; 0 or -1. */
static int
flush(struct import *im)
{
	redisReply	*rep;

	if (im->user != NULL)
		return flush_user(im);
	for (; im->pending > 0; im->pending--) {
		if ((rep = redis_get_reply(im->r)) == NULL)
			return -1;
		im->imported++;
		im->added += rep->integer;
		freeReplyObject(rep);
	}
	return 0;
}

static int
queue_record(struct import *im, struct supcsv_rec *rec)
{
	struct sup_where	 w;
	struct schema_sup	 e;
	char			 val[64];
	const char		*av[4];
	size_t			 al[4];

	schema_sup_addr(&im->ctl->conf, rec->address);
	e.reason = rec->reason;
	e.created = rec->created;
	e.expires = rec->expires;
	if (sup_where(im->ctl, im->user, rec->address, &w) < 0 ||
	    schema_sup_encode(&e, val, sizeof(val)) < 0) {
		fprintf(stderr, "%s:%lu: %s: cannot be stored\n", im->name,
		    im->line, rec->address);
		im->rejected++;
		return 0;
	}
	if (im->user != NULL) {
		struct ientry	*b = &im->batch[im->pending];

		snprintf(b->key, sizeof(b->key), "%s", w.key);
		memcpy(b->field, w.field, (size_t)w.flen);
		b->flen = (size_t)w.flen;
		snprintf(b->val, sizeof(b->val), "%s", val);
		if (++im->pending == IMPORT_USER_BATCH)
			return flush(im);
		return 0;
	}
	av[0] = "HSET", al[0] = 4;
	av[1] = w.key, al[1] = strlen(w.key);
	av[2] = w.field, al[2] = (size_t)w.flen;
	av[3] = val, al[3] = strlen(val);
	if (redis_appendv(im->r, 4, av, al) < 0)
		return -1;
	if (++im->pending == IMPORT_BATCH)
		return flush(im);
	return 0;
}

static int
import_stream(struct import *im, FILE *fp)
{
	struct supcsv_rec	 rec;
	char			 buf[SUPCSV_LINE_MAX + 1], err[512];
	long long		 now = (long long)time(NULL);
	long			 n;
	int			 overlong, rc;

	while ((n = read_line(fp, buf, sizeof(buf), &overlong)) >= 0) {
		im->line++;
		if (overlong)
			rc = -1, snprintf(err, sizeof(err), "line longer than "
			    "%d bytes", SUPCSV_LINE_MAX - 1);
		else
			rc = supcsv_parse(buf, (size_t)n, now, &rec, err,
			    sizeof(err));
		if (rc < 0) {
			fprintf(stderr, "%s:%lu: %s\n", im->name, im->line,
			    err);
			im->rejected++;
		} else if (rc == 1 && queue_record(im, &rec) < 0)
			return -1;
	}
	return flush(im);
}

/* The summary line, or with --json {"ok":...,"imported":N,"new":N,
 * "rejected":N[,"error":...]}. */
static int
import_summary(struct ctl *ctl, const struct import *im)
{
	struct json	*j;
	char		 msg[128];

	snprintf(msg, sizeof(msg), "%ld line%s rejected", im->rejected,
	    im->rejected == 1 ? "" : "s");
	if (!ctl->json) {
		printf("imported %ld (new %ld), rejected %ld\n", im->imported,
		    im->added, im->rejected);
		return im->rejected ? EXIT_REFUSED : EXIT_OK;
	}
	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", im->rejected == 0);
	json_kv_int(j, "imported", im->imported);
	json_kv_int(j, "new", im->added);
	json_kv_int(j, "rejected", im->rejected);
	if (im->rejected)
		json_kv_str(j, "error", msg);
	json_obj_end(j);
	if (ctl_json_close(ctl, j) != EXIT_OK)
		return EXIT_REFUSED;
	return im->rejected ? EXIT_REFUSED : EXIT_OK;
}

/* --user: the account's "created" (the import writes only while it is
 * the same), the key names and the batch; EXIT_OK or the refusal. */
static int
import_user(struct import *im)
{
	redisReply	*rep;
	int		 ok;

	schema_key_user(&im->ctl->conf, im->user, SCHEMA_ACCT, im->acct,
	    sizeof(im->acct));
	if ((rep = redis_command(im->r, "HGET %s %s", im->acct,
	    SCHEMA_F_CREATED)) == NULL)
		return ctl_redis_failed(im->ctl, im->r, "suppress import");
	ok = rep->type == REDIS_REPLY_STRING && rep->len > 0 &&
	    rep->len < sizeof(im->created);
	if (ok)
		memcpy(im->created, rep->str, rep->len + 1);
	freeReplyObject(rep);
	if (!ok)
		return ctl_refuse(im->ctl, "user %s does not exist", im->user);
	im->batch = xcalloc(IMPORT_USER_BATCH, sizeof(*im->batch));
	return EXIT_OK;
}

int
sup_import(struct ctl *ctl, struct ctl_opts *o)
{
	struct redis	*r = ctl->r;
	const char	*user = o->user, *path = o->args[0];
	struct import	 im;
	FILE		*fp;
	int		 rc, rerr;

	memset(&im, 0, sizeof(im));
	im.ctl = ctl, im.r = r, im.user = user;
	if (user != NULL && import_user(&im) != EXIT_OK)
		return EXIT_REFUSED;
	im.name = strcmp(path, "-") == 0 ? "stdin" : path;
	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "r")) == NULL)
		return ctl_refuse(ctl, "%s: cannot open: %m", path);
	rc = import_stream(&im, fp);
	rerr = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	free(im.batch);
	if (im.gone)
		return ctl_refuse(ctl, "%s:%lu: user %s was deleted during the "
		    "import; stopped (%ld lines imported before, and deleted "
		    "with the user)", im.name, im.line, user, im.imported);
	if (rc < 0)
		return ctl_refuse(ctl, "%s:%lu: redis: %s (%ld lines imported "
		    "before the failure)", im.name, im.line, redis_errstr(r),
		    im.imported);
	if (rerr)
		return ctl_refuse(ctl, "%s:%lu: read error", im.name, im.line);
	return import_summary(ctl, &im);
}
