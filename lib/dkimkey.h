/*
 * dkimkey -- DKIM private keys on disk, shared by outpost-milter and
 * outpostctl.  Library code: every function returns 0/-1 (or a pointer /
 * NULL) with a reason in err and never logs or exits.
 *
 * Layout (DESIGN.md "Interfaces"):
 *   DIR/DOMAIN/SEL.key   one PEM PKCS#8 private key per selector; the
 *                        algorithm is the key's own (RSA or Ed25519)
 *   DIR/DOMAIN/active    the selectors that sign, one per line ('#'
 *                        comments and blank lines allowed, at most
 *                        DKIMKEY_ACTIVEMAX); a key file not listed is pending
 * DOMAIN is a normalised host name (lower case, A-labels, no trailing dot:
 * mailaddr_domain_is_hostname), SEL one DNS label of [a-z0-9-].
 *
 * Safety: a key file is owned by the daemon account (owner), mode 0600 or
 * 0400; nothing for group or others, no execute or set-id bits.  0640/0440
 * with the daemon's group (group) is accepted with a warning for one
 * release: that group is the sockets' group, which Postfix joins.  Directories and the active file
 * must be owned by root or owner and not writable by group or others.
 * What outpostctl writes as root: folders root:group 0750 (the daemon reads
 * them through its group but cannot rename, replace or plant anything in
 * them), key files owner:group 0600, the active file root:group 0644.
 *
 * Names and paths (dkimkey.c)
 *   dkimkey_selector_ok(sel, err, len)     0 if a valid selector
 *   Domains have no function here: a name given by a user or a message
 *   goes through mailaddr_domain_norm, and a folder name or normalised
 *   domain is a key domain when mailaddr_domain_is_hostname (mailaddr.h).
 *   dkimkey_path(buf, len, dir, domain, file)  "dir/domain[/file]"; -1 if
 *       it does not fit.  dkimkey_key_path(...) the same for "SEL.key".
 * Safety (dkimkey.c, pure: take a struct stat)
 *   dkimkey_check_key(st, owner, group, err, len)      key file rule:
 *       0 safe, 1 accepted with a warning (its text in err), -1 unsafe
 *   dkimkey_check_nowrite(st, owner, err, len)  dir / active file rule
 *   dkimkey_dir_ok(path, owner, err, len)  stat + directory + nowrite rule;
 *       -1 with errno ENOENT when it does not exist
 * Messages of the check functions and of dkimkey_load name the problem
 * only ("mode 0644 is unsafe (want 0600)");
 * callers add the file.
 * Active file (dkimkey.c)
 *   dkimkey_active_read(dir, domain, owner, act, err, len)
 *       0 with act->n == 0 when the file does not exist; -1 when it is
 *       unsafe, unreadable, or names an invalid selector.  owner
 *       (uid_t)-1 skips the safety rule (to show what the file says).
 *   dkimkey_active_writeat(dfd, act, uid, gid, err, len)
 *       in the folder open as dfd: writes a temporary file (O_EXCL,
 *       O_NOFOLLOW) and renameat()s it over "active" (mode 0644, chown to
 *       uid:gid unless uid is (uid_t)-1).
 *   dkimkey_active_write(dir, domain, act, uid, gid, err, len)
 *       the same by path (tests; outpostctl uses the descriptor form).
 *   dkimkey_active_has(act, sel)           1 if listed
 * Listing (dkimkey.c)
 *   dkimkey_domains(dir, &names, &n, err, len)
 *       sorted domain folder names (valid names only); free with
 *       dkimkey_names_free(names, n).  A missing dir gives n == 0.
 *   dkimkey_list(dir, domain, owner, group, &info, &n, act, err, len)
 *       every key file (and every active selector without one) with its
 *       algorithm, bits, state and safety verdict (problem; warning for
 *       a key accepted with a warning), sorted by selector;
 *       *info is malloc'd (free()).  act (may be NULL) receives the
 *       active file's selectors, read even when the file is unsafe (the
 *       verdict on the file is dkimkey_load_domain's).
 *   dkimkey_load_domain(dir, domain, owner, group, ld, err, len)
 *       what the milter signs with: 1 keys loaded into *ld, 0 the folder
 *       holds no keys at all, -1 unusable (err: the precise problem).
 *       ld->warn: the first key accepted with a warning ("key PATH:
 *       mode 0640 lets group ..."), empty when none.
 *       dkimkey_loaded_clear(ld) frees what it holds.
 * Keys (dkimkey_pem.c)
 *   dkimkey_load(path, owner, group, check, &pem, &pemlen, err, len)
 *       EVP_PKEY of an RSA or Ed25519 PEM file, checked for safety first
 *       when check; pem (may be NULL) receives the malloc'd file text.
 *   dkimkey_alg(pkey), dkimkey_bits(pkey), dkimkey_alg_name(alg)
 *   dkimkey_generate(alg, err, len)       RSA-2048 or Ed25519; EVP_PKEY_free
 *   dkimkey_writeat(dfd, name, pkey, uid, gid, err, len)
 *       PKCS#8 PEM as name in the folder open as dfd, mode 0600, chown
 *       (on the descriptor) unless uid is (uid_t)-1; a temporary file
 *       made with O_EXCL|O_NOFOLLOW, then linkat(): refuses to replace an
 *       existing name, a symlink included (errno EEXIST).
 *   dkimkey_write(path, ...)   the same by path (tests)
 * Descriptors (dkimkey_fd.c): what outpostctl does as root in a tree the
 * daemon account must not be able to redirect.  Messages name the
 * component; callers add the folder.
 *   dkimkey_diropen(dfd, name, owner, gid, create, err, len)
 *       fd of folder name relative to dfd (AT_FDCWD and a path for the
 *       top), opened O_DIRECTORY|O_NOFOLLOW: a symlink in its place is
 *       refused (errno ELOOP), never followed.  create: mkdirat first when
 *       missing.  owner (uid_t)-1: no ownership change (not root; a new
 *       folder gets 0750).  Otherwise the folder must end root:gid 0750,
 *       changed through the descriptor when it is new or owned by owner
 *       (older versions gave the folders to the daemon account); owned by
 *       root it is left alone unless group/others may write (refused,
 *       EPERM), any other owner is refused.  -1 (errno ENOENT: missing).
 *   dkimkey_tmpdirat(dfd, prefix, name, len, owner, gid, err, len)
 *       a new hidden folder ".PREFIX.xxxxxx" in dfd, settled as above;
 *       its fd, its name in name.
 *   dkimkey_tmpfileat(dfd, prefix, name, len, err, len)
 *       a new file ".PREFIX.xxxxxx" (O_EXCL|O_NOFOLLOW, mode 0600) open
 *       for writing; its fd, its name in name.
 *   dkimkey_rmtmpat(dfd, name, fd)   remove the folder name of dfd (open
 *       as fd, or -1) and the plain files in it; errors ignored.
 *   dkimkey_txt_value(pkey, &txt, err, len)  "v=DKIM1; k=rsa; p=..."
 *       (RSA: SPKI DER; Ed25519: the raw 32-byte key, RFC 8463); malloc'd
 *   dkimkey_txt_quote(value, chunk)        "( \"...\" \"...\" )", each
 *       string at most chunk bytes; malloc'd, NULL on ENOMEM
 *   dkimkey_dns_record(pkey, domain, sel, &rec, err, len)
 *       "SEL._domainkey.DOMAIN. IN TXT ( ... )" with 255-byte strings
 */
#ifndef OUTPOST_DKIMKEY_H
#define OUTPOST_DKIMKEY_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <openssl/evp.h>

#define DKIMKEY_DOMAINMAX	254	/* 253 + NUL */
#define DKIMKEY_SELMAX		64	/* one label: 63 + NUL */
#define DKIMKEY_ACTIVEMAX	4
#define DKIMKEY_ACTIVE_FILE	"active"
#define DKIMKEY_TXT_CHUNK	255

enum dkimkey_alg { DKIMKEY_UNKNOWN = -1, DKIMKEY_RSA = 0, DKIMKEY_ED25519 = 1 };

struct dkimkey_active {
	size_t	 n;
	char	 sel[DKIMKEY_ACTIVEMAX][DKIMKEY_SELMAX];
};

struct dkimkey_info {
	char	 selector[DKIMKEY_SELMAX];
	char	 path[4096];
	int	 alg;		/* enum dkimkey_alg; UNKNOWN if unloadable */
	int	 bits;
	int	 active;
	int	 present;	/* 0: listed in active but no key file */
	char	 problem[256];	/* empty: present, loadable and safe */
	char	 warning[256];	/* accepted with a warning (0640) */
};

struct dkimkey_loaded {
	size_t	 n;
	char	 warn[512];	/* the first key accepted with a warning */
	struct {
		char		 sel[DKIMKEY_SELMAX];
		EVP_PKEY	*pkey;
		char		*pem;
		size_t		 pemlen;
		int		 alg;
		int		 bits;
	} k[DKIMKEY_ACTIVEMAX];
};

int	 dkimkey_selector_ok(const char *, char *, size_t);
int	 dkimkey_path(char *, size_t, const char *, const char *, const char *);
int	 dkimkey_key_path(char *, size_t, const char *, const char *,
	    const char *);

int	 dkimkey_check_key(const struct stat *, uid_t, gid_t, char *, size_t);
int	 dkimkey_check_nowrite(const struct stat *, uid_t, char *, size_t);
int	 dkimkey_dir_ok(const char *, uid_t, char *, size_t);

int	 dkimkey_active_read(const char *, const char *, uid_t,
	    struct dkimkey_active *, char *, size_t);
int	 dkimkey_active_writeat(int, const struct dkimkey_active *, uid_t,
	    gid_t, char *, size_t);
int	 dkimkey_active_write(const char *, const char *,
	    const struct dkimkey_active *, uid_t, gid_t, char *, size_t);
int	 dkimkey_active_has(const struct dkimkey_active *, const char *);

int	 dkimkey_domains(const char *, char ***, size_t *, char *, size_t);
char	**dkimkey_names_free(char **, size_t);
int	 dkimkey_list(const char *, const char *, uid_t, gid_t,
	    struct dkimkey_info **, size_t *, struct dkimkey_active *,
	    char *, size_t);
int	 dkimkey_load_domain(const char *, const char *, uid_t, gid_t,
	    struct dkimkey_loaded *, char *, size_t);
void	 dkimkey_loaded_clear(struct dkimkey_loaded *);

EVP_PKEY *dkimkey_load(const char *, uid_t, gid_t, int, char **, size_t *,
	    char *, size_t);
int	 dkimkey_alg(const EVP_PKEY *);
int	 dkimkey_bits(const EVP_PKEY *);
const char *dkimkey_alg_name(int);
EVP_PKEY *dkimkey_generate(int, char *, size_t);
int	 dkimkey_writeat(int, const char *, EVP_PKEY *, uid_t, gid_t, char *,
	    size_t);
int	 dkimkey_write(const char *, EVP_PKEY *, uid_t, gid_t, char *, size_t);
int	 dkimkey_txt_value(EVP_PKEY *, char **, char *, size_t);
char	*dkimkey_txt_quote(const char *, size_t);
int	 dkimkey_dns_record(EVP_PKEY *, const char *, const char *, char **,
	    char *, size_t);

int	 dkimkey_diropen(int, const char *, uid_t, gid_t, int, char *,
	    size_t);
int	 dkimkey_tmpdirat(int, const char *, char *, size_t, uid_t, gid_t,
	    char *, size_t);
int	 dkimkey_tmpfileat(int, const char *, char *, size_t, char *, size_t);
void	 dkimkey_rmtmpat(int, const char *, int);

#endif
