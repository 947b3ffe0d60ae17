/*
 * keystore.c -- the milter's key store: reference-counted per-domain
 * entries in an immutable snapshot, swapped under a mutex.  Contract in
 * keystore.h; the on-disk rules are lib/dkimkey's.
 *
 * A snapshot is a sorted array of entries plus the warnings of its scan.
 * Lookups take the mutex only to find an entry and bump its count.  A
 * reload (one thread at a time, under reload_lock) builds the next
 * snapshot without the mutex, reusing the entries whose folder
 * fingerprint did not change, then swaps it in; entries of the old
 * snapshot die when the last result holding them is released.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dkimkey.h"
#include "keystore.h"
#include "mailaddr.h"
#include "xmalloc.h"

struct ks_entry {
	atomic_int		 refs;
	char			*name;
	uint64_t		 fp;	/* fingerprint of the folder */
	int			 status;
	char			 err[512];
	struct dkimkey_loaded	 ld;
	struct ks_key		 keys[KS_MAXKEYS];
	size_t			 nkeys;
};

struct ks_warn {
	char	*domain;	/* NULL: the directory itself */
	char	*problem;
	int	 warning;	/* 1: usable, only warned about */
};

struct ks_snap {
	struct ks_entry	**v;
	size_t		  n;
	struct ks_warn	 *warn;
	size_t		  nwarn;
	int		  bad;		/* directory unusable */
	char		  err[512];
};

struct keystore {
	char		*dir;
	uid_t		 owner;
	gid_t		 group;
	pthread_mutex_t	 lock;		/* guards cur */
	pthread_mutex_t	 reload_lock;	/* one reloader at a time */
	struct ks_snap	*cur;
	atomic_int	 reload_req;
	atomic_llong	 last_ms;
	long		 interval_ms;
};

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct ks_entry *
entry_unref(struct ks_entry *e)
{
	if (e != NULL && atomic_fetch_sub(&e->refs, 1) == 1) {
		dkimkey_loaded_clear(&e->ld);
		free(e->name);
		free(e);
	}
	return NULL;
}

static struct ks_snap *
snap_free(struct ks_snap *s)
{
	size_t	 i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < s->n; i++)
		entry_unref(s->v[i]);
	for (i = 0; i < s->nwarn; i++) {
		free(s->warn[i].domain);
		free(s->warn[i].problem);
	}
	free(s->v);
	free(s->warn);
	free(s);
	return NULL;
}

static void
snap_warn(struct ks_snap *s, const char *domain, const char *problem,
    int warning)
{
	s->warn = xrealloc(s->warn, (s->nwarn + 1) * sizeof(*s->warn));
	s->warn[s->nwarn].domain = domain ? xstrdup(domain) : NULL;
	s->warn[s->nwarn].problem = xstrdup(problem);
	s->warn[s->nwarn].warning = warning;
	s->nwarn++;
}

/* FNV-1a, 64 bits. */
static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*b = p;

	while (len-- > 0)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
stat_hash(const char *name, const struct stat *st)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	long long	 f[9] = {
		(long long)st->st_dev, (long long)st->st_ino,
		(long long)st->st_size, (long long)st->st_mode,
		(long long)st->st_uid, (long long)st->st_gid,
		(long long)st->st_mtim.tv_sec * 1000000000LL +
		    st->st_mtim.tv_nsec,
		(long long)st->st_ctim.tv_sec * 1000000000LL +
		    st->st_ctim.tv_nsec, 0
	};

	h = fnv(h, name, strlen(name) + 1);
	return fnv(h, f, sizeof(f));
}

/*
 * Fingerprint of a domain folder: the folder itself plus every entry in
 * it (order-independent sum).  A folder that cannot be read hashes its
 * errno so that the change to readable is seen.
 */
static uint64_t
folder_fp(int topfd, const char *name)
{
	struct stat	 st;
	struct dirent	*de;
	DIR		*d;
	uint64_t	 sum;
	int		 fd;

	if (fstatat(topfd, name, &st, 0) < 0)
		return (uint64_t)errno;
	sum = stat_hash(".", &st);
	if ((fd = openat(topfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return sum + (uint64_t)errno;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return sum + 1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(fd, de->d_name, &st, 0) == 0)
			sum += stat_hash(de->d_name, &st);
		else
			sum += fnv(0xcbf29ce484222325ULL, de->d_name,
			    strlen(de->d_name));
	}
	closedir(d);
	return sum;
}

static struct ks_entry *
entry_build(struct keystore *ks, const char *name, uint64_t fp)
{
	struct ks_entry	*e;
	size_t		 i;
	int		 rc;

	e = xcalloc(1, sizeof(*e));
	atomic_init(&e->refs, 1);
	e->name = xstrdup(name);
	e->fp = fp;
	rc = dkimkey_load_domain(ks->dir, name, ks->owner, ks->group, &e->ld,
	    e->err, sizeof(e->err));
	e->status = rc > 0 ? KS_OK : rc == 0 ? KS_NONE : KS_ERROR;
	for (i = 0; i < e->ld.n; i++) {
		e->keys[i].pkey = e->ld.k[i].pkey;
		e->keys[i].selector = e->ld.k[i].sel;
		e->keys[i].alg = e->ld.k[i].alg;
		e->keys[i].bits = e->ld.k[i].bits;
		e->keys[i].pem = e->ld.k[i].pem;
		e->keys[i].pemlen = e->ld.k[i].pemlen;
	}
	e->nkeys = e->ld.n;
	return e;
}

static int
cmp_entry(const void *a, const void *b)
{
	return strcmp((*(struct ks_entry * const *)a)->name,
	    (*(struct ks_entry * const *)b)->name);
}

static int
cmp_warn(const void *a, const void *b)
{
	const struct ks_warn	*x = a, *y = b;

	if (x->domain == NULL || y->domain == NULL)
		return (x->domain != NULL) - (y->domain != NULL);
	return strcmp(x->domain, y->domain);
}

static struct ks_entry *
snap_find(const struct ks_snap *s, const char *name)
{
	size_t	 lo = 0, hi, mid;
	int	 c;

	if (s == NULL)
		return NULL;
	for (hi = s->n; lo < hi;) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(name, s->v[mid]->name)) == 0)
			return s->v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* One folder of the top directory into the new snapshot. */
static void
scan_one(struct keystore *ks, int topfd, const char *name,
    const struct ks_snap *old, int force, struct ks_snap *s)
{
	struct ks_entry	*e;
	struct stat	 st;
	uint64_t	 fp;
	char		 msg[600];

	if (fstatat(topfd, name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
		return;
	if (!mailaddr_domain_is_hostname(name)) {
		snprintf(msg, sizeof(msg), "folder %s/%s ignored: not a "
		    "lower-case domain name", ks->dir, name);
		snap_warn(s, name, msg, 0);
		return;
	}
	fp = folder_fp(topfd, name);
	e = force ? NULL : snap_find(old, name);
	if (e != NULL && e->fp == fp)
		atomic_fetch_add(&e->refs, 1);
	else
		e = entry_build(ks, name, fp);
	s->v = xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = e;
	if (e->status == KS_ERROR)
		snap_warn(s, name, e->err, 0);
	else if (e->status == KS_OK && e->ld.warn[0] != '\0')
		snap_warn(s, name, e->ld.warn, 1);
}

/* A new snapshot of the directory; old entries reused unless force. */
static struct ks_snap *
scan(struct keystore *ks, const struct ks_snap *old, int force)
{
	struct ks_snap	*s = xcalloc(1, sizeof(*s));
	struct dirent	*de;
	DIR		*d;

	if (dkimkey_dir_ok(ks->dir, ks->owner, s->err, sizeof(s->err)) < 0 ||
	    (d = opendir(ks->dir)) == NULL) {
		if (s->err[0] == '\0')
			snprintf(s->err, sizeof(s->err), "directory %s: %s",
			    ks->dir, strerror(errno));
		s->bad = 1;
		snap_warn(s, NULL, s->err, 0);
		return s;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			scan_one(ks, dirfd(d), de->d_name, old, force, s);
	closedir(d);
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), cmp_entry);
	if (s->nwarn > 1)
		qsort(s->warn, s->nwarn, sizeof(*s->warn), cmp_warn);
	return s;
}

/* Scan and install; the caller holds reload_lock.  0, or -1 if bad. */
static int
reload(struct keystore *ks, int force, char *err, size_t errlen)
{
	struct ks_snap	*s, *old;

	/* cur is only replaced under reload_lock, which we hold. */
	s = scan(ks, ks->cur, force);
	pthread_mutex_lock(&ks->lock);
	old = ks->cur;
	ks->cur = s;
	pthread_mutex_unlock(&ks->lock);
	snap_free(old);
	if (s->bad) {
		if (err != NULL)
			snprintf(err, errlen, "%s", s->err);
		return -1;
	}
	return 0;
}

struct keystore *
keystore_new(const char *dir, uid_t owner, gid_t group)
{
	struct keystore	*ks = xcalloc(1, sizeof(*ks));

	ks->dir = xstrdup(dir);
	ks->owner = owner;
	ks->group = group;
	ks->interval_ms = 1000;
	pthread_mutex_init(&ks->lock, NULL);
	pthread_mutex_init(&ks->reload_lock, NULL);
	atomic_init(&ks->reload_req, 0);
	atomic_init(&ks->last_ms, 0);
	return ks;
}

int
keystore_load(struct keystore *ks, char *err, size_t errlen)
{
	int	 rc;

	pthread_mutex_lock(&ks->reload_lock);
	atomic_store(&ks->last_ms, now_ms());
	rc = reload(ks, 1, err, errlen);
	pthread_mutex_unlock(&ks->reload_lock);
	return rc;
}

void
keystore_warnings(struct keystore *ks, ks_warn_cb *cb, void *arg)
{
	size_t	 i;

	pthread_mutex_lock(&ks->lock);
	for (i = 0; ks->cur != NULL && i < ks->cur->nwarn; i++)
		cb(ks->cur->warn[i].domain, ks->cur->warn[i].problem,
		    ks->cur->warn[i].warning, arg);
	pthread_mutex_unlock(&ks->lock);
}

void
keystore_request_reload(struct keystore *ks)
{
	atomic_store(&ks->reload_req, 1);
}

void
keystore_set_interval(struct keystore *ks, long ms)
{
	ks->interval_ms = ms;
}

int
keystore_maybe_reload(struct keystore *ks)
{
	long long	 now, last;
	int		 force, rc;

	now = now_ms();
	last = atomic_load(&ks->last_ms);
	force = atomic_load(&ks->reload_req);
	if (!force && now - last < ks->interval_ms)
		return 0;
	if (pthread_mutex_trylock(&ks->reload_lock) != 0)
		return 0;	/* another thread is at it */
	force = atomic_exchange(&ks->reload_req, 0);
	if (!force && now - atomic_load(&ks->last_ms) < ks->interval_ms) {
		pthread_mutex_unlock(&ks->reload_lock);
		return 0;	/* someone just did it */
	}
	atomic_store(&ks->last_ms, now);
	rc = reload(ks, force, NULL, 0);
	pthread_mutex_unlock(&ks->reload_lock);
	return rc < 0 ? -1 : 1;
}

void
keystore_lookup(struct keystore *ks, const char *domain, int sign_subdomains,
    struct ks_result *out)
{
	struct ks_entry	*e = NULL;
	char		 name[DKIMKEY_DOMAINMAX];
	const char	*p;

	memset(out, 0, sizeof(*out));
	keystore_maybe_reload(ks);
	if (mailaddr_domain_norm(domain, name, sizeof(name), NULL, 0) < 0 ||
	    !mailaddr_domain_is_hostname(name))
		return;				/* KS_NONE */
	pthread_mutex_lock(&ks->lock);
	if (ks->cur != NULL && ks->cur->bad) {
		out->status = KS_ERROR;
		out->reason = "keys directory unusable";
		snprintf(out->err, sizeof(out->err), "%s", ks->cur->err);
		pthread_mutex_unlock(&ks->lock);
		return;
	}
	for (p = name; p != NULL; p = sign_subdomains ? strchr(p, '.') : NULL) {
		if (*p == '.')
			p++;
		e = snap_find(ks->cur, p);
		if (e != NULL && e->status != KS_NONE) {
			atomic_fetch_add(&e->refs, 1);
			break;
		}
		e = NULL;
	}
	pthread_mutex_unlock(&ks->lock);
	if (e == NULL)
		return;
	out->ref = e;
	out->status = e->status;
	out->domain = e->name;
	memcpy(out->keys, e->keys, sizeof(out->keys));
	out->nkeys = e->nkeys;
	if (e->status == KS_ERROR)
		out->reason = "signing key unusable";
	snprintf(out->err, sizeof(out->err), "%s", e->err);
}

void
keystore_release(struct ks_result *res)
{
	if (res == NULL)
		return;
	entry_unref(res->ref);
	memset(res, 0, sizeof(*res));
}

struct keystore *
keystore_free(struct keystore *ks)
{
	if (ks == NULL)
		return NULL;
	snap_free(ks->cur);
	pthread_mutex_destroy(&ks->lock);
	pthread_mutex_destroy(&ks->reload_lock);
	free(ks->dir);
	free(ks);
	return NULL;
}
