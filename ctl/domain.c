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
 * "active" file.  cmd_domain returns the exit status (ctl.h).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "dkimkey.h"
#include "mailaddr.h"

struct dom_args {
	const char	*pos[2];
	int		 npos;
	char		 selector[DKIMKEY_SELMAX];
};

/*
 * Options after the verb: --selector SEL (where allowed) and --json.
 * argv[0] is "domain", argv[1] the verb.  0, or the usage exit status.
 */
static int
parse_args(struct ctl *ctl, int argc, char **argv, int npos, int sel_ok,
    struct dom_args *a)
{
	static const struct option longopts[] = {
		{ "selector", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	char	 msg[256];
	int	 ch, i;

	memset(a, 0, sizeof(*a));
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "+s:j", longopts,
	    NULL)) != -1 || optind < argc - 1) {
		if (ch == -1) {		/* a positional argument */
			if (a->npos == 2)
				return ctl_usage("domain: too many arguments");
			a->pos[a->npos++] = argv[1 + optind++];
			continue;
		}
		if (ch == 'j')
			ctl->json = 1;
		else if (ch == 's' && sel_ok) {
			for (i = 0; optarg[i] != '\0' &&
			    i < DKIMKEY_SELMAX - 1; i++)
				a->selector[i] = (char)(optarg[i] >= 'A' &&
				    optarg[i] <= 'Z' ? optarg[i] + 32 : optarg[i]);
			if (optarg[i] != '\0')
				return ctl_usage("domain: selector too long");
		} else {
			snprintf(msg, sizeof(msg), "domain %s: unknown option "
			    "or missing value", argv[1]);
			return ctl_usage(msg);
		}
	}
	if (a->selector[0] != '\0' && (dkimkey_selector_ok(a->selector, msg,
	    sizeof(msg)) < 0 || strlen(a->selector) > DKIMKEY_SELMAX - 2)) {
		if (strlen(a->selector) > DKIMKEY_SELMAX - 2)
			snprintf(msg, sizeof(msg), "selector \"%s\": longer "
			    "than %d characters", a->selector,
			    DKIMKEY_SELMAX - 2);
		return ctl_usage(msg);
	}
	if (a->npos != npos) {
		snprintf(msg, sizeof(msg), "domain %s: expected %d argument%s",
		    argv[1], npos, npos == 1 ? "" : "s");
		return ctl_usage(msg);
	}
	return 0;
}

/*
 * Who owns new files and whom the safety verdicts are for: the configured
 * user.  As root that user must exist; otherwise files keep our own uid.
 */
static int
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
			return dom_refuse("user \"%s\" (config key user) does "
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

/* mkdir path (mode 0750, owned by the user) unless it exists; 0 / 1. */
static int
ensure_dir(struct dom *d, const char *path)
{
	if (mkdir(path, 0750) == 0) {
		if (chmod(path, 0750) < 0 || (d->uid != (uid_t)-1 &&
		    chown(path, d->uid, d->gid) < 0))
			return dom_refuse("%s: %s", path, strerror(errno));
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	return dom_refuse("%s: %s", path, strerror(errno));
}

static int
file_exists(struct dom *d, const char *domain, const char *sel)
{
	char	 path[4096];

	return dkimkey_key_path(path, sizeof(path), d->dir, domain, sel) == 0 &&
	    access(path, F_OK) == 0;
}

/* A base selector not yet used in folder; 0, or the exit status. */
static int
pick_selector(struct dom *d, const char *folder, const char *want,
    char *base)
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
			return ctl_usage(err);
		if (!file_exists(d, folder, sel) && (snprintf(sel, sizeof(sel),
		    "%se", base), !file_exists(d, folder, sel)))
			return 0;
		if (want[0] != '\0')
			return dom_refuse("selector %s is already in use", want);
	}
	return dom_refuse("no free selector for today");
}

/* Generate and write SELr and SELe into dir/folder; 0 or exit status. */
static int
write_pair(struct dom *d, const char *folder, const char *base)
{
	static const int	 algs[2] = { DKIMKEY_RSA, DKIMKEY_ED25519 };
	static const char	 suffix[2] = { 'r', 'e' };
	char			 sel[DKIMKEY_SELMAX + 8], path[4096], err[512];
	EVP_PKEY		*pk;
	int			 i, rc;

	for (i = 0; i < 2; i++) {
		snprintf(sel, sizeof(sel), "%s%c", base, suffix[i]);
		if (dkimkey_key_path(path, sizeof(path), d->dir, folder,
		    sel) < 0)
			return dom_refuse("%s/%s: path too long", d->dir, folder);
		if ((pk = dkimkey_generate(algs[i], err, sizeof(err))) == NULL)
			return dom_refuse("%s", err);
		rc = dkimkey_write(path, pk, d->uid, d->gid, err, sizeof(err));
		EVP_PKEY_free(pk);
		if (rc < 0)
			return dom_refuse("%s", err);
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

/* Remove a hidden folder of our own and the plain files in it. */
static void
rm_tmpdir(const char *path)
{
	DIR		*dir;
	struct dirent	*de;

	if ((dir = opendir(path)) != NULL) {
		while ((de = readdir(dir)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				unlinkat(dirfd(dir), de->d_name, 0);
		closedir(dir);
	}
	if (rmdir(path) < 0)
		fprintf(stderr, "outpostctl: could not remove %s: %s\n", path,
		    strerror(errno));
}

/* Write a new active pair into a fresh hidden folder; rename into place. */
static int
add_fresh(struct dom *d, const char *domain, const char *base)
{
	struct dkimkey_active	 act;
	char			 tmp[4096], path[4096], err[512];
	int			 rc;

	snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", d->dir, domain);
	if (mkdtemp(tmp) == NULL)
		return dom_refuse("%s: %s", tmp, strerror(errno));
	pair_active(&act, base);
	dkimkey_path(path, sizeof(path), d->dir, domain, NULL);
	if (chmod(tmp, 0750) < 0 || (d->uid != (uid_t)-1 &&
	    chown(tmp, d->uid, d->gid) < 0))
		rc = dom_refuse("%s: %s", tmp, strerror(errno));
	else if ((rc = write_pair(d, strrchr(tmp, '/') + 1, base)) != 0)
		;
	else if (dkimkey_active_write(d->dir, strrchr(tmp, '/') + 1, &act,
	    d->uid, d->gid, err, sizeof(err)) < 0)
		rc = dom_refuse("%s", err);
	else if (rename(tmp, path) < 0)
		rc = dom_refuse("%s: %s", path, strerror(errno));
	if (rc != 0)
		rm_tmpdir(tmp);
	return rc;
}

static int
domain_add(struct dom *d, const char *domain, const char *want)
{
	struct dkimkey_info	*info;
	struct dkimkey_active	 act;
	char			 path[4096], base[DKIMKEY_SELMAX], err[512];
	size_t			 n;
	int			 rc;

	if (ensure_dir(d, d->dir) != 0)
		return EXIT_REFUSED;
	dkimkey_path(path, sizeof(path), d->dir, domain, NULL);
	if (access(path, F_OK) < 0)
		rc = pick_selector(d, domain, want, base) ? EXIT_REFUSED :
		    add_fresh(d, domain, base);
	else {
		/* An empty folder (made by hand) is filled in place. */
		if (dkimkey_list(d->dir, domain, d->owner, d->group, &info, &n,
		    &act, err, sizeof(err)) < 0)
			return dom_refuse("%s", err);
		free(info);
		if (n > 0 || act.n > 0)
			return dom_refuse("%s already has keys; use \"outpostctl "
			    "domain rotate %s\" for a new pair", domain, domain);
		if ((rc = pick_selector(d, domain, want, base)) == 0 &&
		    (rc = write_pair(d, domain, base)) == 0) {
			pair_active(&act, base);
			if (dkimkey_active_write(d->dir, domain, &act, d->uid,
			    d->gid, err, sizeof(err)) < 0)
				rc = dom_refuse("%s", err);
		}
	}
	if (rc != 0)
		return rc;
	return dom_print_new(d, domain, "add", base);
}

static int
domain_rotate(struct dom *d, const char *domain, const char *want)
{
	struct dkimkey_info	*info;
	char			 base[DKIMKEY_SELMAX], err[512];
	size_t			 n;
	int			 rc;

	if (dkimkey_list(d->dir, domain, d->owner, d->group, &info, &n, NULL,
	    err, sizeof(err)) < 0 || n == 0) {
		if (n == 0)
			free(info);
		return dom_refuse("%s has no keys in %s; use \"outpostctl "
		    "domain add %s\"", domain, d->dir, domain);
	}
	free(info);
	if ((rc = pick_selector(d, domain, want, base)) != 0 ||
	    (rc = write_pair(d, domain, base)) != 0)
		return rc;
	return dom_print_new(d, domain, "rotate", base);
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
		return dom_refuse("%s has no keys in %s", domain, d->dir);
	if ((*k = resolve(*info, *n, sel, idx)) == 0) {
		free(*info);
		*info = NULL;
		return dom_refuse("%s has no selector %s (nor %sr, %se)", domain,
		    sel, sel, sel);
	}
	return 0;
}

static int
domain_activate(struct dom *d, const char *domain, const char *sel)
{
	struct dkimkey_info	*info;
	struct dkimkey_active	 old, act;
	size_t			 idx[2], k, n, j;
	int			 both, rc = EXIT_OK;
	char			 err[512];

	if ((rc = load_resolve(d, domain, sel, &info, &n, &old, idx, &k)) != 0)
		return rc;
	both = k == 2 && info[idx[0]].alg != info[idx[1]].alg;
	memset(&act, 0, sizeof(act));
	for (j = 0; j < k; j++)
		if (info[idx[j]].problem[0] != '\0') {
			rc = dom_refuse("refusing to activate %s: key %s: %s",
			    info[idx[j]].selector, info[idx[j]].path,
			    info[idx[j]].problem);
			goto out;
		}
	/* Keep the old selectors of the algorithms not replaced. */
	for (j = 0; !both && j < old.n; j++) {
		size_t	 m;

		for (m = 0; m < n && strcmp(info[m].selector, old.sel[j]); m++)
			;
		if (m < n && info[m].present && info[m].alg != info[idx[0]].alg)
			snprintf(act.sel[act.n++], DKIMKEY_SELMAX, "%s",
			    old.sel[j]);
	}
	for (j = 0; j < k && act.n < DKIMKEY_ACTIVEMAX; j++)
		snprintf(act.sel[act.n++], DKIMKEY_SELMAX, "%s",
		    info[idx[j]].selector);
	if (dkimkey_active_write(d->dir, domain, &act, d->uid, d->gid, err,
	    sizeof(err)) < 0) {
		rc = dom_refuse("%s", err);
		goto out;
	}
	if (d->ctl->json) {
		printf("{\"domain\":");
		dom_json_str(stdout, domain);
		printf(",\"active\":[");
		for (j = 0; j < act.n; j++) {
			printf("%s", j ? "," : "");
			dom_json_str(stdout, act.sel[j]);
		}
		printf("],\"previous\":[");
		for (j = 0; j < old.n; j++) {
			printf("%s", j ? "," : "");
			dom_json_str(stdout, old.sel[j]);
		}
		printf("]}\n");
	} else {
		printf("%s: signing with", domain);
		for (j = 0; j < act.n; j++)
			printf("%s %s", j ? "," : "", act.sel[j]);
		printf(" (was:");
		for (j = 0; j < old.n; j++)
			printf("%s %s", j ? "," : "", old.sel[j]);
		printf("%s)\n", old.n ? "" : " none");
	}
out:
	free(info);
	return rc;
}

static int
domain_retire(struct dom *d, const char *domain, const char *sel)
{
	struct dkimkey_info	*info;
	struct dkimkey_active	 act;
	size_t			 idx[2], k, n, j;
	int			 rc;

	if ((rc = load_resolve(d, domain, sel, &info, &n, &act, idx, &k)) != 0)
		return rc;
	for (j = 0; j < k; j++)
		if (info[idx[j]].active) {
			rc = dom_refuse("refusing to retire %s: it is active "
			    "(activate another selector first)",
			    info[idx[j]].selector);
			goto out;
		}
	for (j = 0; j < k; j++)
		if (unlink(info[idx[j]].path) < 0) {
			rc = dom_refuse("%s: %s", info[idx[j]].path,
			    strerror(errno));
			goto out;
		}
	if (d->ctl->json) {
		printf("{\"domain\":");
		dom_json_str(stdout, domain);
		printf(",\"retired\":[");
		for (j = 0; j < k; j++) {
			printf("%s", j ? "," : "");
			dom_json_str(stdout, info[idx[j]].selector);
		}
		printf("]}\n");
	} else
		for (j = 0; j < k; j++)
			printf("%s: retired %s (removed %s); its DNS record "
			    "%s._domainkey.%s may go once mail signed with it "
			    "has been delivered\n", domain,
			    info[idx[j]].selector, info[idx[j]].path,
			    info[idx[j]].selector, domain);
out:
	free(info);
	return rc;
}

int
cmd_domain(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char	*verb;
		int		 npos, sel, writing;	/* 2: new keys */
	} verbs[] = {
		{ "add", 1, 1, 2 }, { "rotate", 1, 1, 2 },
		{ "activate", 2, 0, 1 }, { "retire", 2, 0, 1 },
		{ "list", 0, 0, 0 }, { "show", 1, 0, 0 },
	};
	struct dom_args	 a;
	struct dom	 d;
	char		 domain[DKIMKEY_DOMAINMAX], err[512];
	size_t		 i;
	int		 rc;

	if (argc < 2)
		return ctl_usage("domain: no verb given");
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(argv[1], verbs[i].verb) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return ctl_usage("domain: unknown verb");
	if ((rc = parse_args(ctl, argc, argv, verbs[i].npos, verbs[i].sel,
	    &a)) != 0)
		return rc;
	if (a.npos > 0 && mailaddr_domain_norm(a.pos[0], domain,
	    sizeof(domain), err, sizeof(err)) < 0)
		return dom_refuse("domain \"%s\": %s", a.pos[0], err);
	if (a.npos > 0 && !mailaddr_domain_is_hostname(domain))
		return dom_refuse("domain \"%s\": not a host name (DKIM "
		    "needs labels of [a-z0-9-])", domain);
	if (dom_init(&d, ctl, verbs[i].writing) != 0)
		return EXIT_REFUSED;
	switch (i) {
	case 0:
		return domain_add(&d, domain, a.selector);
	case 1:
		return domain_rotate(&d, domain, a.selector);
	case 2:
		return domain_activate(&d, domain, a.pos[1]);
	case 3:
		return domain_retire(&d, domain, a.pos[1]);
	case 4:
		return dom_list(&d);
	default:
		return dom_show(&d, domain);
	}
}
