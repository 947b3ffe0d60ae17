/*
 * spfwire -- the messages between outpost and its SPF helper process
 * (see spfhelper.h), as pure encode/decode functions.
 *
 * One message is one SOCK_SEQPACKET datagram of at most SPFWIRE_MAX
 * bytes: a type letter, the request id in decimal, then the fields of
 * that type, each followed by a NUL:
 *
 *   C id ip helo mailfrom          request: SPF check (mailfrom may be "")
 *   P id path                      request: probe (who am I, may I open path)
 *   R id result domain identity explanation    answer to C
 *   I id text                      answer to P
 *   E id text                      a request that could not be served
 *   X 0                            notice: the worker died and was
 *                                  restarted; requests in flight are lost
 *
 *   spfwire_encode(buf, len, type, id, fields, nfields)
 *       the datagram in buf; its length, or -1 (unknown type, wrong
 *       field count, a field too long, buf too small)
 *   spfwire_decode(buf, len, msg, err, errlen)
 *       parse buf (which it modifies: msg->field[] point into it);
 *       0, or -1 with err set on anything not exactly as above
 */
#ifndef OUTPOST_SPFWIRE_H
#define OUTPOST_SPFWIRE_H

#include <stddef.h>
#include <stdint.h>

#define SPFWIRE_MAX		2048
#define SPFWIRE_FIELD_MAX	1024	/* bytes of one field, NUL included */
#define SPFWIRE_FIELDS		4

struct spfwire_msg {
	char		 type;
	uint32_t	 id;
	int		 nfield;
	char		*field[SPFWIRE_FIELDS];
};

int	 spfwire_fields(char);
int	 spfwire_encode(char *, size_t, char, uint32_t, const char *const *,
	    int);
int	 spfwire_decode(char *, size_t, struct spfwire_msg *, char *, size_t);

#endif
