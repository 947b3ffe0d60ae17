/*
 * promhttp -- /metrics on evhttp; see promhttp.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "errf.h"
#include "netaddr.h"
#include "prom.h"
#include "promhttp.h"

struct promhttp {
	struct evhttp		*http;
	struct prom		*reg;
	promhttp_hook_fn	*hook;
	void			*hook_arg;
	/* thread mode */
	struct event_base	*own;
	struct event		*stopev;
	int			 stopfd[2];
	pthread_t		 tid;
	int			 running;
};

int
promhttp_check(const char *addr, char *err, size_t errlen)
{
	struct netaddr	 a;

	if (addr == NULL || *addr == '\0')
		return 0;
	if (netaddr_parse(addr, &a, err, errlen) < 0)
		return -1;
	if (a.kind != NETADDR_INET)
		return errf(err, errlen, "metrics address %s: only inet: "
		    "addresses can serve HTTP (no unix: sockets)", addr);
	return 0;
}

/* evhttp_send_error drops the headers set: 405's Allow must stay. */
static void
refuse(struct evhttp_request *req, int code, const char *reason)
{
	struct evbuffer	*body;

	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; charset=utf-8");
	if ((body = evbuffer_new()) != NULL)
		evbuffer_add_printf(body, "%d %s\n", code, reason);
	evhttp_send_reply(req, code, reason, body);
	if (body != NULL)
		evbuffer_free(body);
}

struct promhttp_wait {
	struct promhttp		*h;
	struct evhttp_request	*req;
};

/* The page of reg as the answer to req. */
static void
send_page(struct promhttp *h, struct evhttp_request *req)
{
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct evbuffer		*body;
	char			*text;
	size_t			 len;

	if ((text = prom_render(h->reg, &len)) == NULL ||
	    (body = evbuffer_new()) == NULL) {
		free(text);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	evbuffer_add(body, text, len);
	free(text);
	evhttp_add_header(out, "Content-Type", PROM_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

void
promhttp_resume(struct promhttp_wait *w)
{
	send_page(w->h, w->req);
	free(w);
}

static void
answer(struct evhttp_request *req, void *arg)
{
	struct promhttp		*h = arg;
	struct evkeyvalq	*out = evhttp_request_get_output_headers(req);
	struct promhttp_wait	*w;
	const char		*uri = evhttp_request_get_uri(req);
	enum evhttp_cmd_type	 cmd = evhttp_request_get_command(req);
	size_t			 plen = strcspn(uri, "?");

	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(out, "Allow", "GET, HEAD");
		refuse(req, 405, "Method Not Allowed");
		return;
	}
	if (plen != 8 || strncmp(uri, "/metrics", 8) != 0) {
		refuse(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (h->hook == NULL || (w = malloc(sizeof(*w))) == NULL) {
		send_page(h, req);
		return;
	}
	w->h = h, w->req = req;
	h->hook(h->hook_arg, w);
}

void
promhttp_hook(struct promhttp *h, promhttp_hook_fn *fn, void *arg)
{
	if (h == NULL)
		return;
	h->hook = fn;
	h->hook_arg = arg;
}

static int
bind_http(struct promhttp *h, struct event_base *base, const char *addr,
    char *err, size_t errlen)
{
	struct netaddr	 a;
	char		 e[256];

	if (promhttp_check(addr, err, errlen) < 0)
		return -1;
	if (*addr == '\0')
		return errf(err, errlen, "no metrics address");
	netaddr_parse(addr, &a, e, sizeof(e));
	if ((h->http = evhttp_new(base)) == NULL)
		return errf(err, errlen, "evhttp_new failed");
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(h->http, 10);
	evhttp_set_max_headers_size(h->http, 8192);
	evhttp_set_max_body_size(h->http, 4096);
	evhttp_set_gencb(h->http, answer, h);
	if (evhttp_bind_socket(h->http, a.host, (unsigned short)atoi(a.port))
	    < 0)
		return errf(err, errlen, "metrics address %s: cannot listen: "
		    "%s", addr, strerror(errno));
	return 0;
}

struct promhttp *
promhttp_new(struct event_base *base, struct prom *reg, const char *addr,
    char *err, size_t errlen)
{
	struct promhttp	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	h->reg = reg;
	h->stopfd[0] = h->stopfd[1] = -1;
	if (bind_http(h, base, addr, err, errlen) < 0)
		return promhttp_free(h);
	return h;
}

static void
on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct promhttp	*h = arg;

	(void)fd;
	(void)what;
	event_base_loopbreak(h->own);
}

static void *
run(void *arg)
{
	struct promhttp	*h = arg;

	event_base_dispatch(h->own);
	return NULL;
}

static int
start_thread(struct promhttp *h, char *err, size_t errlen)
{
	sigset_t	 all, old;
	int		 rc;

	if (pipe2(h->stopfd, O_CLOEXEC | O_NONBLOCK) < 0)
		return errf(err, errlen, "pipe: %s", strerror(errno));
	if ((h->stopev = event_new(h->own, h->stopfd[0], EV_READ, on_stop,
	    h)) == NULL || event_add(h->stopev, NULL) < 0)
		return errf(err, errlen, "event_new failed");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&h->tid, NULL, run, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return errf(err, errlen, "pthread_create: %s", strerror(rc));
	h->running = 1;
	return 0;
}

struct promhttp *
promhttp_thread(struct prom *reg, const char *addr, char *err, size_t errlen)
{
	struct promhttp	*h;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		errf(err, errlen, "out of memory");
		return NULL;
	}
	h->reg = reg;
	h->stopfd[0] = h->stopfd[1] = -1;
	if ((h->own = event_base_new()) == NULL) {
		errf(err, errlen, "event_base_new failed");
		return promhttp_free(h);
	}
	if (bind_http(h, h->own, addr, err, errlen) < 0 ||
	    start_thread(h, err, errlen) < 0)
		return promhttp_free(h);
	return h;
}

struct promhttp *
promhttp_free(struct promhttp *h)
{
	if (h == NULL)
		return NULL;
	if (h->running) {
		while (write(h->stopfd[1], "x", 1) < 0 && errno == EINTR)
			;
		pthread_join(h->tid, NULL);
	}
	if (h->http != NULL)
		evhttp_free(h->http);
	if (h->stopev != NULL)
		event_free(h->stopev);
	if (h->stopfd[0] >= 0)
		close(h->stopfd[0]);
	if (h->stopfd[1] >= 0)
		close(h->stopfd[1]);
	if (h->own != NULL)
		event_base_free(h->own);
	free(h);
	return NULL;
}
