/*
 * milterwire -- the milter protocol (v6) on the wire, MTA side: packets,
 * macros, option negotiation, and reading the milter's replies.  The
 * interface, return values and ownership are described in milterwire.h.
 *
 * A packet is a 4-byte length in network order (counting the command
 * byte), the command byte, then the data.  Macros are one MW_C_MACRO
 * packet: the stage's command byte, then "name\0value\0...".
 */
#include <errno.h>
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>

#include "benchutil.h"
#include "milterwire.h"

#define OFFER_ACTIONS	0x1ffu
#define OFFER_STEPS	0x1fffffu
#define PKT_MAX		(16 * 1024 * 1024)

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
read_all(int fd, char *p, size_t n)
{
	while (n > 0) {
		ssize_t r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Small packets go out in one write, large ones header + data in one
 * writev (finished with write_all when it comes up short). */
int
mw_send(int fd, char cmd, const char *data, size_t len)
{
	char hdr[5];
	uint32_t l = htonl((uint32_t)len + 1);
	struct iovec iov[2];
	ssize_t w;

	memcpy(hdr, &l, 4);
	hdr[4] = cmd;
	if (len == 0)
		return write_all(fd, hdr, 5);
	if (len < 4096) {
		char buf[4101];
		memcpy(buf, hdr, 5);
		memcpy(buf + 5, data, len);
		return write_all(fd, buf, len + 5);
	}
	iov[0].iov_base = hdr;
	iov[0].iov_len = 5;
	iov[1].iov_base = (void *)(uintptr_t)data;
	iov[1].iov_len = len;
	w = writev(fd, iov, 2);
	if (w < 0)
		return -1;
	if ((size_t)w < 5)
		return write_all(fd, hdr + w, 5 - (size_t)w) ||
		    write_all(fd, data, len);
	return write_all(fd, data + (w - 5), len - (size_t)(w - 5));
}

int
mw_recv(int fd, char **buf, size_t *cap, size_t *len)
{
	uint32_t l;
	char cmd;

	if (read_all(fd, (char *)&l, 4) < 0)
		return -1;
	l = ntohl(l);
	if (l == 0 || l > PKT_MAX)
		return -1;
	if (read_all(fd, &cmd, 1) < 0)
		return -1;
	*len = l - 1;
	if (*len + 1 > *cap) {
		*cap = *len + 1;
		*buf = bench_realloc(*buf, *cap);
	}
	if (*len && read_all(fd, *buf, *len) < 0)
		return -1;
	(*buf)[*len] = '\0';
	return (unsigned char)cmd;
}

/* Builds a NUL-separated list "a\0b\0..." from a NULL-terminated array;
 * what does not fit in cap is left out. */
static size_t
nul_list(char *out, size_t cap, const char *const *v)
{
	size_t n = 0;

	for (; *v; v++) {
		size_t l = strlen(*v) + 1;
		if (n + l > cap)
			break;
		memcpy(out + n, *v, l);
		n += l;
	}
	return n;
}

int
mw_send_macros(int fd, char stage, const char *const *kv)
{
	char buf[1024];
	size_t n;

	buf[0] = stage;
	n = nul_list(buf + 1, sizeof buf - 1, kv);
	return mw_send(fd, MW_C_MACRO, buf, n + 1);
}

int
mw_negotiate(struct mw_conn *c)
{
	char buf[12];
	size_t len;
	uint32_t v[3] = { htonl(6), htonl(OFFER_ACTIONS), htonl(OFFER_STEPS) };

	memcpy(buf, v, sizeof v);
	if (mw_send(c->fd, MW_C_OPTNEG, buf, sizeof buf) < 0 ||
	    mw_recv(c->fd, &c->rb, &c->rcap, &len) != MW_R_OPTNEG ||
	    len < 12)
		return -1;
	memcpy(v, c->rb, sizeof v);
	c->steps = ntohl(v[2]);
	return 0;
}

/* Keeps "Name: value" of an added header in *slot (value after the name's
 * NUL in the packet). */
static void
keep_header(char **slot, const char *name, const char *rb, size_t len)
{
	size_t nl = strlen(name) + 1;
	const char *val;

	if ((size_t)(name - rb) + nl > len)
		return;
	val = name + nl;
	free(*slot);
	if (asprintf(slot, "%s:%s%s", name, (*val == ' ' || *val == '\t') ?
	    "" : " ", val) < 0)
		*slot = NULL;
}

/* An added or inserted header at end of message: DKIM-Signature counts
 * as a signature, Authentication-Results as a verdict (their text kept
 * when e->keep), anything else as another modification.  0, or -1 when
 * the packet is malformed. */
static int
note_header(struct mw_eom *e, int cmd, const char *rb, size_t len)
{
	const char *name = rb + (cmd == MW_R_INSHDR ? 4 : 0);

	if (e == NULL || len < (cmd == MW_R_INSHDR ? 5u : 1u))
		return -1;
	if (strcasecmp(name, "DKIM-Signature") == 0) {
		if (e->keep && e->sigs < MW_EOM_SIGS)
			keep_header(&e->sighdr[e->sigs], name, rb, len);
		e->sigs++;
	} else if (strcasecmp(name, "Authentication-Results") == 0) {
		if (e->keep && e->ars < MW_EOM_ARS)
			keep_header(&e->arhdr[e->ars], name, rb, len);
		e->ars++;
	} else
		e->mods++;
	return 0;
}

int
mw_read_reply(struct mw_conn *c, struct mw_eom *e)
{
	size_t len;
	int cmd;

	for (;;) {
		if ((cmd = mw_recv(c->fd, &c->rb, &c->rcap, &len)) < 0)
			return -1;
		switch (cmd) {
		case MW_R_PROGRESS:
			continue;
		case MW_R_ADDHDR:
		case MW_R_INSHDR:
			if (note_header(e, cmd, c->rb, len) < 0)
				return -1;
			continue;
		case MW_R_CHGHDR: case '+': case '-': case 'e': case 'b':
		case 'q': case '2':
			if (e)
				e->mods++;
			continue;
		default:
			return cmd;
		}
	}
}

int
mw_step(struct mw_conn *c, char cmd, const char *data, size_t len,
    uint32_t noflag, uint32_t nrflag)
{
	if (noflag && (c->steps & noflag))
		return MW_R_CONTINUE;
	if (mw_send(c->fd, cmd, data, len) < 0)
		return -1;
	if (nrflag && (c->steps & nrflag))
		return MW_R_CONTINUE;
	return mw_read_reply(c, NULL);
}

void
mw_quit(struct mw_conn *c)
{
	if (c->fd >= 0) {
		mw_send(c->fd, MW_C_QUIT, NULL, 0);
		close(c->fd);
	}
	c->fd = -1;
}

void
mw_conn_clear(struct mw_conn *c)
{
	free(c->rb);
	c->rb = NULL;
	c->rcap = 0;
}

void
mw_eom_clear(struct mw_eom *e)
{
	int i;

	for (i = 0; i < MW_EOM_SIGS; i++) {
		free(e->sighdr[i]);
		e->sighdr[i] = NULL;
	}
	for (i = 0; i < MW_EOM_ARS; i++) {
		free(e->arhdr[i]);
		e->arhdr[i] = NULL;
	}
}
