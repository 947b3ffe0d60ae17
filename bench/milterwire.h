/*
 * milterwire -- the milter protocol (v6) on the wire, MTA side: packets,
 * macros, option negotiation, and reading the milter's replies.
 *
 *   mw_send(fd, cmd, data, len)   one packet (length, command, data).
 *   mw_send_macros(fd, stage, kv) an MW_C_MACRO packet for stage from a
 *                                 NULL-terminated { name, value, ... }.
 *   mw_recv(fd, &buf, &cap, &len) one packet into *buf (grown, NUL
 *                                 added); returns the command byte.
 *   mw_negotiate(c)               OPTNEG on c->fd offering every action
 *                                 and step; sets c->steps to the steps
 *                                 the milter chose.
 *   mw_read_reply(c, e)           reads replies up to a decisive one
 *                                 (MW_R_CONTINUE or a verdict); skips
 *                                 progress, and counts modifications into
 *                                 e (end of message only: with e NULL a
 *                                 modification is a protocol error).
 *   mw_step(c, cmd, data, len, noflag, nrflag)
 *                                 sends one step unless the milter asked
 *                                 not to get it (noflag) and reads its
 *                                 reply unless it asked to send none
 *                                 (nrflag); MW_R_CONTINUE when skipped.
 *   mw_quit(c)                    sends QUIT, closes c->fd, sets it -1.
 *   mw_conn_clear(c), mw_eom_clear(e)  free the reply buffer, the kept
 *                                 headers; the records stay usable.
 *
 * The send and negotiate calls return 0, the reading calls the reply
 * byte; all return -1 on an I/O or protocol error.  The caller owns both
 * records (struct mw_conn starts with fd -1, struct mw_eom zeroed, keep
 * set to collect the DKIM-Signature and Authentication-Results texts).  Out of memory is fatal.
 */
#ifndef OUTPOST_MILTERWIRE_H
#define OUTPOST_MILTERWIRE_H

#include <stddef.h>
#include <stdint.h>

/* Commands (MTA -> milter) and replies (milter -> MTA), mfdef.h values. */
enum {
	MW_C_ABORT = 'A', MW_C_BODY = 'B', MW_C_CONNECT = 'C',
	MW_C_MACRO = 'D', MW_C_EOB = 'E', MW_C_HELO = 'H',
	MW_C_HEADER = 'L', MW_C_MAIL = 'M', MW_C_EOH = 'N',
	MW_C_OPTNEG = 'O', MW_C_QUIT = 'Q', MW_C_RCPT = 'R', MW_C_DATA = 'T'
};
enum {
	MW_R_ADDHDR = 'h', MW_R_INSHDR = 'i', MW_R_CHGHDR = 'm',
	MW_R_CONTINUE = 'c', MW_R_ACCEPT = 'a', MW_R_REJECT = 'r',
	MW_R_TEMPFAIL = 't', MW_R_DISCARD = 'd', MW_R_REPLY = 'y',
	MW_R_PROGRESS = 'p', MW_R_SKIP = 's', MW_R_OPTNEG = 'O'
};
/* Protocol step flags (SMFIP_*). */
#define MW_P_NOCONNECT	0x1u
#define MW_P_NOHELO	0x2u
#define MW_P_NOMAIL	0x4u
#define MW_P_NORCPT	0x8u
#define MW_P_NOBODY	0x10u
#define MW_P_NOHDRS	0x20u
#define MW_P_NOEOH	0x40u
#define MW_P_NR_HDR	0x80u
#define MW_P_NODATA	0x200u
#define MW_P_SKIP	0x400u
#define MW_P_NR_CONN	0x1000u
#define MW_P_NR_HELO	0x2000u
#define MW_P_NR_MAIL	0x4000u
#define MW_P_NR_RCPT	0x8000u
#define MW_P_NR_DATA	0x10000u
#define MW_P_NR_EOH	0x40000u
#define MW_P_NR_BODY	0x80000u
#define MW_P_LEADSPC	0x100000u
#define MW_CHUNK_MAX	65535		/* largest BODY data */
#define MW_EOM_SIGS	8		/* signature texts kept */
#define MW_EOM_ARS	4		/* Authentication-Results texts kept */

struct mw_conn {
	int		 fd;
	uint32_t	 steps;	/* protocol flags the milter chose */
	char		*rb;	/* reply buffer (mw_conn_clear) */
	size_t		 rcap;
};

/* What one end of message returned. */
struct mw_eom {
	int	 sigs;		/* DKIM-Signature headers added */
	int	 ars;		/* Authentication-Results headers added */
	int	 mods;		/* other modifications */
	int	 keep;		/* 1: keep the added headers' text */
	char	*sighdr[MW_EOM_SIGS];	/* when keep: "Name: value" */
	char	*arhdr[MW_EOM_ARS];	/* when keep: "Name: value" */
};

int	 mw_send(int fd, char cmd, const char *data, size_t len);
int	 mw_send_macros(int fd, char stage, const char *const *kv);
int	 mw_recv(int fd, char **buf, size_t *cap, size_t *len);
int	 mw_negotiate(struct mw_conn *c);
int	 mw_read_reply(struct mw_conn *c, struct mw_eom *e);
int	 mw_step(struct mw_conn *c, char cmd, const char *data, size_t len,
	    uint32_t noflag, uint32_t nrflag);
void	 mw_quit(struct mw_conn *c);
void	 mw_conn_clear(struct mw_conn *c);
void	 mw_eom_clear(struct mw_eom *e);

#endif
