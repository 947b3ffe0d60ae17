/*
 * outpost-milter -- private header shared by the files of milter/.
 *
 * State has three lifetimes:
 *   process     struct milter_globals, filled by main.c before smfi_main()
 *               and read-only afterwards (the key store has its own lock);
 *   connection  struct mconn, created at connect, freed at close, reached
 *               only through the libmilter private pointer: libmilter runs
 *               one connection's callbacks on several worker threads;
 *   message     struct mmsg, created at MAIL FROM, freed at end of message
 *               or abort.
 */
#ifndef OUTPOST_MILTER_H
#define OUTPOST_MILTER_H

#include <stddef.h>

#include <libmilter/mfapi.h>

#include "conf.h"
#include "netaddr.h"

struct keystore;
struct dsig;
struct spfhelper;

struct milter_globals {
	struct conf	 conf;
	struct keystore	*keys;
	struct spfhelper *spf;			/* NULL: SPF checks tempfail */
	struct cidr	*internal;		/* conf.internal_hosts parsed */
	size_t		 ninternal;
	int		 relaxed_header;	/* from conf.canonicalization */
	int		 relaxed_body;
	int		 sign_rsa;		/* from conf.sign_algorithms */
	int		 sign_ed25519;
};
extern struct milter_globals G;

#define MSGID_MAX	256
#define QID_MAX		32

struct mmsg {
	char		 qid[QID_MAX];		/* "i" macro, or "-" */
	char		*auth;			/* {auth_authen}, may be NULL */
	struct dsig	*sig;			/* header + body hashing */
	unsigned	 nfrom;			/* From header fields seen */
	char		*from;			/* value of the first one */
	char		 msgid[MSGID_MAX];
	int		 failed;		/* out of memory in a callback */
};

struct mconn {
	unsigned long	 pflags;		/* negotiated SMFIP_* */
	char		 addr[64];		/* client IP, "local" if none */
	int		 internal;		/* addr in internal_hosts */
	struct mmsg	*msg;
};

/* callbacks.c */
extern struct smfiDesc milter_desc;
int		 connections_wait(int);

/* outbound.c */
sfsistat	 outbound_eom(SMFICTX *, struct mconn *, struct mmsg *);
void		 milter_set_reply(SMFICTX *, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));

/* refund.c */
void		 refund_init(void);
void		 refund_message(const char *, const char *);
void		 refund_fini(void);

/* signals.c */
void		 signals_init(void);

#endif
