/*
 * outpostctl domain -- DKIM keys of the domains this host signs for.
 *
 *   domain add DOMAIN [--selector SEL]     new RSA + Ed25519 pair, active
 *   domain rotate DOMAIN [--selector SEL]  new pending pair
 *   domain activate DOMAIN SEL             sign with SEL (a pair's base or
 *                                          one selector)
 *   domain retire DOMAIN SEL               delete a pair that is not active
 *   domain list | domain show DOMAIN       (domain_show.c)
 *
 * Files follow lib/dkimkey.h: keys_directory/DOMAIN/SEL.key and the
 * "active" file.  The handlers (ctl.h) return the exit status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "dkimkey.h"
#include "json.h"

/* --selector, lower-cased and checked, into sel; 0 or the usage error. */
static int
selector_arg(const char *in, char *sel)
{
	char	 err[256];
	size_t	 i;

	sel[0] = '\0';
	if (in == NULL)
		return 0;
	for (i = 0; in[i] != '\0' && i < DKIMKEY_SELMAX - 1; i++)
		sel[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 :
		    in[i]);
	sel[i] = '\0';
	/* SEL gets an 'r' or 'e' appended: two characters to spare. */
	if (in[i] != '\0' || strlen(sel) > DKIMKEY_SELMAX - 2)
		return ctl_bad_usage("selector \"%s\": longer than %d "
		    "characters", in, DKIMKEY_SELMAX - 2);
	if (dkimkey_selector_ok(sel, err, sizeof(err)) < 0)
		return ctl_bad_usage("%s", err);
	return 0;
}

/*
 * Who owns new files and whom the safety verdicts are for: the configured
 * user.  As root that user must exist; otherwise files keep our own uid.
 */
int
dom_init(struct dom *d, struct ctl *ctl, int writing)
{
	struct passwd	*pw;

	d->ctl = ctl;
	d->dir = ctl->conf.keys_directory;
	d->uid = (uid_t)-1;
	d->gid = (gid_t)-1;
	pw = getpwnam(ctl->conf.user);
	d->owner = pw ? pw->pw_uid : geteuid();
	d->group = pw ? pw->pw_gid : getegid();
	if (geteuid() == 0) {
		if (pw == NULL && writing)
			return ctl_refuse(d->ctl, "user \"%s\" (config key user) does "
			    "not exist; create the account or set user",
			    ctl->conf.user);
		if (pw != NULL) {
			d->uid = pw->pw_uid;
			d->gid = pw->pw_gid;
		}
	} else if (writing > 1 && (pw == NULL || pw->pw_uid != geteuid()))
		fprintf(stderr, "outpostctl: note: not running as root: new "
		    "key files stay owned by uid %lu, not by user \"%s\"\n",
		    (unsigned long)geteuid(), ctl->conf.user);
	return 0;
}

/*
 * The folder name of dfd (AT_FDCWD and keys_directory for the top),
 * opened without following a symlink; as root made root:group 0750
 * (lib/dkimkey.h).  The fd, or -1 after the refusal (errno kept).
 */
static int
open_dir(struct dom *d, int dfd, const char *name, int create)
{
	char	 err[512];
	int	 fd, saved;

	if ((fd = dkimkey_diropen(dfd, name, d->uid, d->gid, create, err,
	    sizeof(err))) < 0) {
		saved = errno;
		if (dfd == AT_FDCWD)
			ctl_refuse(d->ctl, "%s", err);
		else
			ctl_refuse(d->ctl, "%s/%s", d->dir, err);
		errno = saved;
	}
	return fd;
}

/* Active file: root-owned when we are root (uid of the folders). */
static int
write_active(struct dom *d, int dfd, const char *folder,
    const struct dkimkey_active *act)
{
	char	 err[512];

	if (dkimkey_active_writeat(dfd, act, d->uid == (uid_t)-1 ?
	    (uid_t)-1 : 0, d->gid, err, sizeof(err)) < 0)
		return ctl_refuse(d->ctl, "%s/%s/%s", d->dir, folder, err);
	return 0;
}

static int
file_exists(int dfd, const char *sel)
{
	char		 name[DKIMKEY_SELMAX + 16];
	struct stat	 st;

	snprintf(name, sizeof(name), "%s.key", sel);
	return dfd >= 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* A base selector not yet used in the folder dfd (-1: none yet). */
static int
pick_selector(struct dom *d, int dfd, const char *want, char *base)
{
	char		 sel[DKIMKEY_SELMAX + 8], err[256];
	struct tm	 tm;
	time_t		 now = time(NULL);
	int		 i;

	for (i = 1; i < 100; i++) {
		if (want[0] != '\0')
			snprintf(base, DKIMKEY_SELMAX, "%s", want);
		else {
			gmtime_r(&now, &tm);
			strftime(base, DKIMKEY_SELMAX, "%Y%m%d", &tm);
			if (i > 1)
				snprintf(base + 8, DKIMKEY_SELMAX - 8, "-%d", i);
		}
		snprintf(sel, sizeof(sel), "%sr", base);
		if (dkimkey_selector_ok(sel, err, sizeof(err)) < 0)
			return ctl_bad_usage("%s", err);
		if (!file_exists(dfd, sel) && (snprintf(sel, sizeof(sel),
		    "%se", base), !file_exists(dfd, sel)))
			return 0;
		if (want[0] != '\0')
			return ctl_refuse(d->ctl, "selector %s is already in use", want);
	}
	return ctl_refuse(d->ctl, "no free selector for today");
}

/* Generate and write SELr and SELe into the folder dfd; 0 or status. */
static int
write_pair(struct dom *d, int dfd, const char *folder, const char *base)
{
	static const int	 algs[2] = { DKIMKEY_RSA, DKIMKEY_ED25519 };
	static const char	 suffix[2] = { 'r', 'e' };
	char			 name[DKIMKEY_SELMAX + 8], err[512];
	EVP_PKEY		*pk;
	int			 i, rc;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "%s%c.key", base, suffix[i]);
		if ((pk = dkimkey_generate(algs[i], err, sizeof(err))) == NULL)
			return ctl_refuse(d->ctl, "%s", err);
		rc = dkimkey_writeat(dfd, name, pk, d->uid, d->gid, err,
		    sizeof(err));
		EVP_PKEY_free(pk);
		if (rc < 0)
			return ctl_refuse(d->ctl, "%s/%s/%s", d->dir, folder,
			    err);
	}
	return 0;
}

/* act = { BASEr, BASEe }; pick_selector made sure they fit. */
static void
pair_active(struct dkimkey_active *act, const char *base)
{
	size_t	 len = strlen(base);

	memset(act, 0, sizeof(*act));
	if (len + 2 > DKIMKEY_SELMAX)
		return;
	memcpy(act->sel[0], base, len);
	memcpy(act->sel[1], base, len);
	act->sel[0][len] = 'r';
	act->sel[1][len] = 'e';
	act->n = 2;
}

/* Write a new active pair into a fresh hidden folder; rename into place. */
static int
add_fresh(struct dom *d, int topfd, const char *domain, const char *base)
{
	struct dkimkey_active	 act;
	char			 tmp[DKIMKEY_DOMAINMAX + 16], err[512];
	int			 fd, rc;

	if ((fd = dkimkey_tmpdirat(topfd, domain, tmp, sizeof(tmp), d->uid,
	    d->gid, err, sizeof(err))) < 0)
		return ctl_refuse(d->ctl, "%s/%s", d->dir, err);
	pair_active(&act, base);
	if ((rc = write_pair(d, fd, tmp, base)) != 0 ||
	    (rc = write_active(d, fd, tmp, &act)) != 0)
		;
	else if (renameat(topfd, tmp, topfd, domain) < 0)
		rc = ctl_refuse(d->ctl, "%s/%s: %s", d->dir, domain,
		    strerror(errno));
	if (rc != 0)
		dkimkey_rmtmpat(topfd, tmp, fd);
	close(fd);
	return rc;
}

/* An empty folder (made by hand) is filled in place. */
static int
fill_empty(struct dom *d, int fd, const char *domain, const char *want,
    char *base)
{
	struct dkimkey_info	*info;
	struct dkimkey_active	 act;
	char			 err[512];
	size_t			 n;
	int			 rc;

	if (dkimkey_list(d->dir, domain, d->owner, d->group, &info, &n,
	    &act, err, sizeof(err)) < 0)
		return ctl_refuse(d->ctl, "%s", err);
	free(info);
	if (n > 0 || act.n > 0)
		return ctl_refuse(d->ctl, "%s already has keys; use "
		    "\"outpostctl domain rotate %s\" for a new pair", domain,
		    domain);
	if ((rc = pick_selector(d, fd, want, base)) != 0 ||
	    (rc = write_pair(d, fd, domain, base)) != 0)
		return rc;
	pair_active(&act, base);
	return write_active(d, fd, domain, &act);
}

static int
add_keys(struct dom *d, const char *domain, const char *want, char *base)
{
	int	 topfd, fd, rc;

	if ((topfd = open_dir(d, AT_FDCWD, d->dir, 1)) < 0)
		return EXIT_REFUSED;
	fd = dkimkey_diropen(topfd, domain, d->uid, d->gid, 0, NULL, 0);
	if (fd < 0 && errno == ENOENT)
		rc = (rc = pick_selector(d, -1, want, base)) ? rc :
		    add_fresh(d, topfd, domain, base);
	else if (fd < 0)
		rc = open_dir(d, topfd, domain, 0) < 0 ? EXIT_REFUSED :
		    ctl_refuse(d->ctl, "%s/%s: cannot open", d->dir, domain);
	else {
		rc = fill_empty(d, fd, domain, want, base);
		close(fd);
	}
	close(topfd);
	return rc;
}

/* keys_directory/DOMAIN opened as a folder that exists; 0 or status. */
static int
open_domain(struct dom *d, const char *domain, int *fd)
{
	int	 topfd;

	if ((topfd = open_dir(d, AT_FDCWD, d->dir, 0)) < 0)
		return EXIT_REFUSED;
	*fd = open_dir(d, topfd, domain, 0);
	close(topfd);
	return *fd < 0 ? EXIT_REFUSED : 0;
}

int
domain_add(struct ctl *ctl, struct ctl_opts *o)
{
	struct dom	 d;
	char		 want[DKIMKEY_SELMAX], base[DKIMKEY_SELMAX];
	int		 rc;

	if ((rc = selector_arg(o->selector, want)) != 0 ||
	    (rc = dom_init(&d, ctl, 2)) != 0 ||
	    (rc = add_keys(&d, o->domain, want, base)) != 0)
		return rc;
	return dom_print_new(&d, o->domain, "add", base);
}

int
domain_rotate(struct ctl *ctl, struct ctl_opts *o)
{
	struct dkimkey_info	*info;
	struct dom		 d;
	char			 want[DKIMKEY_SELMAX], base[DKIMKEY_SELMAX];
	char			 err[512];
	size_t			 n;
	int			 rc, fd;

	if ((rc = selector_arg(o->selector, want)) != 0 ||
	    (rc = dom_init(&d, ctl, 2)) != 0)
		return rc;
	if (dkimkey_list(d.dir, o->domain, d.owner, d.group, &info, &n, NULL,
	    err, sizeof(err)) < 0 || n == 0) {
		if (n == 0)
			free(info);
		return ctl_refuse(ctl, "%s has no keys in %s; use \"outpostctl "
		    "domain add %s\"", o->domain, d.dir, o->domain);
	}
	free(info);
	if ((rc = open_domain(&d, o->domain, &fd)) != 0)
		return rc;
	if ((rc = pick_selector(&d, fd, want, base)) == 0)
		rc = write_pair(&d, fd, o->domain, base);
	close(fd);
	return rc ? rc : dom_print_new(&d, o->domain, "rotate", base);
}

/*
 * The key files SEL names in info: SEL itself, else SELr and SELe.
 * Fills idx[] with indexes into info; returns how many (0: none).
 */
static size_t
resolve(const struct dkimkey_info *info, size_t n, const char *sel,
    size_t idx[2])
{
	char	 r[DKIMKEY_SELMAX + 2], e[DKIMKEY_SELMAX + 2];
	size_t	 i, k = 0;

	for (i = 0; i < n; i++)
		if (info[i].present && strcmp(info[i].selector, sel) == 0) {
			idx[0] = i;
			return 1;
		}
	snprintf(r, sizeof(r), "%sr", sel);
	snprintf(e, sizeof(e), "%se", sel);
	for (i = 0; i < n; i++)		/* RSA first */
		if (info[i].present && strcmp(info[i].selector, r) == 0)
			idx[k++] = i;
	for (i = 0; i < n; i++)
		if (info[i].present && strcmp(info[i].selector, e) == 0)
			idx[k++] = i;
	return k;
}

/* Load a domain's selectors and resolve SEL; 0 or the exit status. */
static int
load_resolve(struct dom *d, const char *domain, const char *sel,
    struct dkimkey_info **info, size_t *n, struct dkimkey_active *act,
    size_t idx[2], size_t *k)
{
	char	 err[512];

	if (dkimkey_list(d->dir, domain, d->owner, d->group, info, n, act, err,
	    sizeof(err)) < 0)
		return ctl_refuse(d->ctl, "%s has no keys in %s", domain, d->dir);
	if ((*k = resolve(*info, *n, sel, idx)) == 0) {
		free(*info);
		*info = NULL;
		return ctl_refuse(d->ctl, "%s has no selector %s (nor %sr, %se)", domain,
		    sel, sel, sel);
	}
	return 0;
}

/* The selectors of act as a JSON array member named key. */
static void
json_sels(struct json *j, const char *key, const struct dkimkey_active *act)
{
	size_t	 i;

	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < act->n; i++)
		json_str(j, act->sel[i]);
	json_arr_end(j);
}

static int
print_activated(struct ctl *ctl, const char *domain,
    const struct dkimkey_active *act, const struct dkimkey_active *old)
{
	struct json	*j;
	size_t		 i;

	if (!ctl->json) {
		printf("%s: signing with", domain);
		for (i = 0; i < act->n; i++)
			printf("%s %s", i ? "," : "", act->sel[i]);
		printf(" (was:");
		for (i = 0; i < old->n; i++)
			printf("%s %s", i ? "," : "", old->sel[i]);
		printf("%s)\n", old->n ? "" : " none");
		return EXIT_OK;
	}
	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", 1);
	json_kv_str(j, "domain", domain);
	json_sels(j, "active", act);
	json_sels(j, "previous", old);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

/* The active selectors after activating info[idx[0..k)]; 0 or refusal. */
static int
new_active(struct dom *d, const struct dkimkey_info *info, size_t n,
    const size_t *idx, size_t k, const struct dkimkey_active *old,
    struct dkimkey_active *act)
{
	size_t	 j, m;
	int	 both = k == 2 && info[idx[0]].alg != info[idx[1]].alg;

	memset(act, 0, sizeof(*act));
	for (j = 0; j < k; j++)
		if (info[idx[j]].problem[0] != '\0')
			return ctl_refuse(d->ctl, "refusing to activate %s: key "
			    "%s: %s", info[idx[j]].selector, info[idx[j]].path,
			    info[idx[j]].problem);
	/* Keep the old selectors of the algorithms not replaced. */
	for (j = 0; !both && j < old->n; j++) {
		for (m = 0; m < n && strcmp(info[m].selector, old->sel[j]); m++)
			;
		if (m < n && info[m].present && info[m].alg != info[idx[0]].alg)
			snprintf(act->sel[act->n++], DKIMKEY_SELMAX, "%s",
			    old->sel[j]);
	}
	for (j = 0; j < k && act->n < DKIMKEY_ACTIVEMAX; j++)
		snprintf(act->sel[act->n++], DKIMKEY_SELMAX, "%s",
		    info[idx[j]].selector);
	return 0;
}

int
domain_activate(struct ctl *ctl, struct ctl_opts *o)
{
	struct dkimkey_info	*info;
	struct dkimkey_active	 old, act;
	struct dom		 d;
	size_t			 idx[2], k, n;
	int			 rc, fd;

	if ((rc = dom_init(&d, ctl, 1)) != 0 || (rc = load_resolve(&d,
	    o->domain, o->args[1], &info, &n, &old, idx, &k)) != 0)
		return rc;
	rc = new_active(&d, info, n, idx, k, &old, &act);
	free(info);
	if (rc != 0 || (rc = open_domain(&d, o->domain, &fd)) != 0)
		return rc;
	rc = write_active(&d, fd, o->domain, &act);
	close(fd);
	return rc ? rc : print_activated(ctl, o->domain, &act, &old);
}

static int
print_retired(struct ctl *ctl, const char *domain,
    const struct dkimkey_info *info, const size_t *idx, size_t k)
{
	struct json	*j;
	size_t		 i;

	if (!ctl->json) {
		for (i = 0; i < k; i++)
			printf("%s: retired %s (removed %s); its DNS record "
			    "%s._domainkey.%s may go once mail signed with it "
			    "has been delivered\n", domain, info[idx[i]].selector,
			    info[idx[i]].path, info[idx[i]].selector, domain);
		return EXIT_OK;
	}
	j = ctl_json_open(ctl);
	json_obj_begin(j);
	json_kv_bool(j, "ok", 1);
	json_kv_str(j, "domain", domain);
	json_key(j, "retired");
	json_arr_begin(j);
	for (i = 0; i < k; i++)
		json_str(j, info[idx[i]].selector);
	json_arr_end(j);
	json_obj_end(j);
	return ctl_json_close(ctl, j);
}

int
domain_retire(struct ctl *ctl, struct ctl_opts *o)
{
	struct dkimkey_info	*info;
	struct dkimkey_active	 act;
	struct dom		 d;
	size_t			 idx[2], k, n, j;
	int			 rc, fd = -1;
	char			 name[DKIMKEY_SELMAX + 8];

	if ((rc = dom_init(&d, ctl, 1)) != 0 || (rc = load_resolve(&d,
	    o->domain, o->args[1], &info, &n, &act, idx, &k)) != 0)
		return rc;
	for (j = 0; j < k && rc == 0; j++)
		if (info[idx[j]].active)
			rc = ctl_refuse(ctl, "refusing to retire %s: it is "
			    "active (activate another selector first)",
			    info[idx[j]].selector);
	if (rc == 0)
		rc = open_domain(&d, o->domain, &fd);
	for (j = 0; j < k && rc == 0; j++) {
		snprintf(name, sizeof(name), "%s.key", info[idx[j]].selector);
		if (unlinkat(fd, name, 0) < 0)
			rc = ctl_refuse(ctl, "%s: %s", info[idx[j]].path,
			    strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = print_retired(ctl, o->domain, info, idx, k);
	free(info);
	return rc;
}
