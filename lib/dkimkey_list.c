/*
 * dkimkey_list.c -- what a keys directory holds: the domain folders, the
 * selectors of one domain with their state and safety, and the keys a
 * domain signs with (dkimkey_load_domain, the milter's and outpostctl's
 * common verdict).  See dkimkey.h; nothing here logs.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkimkey.h"
#include "errf.h"
#include "mailaddr.h"

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

char **
dkimkey_names_free(char **names, size_t n)
{
	size_t	 i;

	if (names == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return NULL;
}

/* Append a copy of s to *v (length *n, capacity *cap); 0 / -1. */
static int
push_name(char ***v, size_t *n, size_t *cap, const char *s)
{
	char	**nv;

	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((nv = realloc(*v, *cap * sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
	}
	if (((*v)[*n] = strdup(s)) == NULL)
		return -1;
	(*n)++;
	return 0;
}

int
dkimkey_domains(const char *dir, char ***names, size_t *n, char *err,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st;
	size_t		 cap = 0;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return errf(err, errlen, "directory %s: %s", dir,
		    strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    !mailaddr_domain_is_hostname(de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (push_name(names, n, &cap, de->d_name) < 0) {
			closedir(d);
			*names = dkimkey_names_free(*names, *n);
			*n = 0;
			return errf(err, errlen, "out of memory");
		}
	}
	closedir(d);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return 0;
}

/* The selectors of the *.key files of a folder, sorted; 0 / -1. */
static int
key_selectors(const char *path, char ***sels, size_t *n, char *err,
    size_t errlen)
{
	DIR		*d;
	struct dirent	*de;
	char		 sel[DKIMKEY_SELMAX];
	size_t		 len, cap = 0;

	*sels = NULL;
	*n = 0;
	if ((d = opendir(path)) == NULL)
		return errf(err, errlen, "directory %s: %s", path,
		    strerror(errno));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 || len - 4 >= sizeof(sel) ||
		    strcmp(de->d_name + len - 4, ".key") != 0)
			continue;
		memcpy(sel, de->d_name, len - 4);
		sel[len - 4] = '\0';
		if (dkimkey_selector_ok(sel, NULL, 0) < 0)
			continue;
		if (push_name(sels, n, &cap, sel) < 0) {
			closedir(d);
			*sels = dkimkey_names_free(*sels, *n);
			*n = 0;
			return errf(err, errlen, "out of memory");
		}
	}
	closedir(d);
	if (*n > 1)
		qsort(*sels, *n, sizeof(**sels), cmp_names);
	return 0;
}

static void
info_fill(struct dkimkey_info *in, const char *dir, const char *domain,
    uid_t owner, gid_t group)
{
	struct stat	 st;
	EVP_PKEY	*pk;
	char		 why[256];

	in->alg = DKIMKEY_UNKNOWN;
	if (dkimkey_key_path(in->path, sizeof(in->path), dir, domain,
	    in->selector) < 0) {
		snprintf(in->problem, sizeof(in->problem), "path too long");
		return;
	}
	if (stat(in->path, &st) < 0) {
		in->present = 0;
		snprintf(in->problem, sizeof(in->problem), "%s%s",
		    in->active ? "active selector has no key file: " : "",
		    strerror(errno));
		return;
	}
	in->present = 1;
	pk = dkimkey_load(in->path, owner, group, 0, NULL, NULL, why,
	    sizeof(why));
	if (pk == NULL) {
		snprintf(in->problem, sizeof(in->problem), "%s", why);
		return;
	}
	in->alg = dkimkey_alg(pk);
	in->bits = dkimkey_bits(pk);
	EVP_PKEY_free(pk);
	switch (dkimkey_check_key(&st, owner, group, why, sizeof(why))) {
	case -1:
		snprintf(in->problem, sizeof(in->problem), "%s", why);
		break;
	case 1:
		snprintf(in->warning, sizeof(in->warning), "%s", why);
		break;
	}
}

static int
cmp_info(const void *a, const void *b)
{
	return strcmp(((const struct dkimkey_info *)a)->selector,
	    ((const struct dkimkey_info *)b)->selector);
}

int
dkimkey_list(const char *dir, const char *domain, uid_t owner, gid_t group,
    struct dkimkey_info **info, size_t *n, struct dkimkey_active *actp,
    char *err, size_t errlen)
{
	struct dkimkey_active	 act;
	char			 path[4096], **sels;
	size_t			 nsel, i, k = 0;

	*info = NULL;
	*n = 0;
	if (dkimkey_path(path, sizeof(path), dir, domain, NULL) < 0)
		return errf(err, errlen, "%s/%s: path too long", dir, domain);
	if (dkimkey_active_read(dir, domain, (uid_t)-1, &act, err, errlen) < 0)
		memset(&act, 0, sizeof(act));	/* keys listed anyway */
	if (actp != NULL)
		*actp = act;
	if (key_selectors(path, &sels, &nsel, err, errlen) < 0)
		return -1;
	if ((*info = calloc(nsel + act.n + 1, sizeof(**info))) == NULL) {
		dkimkey_names_free(sels, nsel);
		return errf(err, errlen, "out of memory");
	}
	for (i = 0; i < nsel; i++, k++)
		snprintf((*info)[k].selector, DKIMKEY_SELMAX, "%s", sels[i]);
	for (i = 0; i < act.n; i++) {
		size_t	 j;

		for (j = 0; j < nsel && strcmp(sels[j], act.sel[i]) != 0; j++)
			;
		if (j == nsel)
			snprintf((*info)[k++].selector, DKIMKEY_SELMAX, "%s",
			    act.sel[i]);
	}
	dkimkey_names_free(sels, nsel);
	if (k > 1)
		qsort(*info, k, sizeof(**info), cmp_info);
	for (i = 0; i < k; i++) {
		(*info)[i].active = dkimkey_active_has(&act,
		    (*info)[i].selector);
		info_fill(&(*info)[i], dir, domain, owner, group);
	}
	*n = k;
	return 0;
}

void
dkimkey_loaded_clear(struct dkimkey_loaded *ld)
{
	size_t	 i;

	for (i = 0; i < ld->n; i++) {
		EVP_PKEY_free(ld->k[i].pkey);
		if (ld->k[i].pem != NULL) {
			OPENSSL_cleanse(ld->k[i].pem, ld->k[i].pemlen);
			free(ld->k[i].pem);
		}
	}
	memset(ld, 0, sizeof(*ld));
}

/* Load the active selector sel into the next slot of ld; 0 / -1. */
static int
load_one(const char *dir, const char *domain, const char *sel, uid_t owner,
    gid_t group, struct dkimkey_loaded *ld, char *err, size_t errlen)
{
	char		 path[4096], why[256];
	struct stat	 st;
	EVP_PKEY	*pk;
	size_t		 i = ld->n;

	if (dkimkey_key_path(path, sizeof(path), dir, domain, sel) < 0)
		return errf(err, errlen, "%s/%s: path too long", dir, domain);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return errf(err, errlen, "active selector %s has no "
			    "key file %s", sel, path);
		memset(&st, 0, sizeof(st));	/* dkimkey_load says why */
	}
	pk = dkimkey_load(path, owner, group, 1, &ld->k[i].pem,
	    &ld->k[i].pemlen, why, sizeof(why));
	if (pk == NULL)
		return errf(err, errlen, "key %s: %s", path, why);
	if (ld->warn[0] == '\0' &&
	    dkimkey_check_key(&st, owner, group, why, sizeof(why)) == 1)
		(void)errf(ld->warn, sizeof(ld->warn), "key %s: %s", path, why);
	snprintf(ld->k[i].sel, sizeof(ld->k[i].sel), "%s", sel);
	ld->k[i].pkey = pk;
	ld->k[i].alg = dkimkey_alg(pk);
	ld->k[i].bits = dkimkey_bits(pk);
	ld->n++;
	return 0;
}

int
dkimkey_load_domain(const char *dir, const char *domain, uid_t owner,
    gid_t group, struct dkimkey_loaded *ld, char *err, size_t errlen)
{
	struct dkimkey_active	 act;
	char			 path[4096], **sels;
	size_t			 nsel, i;

	memset(ld, 0, sizeof(*ld));
	if (dkimkey_path(path, sizeof(path), dir, domain, NULL) < 0)
		return errf(err, errlen, "%s/%s: path too long", dir, domain);
	if (dkimkey_dir_ok(path, owner, err, errlen) < 0 ||
	    dkimkey_active_read(dir, domain, owner, &act, err, errlen) < 0)
		return -1;
	if (act.n == 0) {
		if (key_selectors(path, &sels, &nsel, err, errlen) < 0)
			return -1;
		dkimkey_names_free(sels, nsel);
		if (nsel == 0)
			return 0;
		return errf(err, errlen, "no active selector (%zu key file%s "
		    "in %s, none listed in %s)", nsel, nsel == 1 ? "" : "s",
		    path, DKIMKEY_ACTIVE_FILE);
	}
	for (i = 0; i < act.n; i++)
		if (load_one(dir, domain, act.sel[i], owner, group, ld, err,
		    errlen) < 0) {
			dkimkey_loaded_clear(ld);
			return -1;
		}
	return 1;
}
