/*
 * keystore -- the milter's DKIM private keys, parsed once and shared by
 * every libmilter worker thread.
 *
 * The store holds an immutable snapshot of keys_directory (layout and
 * safety rules: lib/dkimkey.h): one entry per domain folder with its
 * active keys as parsed EVP_PKEYs (and their PEM text, for libopendkim's
 * dkim_sign).  Entries are reference counted; a lookup takes a reference,
 * so a reload never frees keys that a message in flight is using.  Nothing
 * is parsed per message.
 *
 *   keystore_new(dir, owner, group)
 *       an empty store for keys_directory dir; owner/group are the daemon's
 *       account (key files must belong to owner; 0640 is warned about
 *       only with group).
 *   keystore_load(ks, err, errlen)
 *       full scan, every domain parsed again.  0, or -1 when dir itself is
 *       unusable (missing, not a directory, writable by group/others); the
 *       store then answers KS_ERROR for every domain until a reload finds
 *       the directory usable.  Problems of single domains are not an error
 *       here: see keystore_warnings.
 *   keystore_warnings(ks, cb, arg)
 *       cb(domain, problem, warning, arg) for each problem of the current
 *       snapshot: domains that answer KS_ERROR, folders ignored for a bad
 *       name, and (domain NULL) a problem of the directory itself, all
 *       with warning 0; and with warning 1 the domains that sign (KS_OK)
 *       with a key accepted with a warning (mode 0640, lib/dkimkey.h).
 *       Called with the store's lock held: cb must not call back into
 *       the store.
 *   keystore_maybe_reload(ks)
 *       cheap: does nothing unless a reload was requested or the interval
 *       (1 s; keystore_set_interval) has passed since the last check; then
 *       one thread stat()s the tree and re-parses only the domains whose
 *       files changed (name, inode, size, mtime, ctime, mode, owner).
 *       A requested reload re-parses every domain.  Returns 1 if a new
 *       snapshot was installed, 0 if not, -1 if the directory is unusable.
 *       keystore_lookup calls it first, so the milter need not.
 *   keystore_request_reload(ks)
 *       async-signal-safe (an atomic flag): for a SIGHUP handler.
 *   keystore_set_interval(ks, ms)
 *       change the 1000 ms check interval (tests use 0).
 *   keystore_lookup(ks, domain, sign_subdomains, out)
 *       domain goes through mailaddr_domain_norm first (case, final
 *       dot, U-labels to A-labels); one that is not then a host name
 *       (mailaddr_domain_is_hostname) has no keys.  out->status:
 *         KS_NONE   no keys for domain (nor for a parent when
 *                   sign_subdomains): not ours to sign
 *         KS_OK     out->keys[0..nkeys-1] in the order of the active file,
 *                   out->domain the folder they belong to (a parent of
 *                   domain when sign_subdomains found no folder of its own)
 *         KS_ERROR  keys exist but cannot be used; out->err says why
 *                   ("key /k/example.com/20261128r.key: mode 0644 is
 *                   unsafe (want 0600)").
 *                   When keys_directory itself is unusable every domain
 *                   gets KS_ERROR with out->domain NULL.  out->reason is
 *                   the same without any path ("signing key unusable",
 *                   "keys directory unusable"): the text for an SMTP
 *                   reply, which every client reads; err is for the log.
 *       For KS_OK and KS_ERROR the result holds a reference: call
 *       keystore_release(out) when done (harmless for KS_NONE too).
 *   keystore_release(res)   drops the reference; res may be reused.
 *   keystore_free(ks)       NULL-safe, returns NULL.  Results still held
 *                           stay valid until released.
 *
 * Thread safety: everything but keystore_new/keystore_free may be called
 * from any number of threads at once.  Memory exhaustion is fatal
 * (xmalloc), as everywhere in the daemons.
 */
#ifndef OUTPOST_KEYSTORE_H
#define OUTPOST_KEYSTORE_H

#include <stddef.h>
#include <sys/types.h>
#include <openssl/evp.h>

enum { KS_NONE = 0, KS_OK, KS_ERROR };

#define KS_MAXKEYS	4

struct ks_key {
	EVP_PKEY	*pkey;
	const char	*selector;
	int		 alg;		/* 0 rsa, 1 ed25519 (enum dkimkey_alg) */
	int		 bits;
	const char	*pem;		/* the key file's text */
	size_t		 pemlen;
};

struct ks_result {
	int		 status;
	const char	*domain;	/* folder whose keys are used */
	struct ks_key	 keys[KS_MAXKEYS];
	size_t		 nkeys;
	char		 err[512];
	const char	*reason;	/* KS_ERROR: short, no path */
	void		*ref;
};

struct keystore;
typedef void	 ks_warn_cb(const char *, const char *, int, void *);

struct keystore	*keystore_new(const char *, uid_t, gid_t);
int		 keystore_load(struct keystore *, char *, size_t);
void		 keystore_warnings(struct keystore *, ks_warn_cb *, void *);
int		 keystore_maybe_reload(struct keystore *);
void		 keystore_request_reload(struct keystore *);
void		 keystore_set_interval(struct keystore *, long);
void		 keystore_lookup(struct keystore *, const char *, int,
		    struct ks_result *);
void		 keystore_release(struct ks_result *);
struct keystore	*keystore_free(struct keystore *);

#endif
