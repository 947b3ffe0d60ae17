/*
 * aredis_ev -- the libevent adapter of lib/aredis's hiredis contexts (in
 * place of hiredis's adapters/libevent.h); see aredis_int.h.
 *
 * hiredis's own adapter registers EPOLLOUT for every command queued and
 * removes it after the write, and re-adds its one-shot read event after
 * every read: libevent's epoll backend makes each of these an epoll_ctl,
 * and the write waits for the next epoll_wait.  Here the read event is
 * persistent (added once), and a command queued on a connected context
 * activates a flush event instead: it runs later in the same loop
 * iteration, after the events already active (every request read in that
 * iteration has queued its commands by then), and writes them all with
 * one write().  Only when that write is short (the socket buffer is full)
 * does the context wait for EPOLLOUT.  While connecting, the write event
 * waits for the connection as with hiredis's adapter.
 *
 * hiredis may free the context inside any of its handlers (an error, a
 * disconnect), which calls cleanup: the struct is then freed by the
 * handler that called hiredis, once hiredis returns.
 */
#include <stdlib.h>

#include <event2/event.h>
#include <hiredis/async.h>

#include "aredis_int.h"

struct arev {
	redisAsyncContext	*ac;
	struct event		*rev, *wev, *flush;
	int			 inwrite;	/* in redisAsyncHandleWrite */
	int			 busy;		/* in a hiredis handler */
	int			 freed;		/* cleanup ran meanwhile */
};

static void
arev_destroy(struct arev *e)
{
	event_free(e->rev);
	event_free(e->wev);
	event_free(e->flush);
	free(e);
}

/* Run a hiredis handler; 1 when the context was freed meanwhile (and e
 * with it). */
static int
arev_run(struct arev *e, void (*fn)(redisAsyncContext *), int write)
{
	e->busy++;
	e->inwrite += write;
	fn(e->ac);
	e->inwrite -= write;
	if (--e->busy == 0 && e->freed) {
		arev_destroy(e);
		return 1;
	}
	return 0;
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	arev_run(arg, redisAsyncHandleRead, 0);
}

static void
on_write(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	arev_run(arg, redisAsyncHandleWrite, 1);
}

static void
add_read(void *arg)
{
	struct arev	*e = arg;

	if (!event_pending(e->rev, EV_READ, NULL))
		event_add(e->rev, NULL);
}

static void
del_read(void *arg)
{
	struct arev	*e = arg;

	event_del(e->rev);
}

/*
 * hiredis wants to write: a connected context that is not writing now
 * flushes later in this iteration; a short write, or a connection in
 * progress, waits for EPOLLOUT.
 */
static void
add_write(void *arg)
{
	struct arev	*e = arg;

	if (e->inwrite || !(e->ac->c.flags & REDIS_CONNECTED))
		event_add(e->wev, NULL);
	else
		event_active(e->flush, EV_WRITE, 1);
}

static void
del_write(void *arg)
{
	struct arev	*e = arg;

	event_del(e->wev);
}

static void
cleanup(void *arg)
{
	struct arev	*e = arg;

	event_del(e->rev);
	event_del(e->wev);
	event_del(e->flush);
	if (e->busy)
		e->freed = 1;
	else
		arev_destroy(e);
}

int
ar_attach(redisAsyncContext *ac, struct event_base *base)
{
	struct arev	*e;
	int		 fd = ac->c.fd;

	if (ac->ev.data != NULL || (e = calloc(1, sizeof(*e))) == NULL)
		return -1;
	e->ac = ac;
	e->rev = event_new(base, fd, EV_READ | EV_PERSIST, on_read, e);
	e->wev = event_new(base, fd, EV_WRITE, on_write, e);
	e->flush = event_new(base, -1, 0, on_write, e);
	if (e->rev == NULL || e->wev == NULL || e->flush == NULL) {
		if (e->rev != NULL)
			event_free(e->rev);
		if (e->wev != NULL)
			event_free(e->wev);
		if (e->flush != NULL)
			event_free(e->flush);
		free(e);
		return -1;
	}
	ac->ev.addRead = add_read;
	ac->ev.delRead = del_read;
	ac->ev.addWrite = add_write;
	ac->ev.delWrite = del_write;
	ac->ev.cleanup = cleanup;
	ac->ev.data = e;
	event_add(e->rev, NULL);
	event_add(e->wev, NULL);	/* the connect completes */
	return 0;
}
