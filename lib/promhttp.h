/*
 * promhttp -- GET /metrics over HTTP for one registry (prom.h), on
 * libevent's evhttp.
 *
 * The address is the usual syntax (netaddr.h): "inet:HOST:PORT" or
 * "inet:[IPV6]:PORT"; "unix:" is refused (evhttp binds TCP sockets
 * only).  The socket is bound before the call returns, so a taken port
 * or a bad host is the caller's error at start-up, not a silent thread.
 * Answers: GET (and HEAD) /metrics -> 200 with Content-Type
 * "text/plain; version=0.0.4; charset=utf-8" and prom_render's text;
 * another path -> 404; another method -> 405 with "Allow: GET, HEAD".
 * A query string is ignored.  Never logs.
 *
 *   promhttp_check(addr, err, errlen)
 *       0 if addr is an address promhttp can serve, -1 with err set
 *       (for config checks; empty addr: 0, off)
 *   promhttp_new(base, reg, addr, err, errlen)
 *       serve from the caller's event loop (policyd).  NULL with err set.
 *   promhttp_thread(reg, addr, err, errlen)
 *       serve from a thread of its own running its own event_base (the
 *       milter's libmilter threads, feedback's blocking follow loop); the
 *       thread blocks every signal.  Start it after daemon(): threads
 *       do not survive fork.  NULL with err set.
 *   promhttp_free(h)
 *       NULL-safe, returns NULL; for a thread: stops and joins it.
 *   promhttp_hook(h, fn, arg)
 *       before each GET or HEAD /metrics answer, fn(arg, w) is called
 *       (fn NULL: none, the default) so its owner can bring figures that
 *       live elsewhere up to date without blocking the loop (policyd's
 *       users paused, counted by Redis); fn calls promhttp_resume(w)
 *       exactly once, at once or later from the same loop, and the page
 *       is rendered and sent then.  A client gone meanwhile is no error
 *       (libevent keeps the request until it is answered).  Every w held
 *       must be resumed before promhttp_free, and the hook removed
 *       (fn NULL) before arg is freed.  For promhttp_new only.
 *   promhttp_resume(w)
 *       render reg and answer the request w stands for; frees w.
 * Scrapes read reg concurrently with its increments (prom.h allows it);
 * reg must outlive h.
 */
#ifndef OUTPOST_PROMHTTP_H
#define OUTPOST_PROMHTTP_H

#include <stddef.h>

struct event_base;
struct prom;
struct promhttp;
struct promhttp_wait;

typedef void promhttp_hook_fn(void *, struct promhttp_wait *);

int		 promhttp_check(const char *, char *, size_t);
struct promhttp	*promhttp_new(struct event_base *, struct prom *,
		    const char *, char *, size_t);
struct promhttp	*promhttp_thread(struct prom *, const char *, char *,
		    size_t);
struct promhttp	*promhttp_free(struct promhttp *);
void		 promhttp_hook(struct promhttp *, promhttp_hook_fn *, void *);
void		 promhttp_resume(struct promhttp_wait *);

#endif
