/*
 * mailmsg -- the message a load generator sends: headers as an MTA hands
 * them to a milter (name, value with the folding CRLFs kept) and a body
 * with CRLF line ends.
 *
 *   mailmsg_default(m)     the built-in message: 7 headers and plain text
 *                          lines, 4096 bytes as stored with CRLF.
 *   mailmsg_load(m, path, err, errlen)  reads an RFC 5322 message (LF or
 *                          CRLF); 0, or -1 with "path: reason" in err.
 *   mailmsg_write_signed(m, path, sig, nsig)  writes sig[nsig-1] .. sig[0]
 *                          (each "Name: value", NULL for a lost one) on
 *                          top of the message, LF line ends: what a
 *                          verifier reads.  0, or -1 with errno.
 *   mailmsg_clear(m)       frees what the message holds; m is then empty.
 *
 * The caller owns struct mailmsg (zeroed before use) and clears it.  Out
 * of memory is fatal.
 */
#ifndef OUTPOST_MAILMSG_H
#define OUTPOST_MAILMSG_H

#include <stddef.h>

struct mailmsg_hdr {
	char	*name, *value;
};

struct mailmsg {
	struct mailmsg_hdr *hdrs;
	int		 nhdrs;
	char		*body;		/* CRLF line ends */
	size_t		 bodylen;
};

void	mailmsg_default(struct mailmsg *m);
int	mailmsg_load(struct mailmsg *m, const char *path, char *err,
	    size_t errlen);
int	mailmsg_write_signed(const struct mailmsg *m, const char *path,
	    char *const *sig, int nsig);
void	mailmsg_clear(struct mailmsg *m);

#endif
