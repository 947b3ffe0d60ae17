/*
 * follow -- read the MTA's log as it grows.  Poll-based: read to the end,
 * then every FOLLOW_POLL_MS look whether the file grew, was truncated
 * (size < our offset: start again at 0) or replaced (path names another
 * inode: finish the old file, then open the new one at 0).  Only whole
 * lines are handled; the offset after the last one handled is saved in
 * Pfb:pos:HOST:PATH (ino, off, t) with each batch of writes (a full
 * batch is sent and the next one parsed while Redis runs it; at the end
 * of the file the batch is committed and its outcome read), on rotation
 * and at exit, so that a restart neither counts a line twice nor skips one.  On
 * the very first start (no saved position) the file is read from its end
 * (from_start: from 0).  A position whose inode is not the file's any
 * more (rotated while we were down) starts the new file at 0.
 * "-" reads standard input to its end, without a position.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "feedback.h"
#include "log.h"
#include "ometrics.h"
#include "pflog.h"
#include "redis.h"
#include "schema.h"
#include "xmalloc.h"

#define FOLLOW_POLL_MS	200
#define FOLLOW_CHUNK	(256 * 1024)

struct follow {
	struct fb	*fb;
	const char	*path;
	char		 poskey[SCHEMA_KEY_MAX];
	int		 fd;
	ino_t		 ino;
	off_t		 off;		/* end of the last line handled */
	char		*buf;
	size_t		 len;		/* bytes in buf, from off */
};

static void
sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* The position a commit now saves: the end of the last line handled. */
static void
pos_mark(struct follow *f)
{
	struct fbbatch	*b = &f->fb->b;

	b->ino = (unsigned long long)f->ino;
	b->off = (long long)f->off;
	b->posdirty = 1;
}

static void	recover(struct follow *);

/*
 * Commit the batch with the position; on failure read again.  wait 0:
 * only send it (more lines are at hand: they are parsed while Redis runs
 * it); 1: and read its outcome (the file is quiet, or we stop).
 */
static int
pos_save(struct follow *f, int wait)
{
	pos_mark(f);
	f->fb->b.lines = 0;
	if ((wait ? batch_commit(f->fb) : batch_send(f->fb)) == 0)
		return 0;
	recover(f);
	return -1;
}

/* Saved position: 1 found (ino, off set), 0 none, -1 Redis failed. */
static int
pos_load(struct follow *f, unsigned long long *ino, long long *off)
{
	redisReply	*rep;
	int		 rc = 0;

	rep = redis_command(f->fb->rr, "HMGET %s ino off", f->poskey);
	if (rep == NULL)
		return -1;
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING) {
		*ino = strtoull(rep->element[0]->str, NULL, 10);
		*off = strtoll(rep->element[1]->str, NULL, 10);
		rc = 1;
	}
	freeReplyObject(rep);
	return rc;
}

static int
open_at(struct follow *f, int from_end, off_t off)
{
	struct stat	 st;

	if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(f->fd, &st) < 0) {
		close(f->fd);
		f->fd = -1;
		return -1;
	}
	f->ino = st.st_ino;
	f->off = from_end ? st.st_size : (off <= st.st_size ? off : 0);
	f->len = 0;
	if (lseek(f->fd, f->off, SEEK_SET) < 0)
		return -1;
	log_info("following %s (inode %llu) from offset %lld", f->path,
	    (unsigned long long)f->ino, (long long)f->off);
	return 0;
}

/*
 * A batch failed: its outcome is unknown.  Forget the batch, its
 * connection and the join state in memory (Redis holds what was
 * committed), then go back to the saved position.  Standard input cannot
 * go back: the batch is lost (logged).
 */
static void
recover(struct follow *f)
{
	struct fb		*fb = f->fb;
	unsigned long long	 ino;
	long long		 off;
	int			 rc;

	log_warn("redis: %s; reading again from the saved position in 1s",
	    redis_errstr(fb->r));
	prom_inc(om.redis_errors, "feedback", NULL);
	batch_reset(fb);
	jcache_clear(fb->jc);
	fb->b.lines = 0;
	f->len = 0;
	if (f->poskey[0] == '\0') {
		log_err("standard input: the writes of a batch are lost");
		return;
	}
	do
		sleep_ms(1000);
	while ((rc = pos_load(f, &ino, &off)) < 0 && !fb_stop);
	if (rc < 0)
		return;
	if (rc == 0 || ino != (unsigned long long)f->ino)
		off = 0;
	f->off = (off_t)off;
	if (lseek(f->fd, f->off, SEEK_SET) < 0)
		log_warn_errno("%s: seek", f->path);
	log_info("reading %s again from offset %lld", f->path, off);
}

/* Handle the whole lines in buf, committing full batches. */
static void
handle_lines(struct follow *f)
{
	struct fbbatch	*b = &f->fb->b;
	char		*p = f->buf, *nl;
	size_t		 left = f->len;

	while (left > 0 && !fb_stop &&
	    (nl = memchr(p, '\n', left)) != NULL) {
		pos_mark(f);		/* a commit inside the line: before it */
		if (join_text(f->fb, p, (size_t)(nl - p)) < 0) {
			recover(f);
			return;
		}
		left -= (size_t)(nl - p) + 1;
		f->off += (nl - p) + 1;
		p = nl + 1;
		if ((b->events >= FB_BATCH_EVENTS ||
		    ++b->lines >= FB_BATCH_LINES) && pos_save(f, 0) < 0)
			return;
	}
	if (left == FOLLOW_CHUNK) {	/* one line longer than the buffer */
		f->off += (off_t)left;	/* dropped: pflog cuts at 8K anyway */
		left = 0;
	}
	memmove(f->buf, p, left);
	f->len = left;
}

/* Read what is there; 1 read something, 0 at the end, -1 error. */
static int
read_some(struct follow *f)
{
	ssize_t	 n;

	n = read(f->fd, f->buf + f->len, FOLLOW_CHUNK - f->len);
	if (n < 0)
		return errno == EINTR ? 1 : -1;
	if (n == 0)
		return 0;
	f->len += (size_t)n;
	handle_lines(f);
	return 1;
}

/* At the end of the file: rotated, truncated, or just quiet? */
static void
check_file(struct follow *f)
{
	struct stat	 st, pst;

	if (fstat(f->fd, &st) == 0 && st.st_size < f->off) {
		log_info("%s truncated: reading it from the start", f->path);
		lseek(f->fd, 0, SEEK_SET);
		f->off = 0, f->len = 0;
		pos_save(f, 1);
		return;
	}
	if (stat(f->path, &pst) < 0 || pst.st_ino == f->ino)
		return;
	/* Renamed away: finish the old file, then the new one from 0. */
	while (!fb_stop && read_some(f) > 0)
		;
	close(f->fd);
	if (open_at(f, 0, 0) < 0) {
		log_warn_errno("%s", f->path);
		f->fd = -1;
	}
	pos_save(f, 1);
}

static int
start(struct follow *f, int from_start)
{
	unsigned long long	 ino;
	long long		 off;
	struct stat		 st;
	int			 rc;

	if (schema_key_fb(f->fb->conf, SCHEMA_FB_POS, f->fb->host, f->path,
	    f->poskey, sizeof(f->poskey)) < 0)
		fatal("%s: cannot be named in Redis", f->path);
	snprintf(f->fb->b.poskey, sizeof(f->fb->b.poskey), "%s", f->poskey);
	while ((rc = pos_load(f, &ino, &off)) < 0 && !fb_stop) {
		log_warn("redis: %s; retrying in 1s", redis_errstr(f->fb->r));
		sleep_ms(1000);
	}
	while (stat(f->path, &st) < 0 && !fb_stop)
		sleep_ms(FOLLOW_POLL_MS);
	if (fb_stop)
		return -1;
	if (rc == 1 && st.st_ino == ino)
		return open_at(f, 0, off);
	if (rc == 1)
		log_info("%s was replaced while we were stopped", f->path);
	return open_at(f, rc == 0 && !from_start, 0);
}

static int
run_stdin(struct follow *f)
{
	f->fd = 0;
	while (!fb_stop && read_some(f) > 0)
		pos_save(f, 1);
	pos_save(f, 1);
	return 0;
}

int
follow_run(struct fb *fb, const char *path, int from_start)
{
	struct follow	 f;
	int		 rc;

	memset(&f, 0, sizeof(f));
	f.fb = fb, f.path = path, f.fd = -1;
	f.buf = xmalloc(FOLLOW_CHUNK);
	if (strcmp(path, "-") == 0) {
		rc = run_stdin(&f);
		free(f.buf);
		return rc;
	}
	if (start(&f, from_start) < 0) {
		free(f.buf);
		return fb_stop ? 0 : -1;
	}
	while (!fb_stop) {
		if (fb_reload) {
			fb_reload = 0;
			fb_rules_load(fb, NULL, 0);
		}
		if (f.fd < 0 && open_at(&f, 0, 0) < 0) {
			sleep_ms(FOLLOW_POLL_MS);
			continue;
		}
		if ((rc = read_some(&f)) > 0)
			continue;
		if (rc < 0)
			log_warn_errno("%s: read", path);
		pos_save(&f, 1);	/* at the end: saved and read back */
		check_file(&f);
		sleep_ms(FOLLOW_POLL_MS);
	}
	pos_save(&f, 1);
	if (f.fd >= 0)
		close(f.fd);
	free(f.buf);
	return 0;
}
