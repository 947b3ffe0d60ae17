/*
 * Unit test of milter/keystore: a keys directory with one domain per case
 * (good, unsafe mode, corrupt PEM, missing selector, no active selector,
 * a FIFO, a bad folder name, an empty folder), looked up as the milter
 * would; sign_subdomains on and off; reloads while an old result is still
 * held (its key must stay usable: ASan catches a premature free); only
 * changed domains re-parsed; and a multi-thread lookup + reload stress.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dkimkey.h"
#include "../../milter/keystore.h"
#include "../tap.h"

static char		 dir[] = "/tmp/outpost-keystore.XXXXXX";
static EVP_PKEY		*rsa, *ed;
static char		 grname[64];

static void
put_key(const char *domain, const char *sel, EVP_PKEY *pk, unsigned mode)
{
	char	 path[512], err[256];

	snprintf(path, sizeof(path), "%s/%s", dir, domain);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/%s/%s.key", dir, domain, sel);
	unlink(path);
	if (dkimkey_write(path, pk, (uid_t)-1, 0, err, sizeof(err)) < 0)
		diag("%s", err);
	chmod(path, mode);
}

static void
write_text(const char *path, const char *text, unsigned mode)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
	chmod(path, mode);
}

static void
put_file(const char *domain, const char *file, const char *text)
{
	char	 path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, domain);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, domain, file);
	write_text(path, text, strcmp(file, "active") == 0 ? 0644 : 0600);
}

static void
setup(void)
{
	char	 path[512];

	put_key("ok.example", "s1r", rsa, 0600);
	put_key("ok.example", "s1e", ed, 0600);
	put_key("ok.example", "s0r", rsa, 0644);	/* pending: ignored */
	put_file("ok.example", "active", "s1r\ns1e\n");
	put_key("sub.ok.example", "subr", rsa, 0640);	/* group = ours */
	put_file("sub.ok.example", "active", "subr\n");
	put_key("mode.example", "s1r", rsa, 0644);
	put_file("mode.example", "active", "s1r\n");
	put_file("corrupt.example", "s1r.key", "-----BEGIN PRIVATE KEY-----\n"
	    "bm90IGEga2V5\n-----END PRIVATE KEY-----\n");
	put_file("corrupt.example", "active", "s1r\n");
	put_key("missing.example", "s1r", rsa, 0600);
	put_file("missing.example", "active", "s1r\ns9e\n");
	put_key("noactive.example", "s1r", rsa, 0600);
	put_key("fifo.example", "s1e", ed, 0600);
	snprintf(path, sizeof(path), "%s/fifo.example/s2e.key", dir);
	mkfifo(path, 0600);
	put_file("fifo.example", "active", "s2e\n");
	put_key("activemode.example", "s1e", ed, 0600);
	put_file("activemode.example", "active", "s1e\n");
	snprintf(path, sizeof(path), "%s/activemode.example/active", dir);
	chmod(path, 0666);
	snprintf(path, sizeof(path), "%s/empty.example", dir);
	mkdir(path, 0750);
	put_key("Upper.Example", "s1r", rsa, 0600);
	put_file("Upper.Example", "active", "s1r\n");
}

static void
expect(struct keystore *ks, const char *domain, int sub, int status,
    const char *want_domain, const char *want_err)
{
	struct ks_result	 r;
	char			 err[1024] = "";

	keystore_lookup(ks, domain, sub, &r);
	if (want_err != NULL)
		snprintf(err, sizeof(err), want_err, dir, grname);
	ok(r.status == status &&
	    (want_domain == NULL ? r.domain == NULL :
	    r.domain != NULL && strcmp(r.domain, want_domain) == 0) &&
	    (want_err == NULL || strcmp(r.err, err) == 0),
	    "%s%s -> %d %s", domain, sub ? " (sign_subdomains)" : "",
	    r.status, r.status == KS_ERROR ? r.err : r.domain ? r.domain : "");
	if (want_err != NULL && strcmp(r.err, err) != 0)
		diag("expected: %s", err);
	keystore_release(&r);
}

static void
warn_cb(const char *domain, const char *problem, int warning, void *arg)
{
	char	*buf = arg;

	strcat(buf, domain ? domain : "(dir)");
	/* S5: a 0640 key signs, and is named with its reason. */
	if (warning && strstr(problem, "/sub.ok.example/subr.key: mode 0640 "
	    "lets group ") && strstr(problem, "(accepted for now; chmod 0600)"))
		strcat(buf, "(warning)");
	else if (warning)
		strcat(buf, "(warning, wrong text)");
	strcat(buf, " ");
}

static void
cases(struct keystore *ks)
{
	struct ks_result	 r;
	char			 warns[1024] = "";

	keystore_lookup(ks, "OK.Example.", 0, &r);
	ok(r.status == KS_OK && r.nkeys == 2 && r.keys[0].alg == 0 &&
	    r.keys[1].alg == 1 && strcmp(r.keys[0].selector, "s1r") == 0 &&
	    strcmp(r.keys[1].selector, "s1e") == 0 && r.keys[0].bits == 2048 &&
	    EVP_PKEY_eq(r.keys[1].pkey, ed) == 1 && r.keys[0].pem != NULL &&
	    strncmp(r.keys[0].pem, "-----BEGIN PRIVATE KEY-----", 27) == 0,
	    "ok.example: both active keys, in order, with PEM text");
	keystore_release(&r);
	ok(r.ref == NULL && r.nkeys == 0, "release clears the result");

	expect(ks, "ok.example", 0, KS_OK, "ok.example", NULL);
	expect(ks, "mail.ok.example", 0, KS_NONE, NULL, NULL);
	expect(ks, "mail.ok.example", 1, KS_OK, "ok.example", NULL);
	expect(ks, "a.b.mail.ok.example", 1, KS_OK, "ok.example", NULL);
	expect(ks, "sub.ok.example", 1, KS_OK, "sub.ok.example", NULL);
	expect(ks, "x.sub.ok.example", 1, KS_OK, "sub.ok.example", NULL);
	expect(ks, "notours.example", 1, KS_NONE, NULL, NULL);
	expect(ks, "example", 1, KS_NONE, NULL, NULL);
	expect(ks, "bad..name", 1, KS_NONE, NULL, NULL);
	expect(ks, "mode.example", 0, KS_ERROR, "mode.example",
	    "key %s/mode.example/s1r.key: mode 0644 is unsafe (want 0600)");
	expect(ks, "x.mode.example", 1, KS_ERROR, "mode.example", NULL);
	expect(ks, "x.mode.example", 0, KS_NONE, NULL, NULL);
	expect(ks, "corrupt.example", 0, KS_ERROR, "corrupt.example", NULL);
	keystore_lookup(ks, "corrupt.example", 0, &r);
	ok(strstr(r.err, "/corrupt.example/s1r.key: not a usable PEM private "
	    "key") != NULL, "corrupt PEM named: %s", r.err);
	keystore_release(&r);
	expect(ks, "missing.example", 0, KS_ERROR, "missing.example",
	    "active selector s9e has no key file %s/missing.example/s9e.key");
	expect(ks, "noactive.example", 0, KS_ERROR, "noactive.example",
	    "no active selector (1 key file in %s/noactive.example, none "
	    "listed in active)");
	expect(ks, "fifo.example", 0, KS_ERROR, "fifo.example",
	    "key %s/fifo.example/s2e.key: not a regular file");
	expect(ks, "activemode.example", 0, KS_ERROR, "activemode.example",
	    "active file %s/activemode.example/active: mode 0666 is unsafe "
	    "(writable by others)");
	expect(ks, "empty.example", 0, KS_NONE, NULL, NULL);
	expect(ks, "upper.example", 0, KS_NONE, NULL, NULL);

	keystore_warnings(ks, warn_cb, warns);
	is_str(warns, "Upper.Example activemode.example corrupt.example "
	    "fifo.example "
	    "missing.example mode.example noactive.example "
	    "sub.ok.example(warning) ",
	    "warnings: the broken domains, the bad folder name, the 0640 key");
}

/* A child running as nobody: a key it cannot open is named, not fatal. */
static void
unreadable(void)
{
	char	 d2[] = "/tmp/outpost-keystore2.XXXXXX", path[600], err[256];
	pid_t	 pid;
	int	 status = -1;

	if (mkdtemp(d2) == NULL)
		return;
	chmod(d2, 0755);
	snprintf(path, sizeof(path), "%s/u.example", d2);
	mkdir(path, 0750);
	snprintf(path, sizeof(path), "%s/u.example/a.key", d2);
	dkimkey_write(path, ed, (uid_t)-1, 0, err, sizeof(err));
	chmod(path, 0200);
	snprintf(path, sizeof(path), "%s/u.example/active", d2);
	write_text(path, "a\n", 0644);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct keystore		*ks;
		struct ks_result	 r;
		char			 cmd[700];

		if (getuid() == 0) {
			snprintf(cmd, sizeof(cmd), "chown -R 65534:65534 %s", d2);
			if (system(cmd) != 0 || setgroups(0, NULL) < 0 ||
			    setgid(65534) < 0 || setuid(65534) < 0)
				_exit(3);
		}
		ks = keystore_new(d2, getuid(), getgid());
		keystore_load(ks, NULL, 0);
		keystore_lookup(ks, "u.example", 0, &r);
		printf("# child: %s\n", r.err);
		fflush(stdout);
		_exit(r.status == KS_ERROR && strstr(r.err, "a.key: Permission "
		    "denied") != NULL ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "unreadable key file: KS_ERROR naming the file and the errno");
	snprintf(path, sizeof(path), "rm -rf %s", d2);
	if (system(path) != 0)
		diag("could not remove %s", d2);
}

/* Sign a few bytes with k and verify with pub: proves k is alive. */
static int
signs(const struct ks_key *k, EVP_PKEY *pub)
{
	unsigned char	 sig[512];
	size_t		 siglen = sizeof(sig);
	EVP_MD_CTX	*c = EVP_MD_CTX_new();
	const EVP_MD	*md = k->alg == 0 ? EVP_sha256() : NULL;
	int		 good;

	good = EVP_DigestSignInit(c, NULL, md, NULL, k->pkey) == 1 &&
	    EVP_DigestSign(c, sig, &siglen, (const unsigned char *)"hi", 2) == 1;
	EVP_MD_CTX_reset(c);
	good = good && EVP_DigestVerifyInit(c, NULL, md, NULL, pub) == 1 &&
	    EVP_DigestVerify(c, sig, siglen, (const unsigned char *)"hi",
	    2) == 1;
	EVP_MD_CTX_free(c);
	return good;
}

static void
reloads(struct keystore *ks)
{
	struct ks_result	 old, cur, other, other2;
	EVP_PKEY		*ed2;
	char			 err[256], path[512];

	keystore_lookup(ks, "ok.example", 0, &old);
	keystore_lookup(ks, "sub.ok.example", 0, &other);
	ed2 = dkimkey_generate(DKIMKEY_ED25519, err, sizeof(err));
	put_key("ok.example", "s1e", ed2, 0600);

	/* A long interval: the change is not seen until requested. */
	keystore_set_interval(ks, 3600 * 1000);
	keystore_lookup(ks, "ok.example", 0, &cur);
	ok(cur.ref == old.ref, "interval not over: same snapshot entry");
	keystore_release(&cur);

	keystore_request_reload(ks);
	keystore_lookup(ks, "ok.example", 0, &cur);
	ok(cur.status == KS_OK && cur.ref != old.ref &&
	    EVP_PKEY_eq(cur.keys[1].pkey, ed2) == 1,
	    "after request: the new Ed25519 key");
	ok(old.status == KS_OK && strcmp(old.keys[1].selector, "s1e") == 0 &&
	    signs(&old.keys[1], ed) && signs(&cur.keys[1], ed2),
	    "the old result still signs with the old key");
	keystore_lookup(ks, "sub.ok.example", 0, &other2);
	ok(other2.ref != other.ref && other2.status == KS_OK,
	    "a requested reload re-parses every domain");
	keystore_release(&other);
	other = other2;
	keystore_release(&old);
	keystore_release(&cur);

	/* Periodic checks re-parse only what changed (chmod: ctime). */
	keystore_set_interval(ks, 0);
	keystore_lookup(ks, "sub.ok.example", 0, &other2);
	ok(other2.ref == other.ref, "unchanged domain keeps its entry");
	keystore_release(&other2);
	snprintf(path, sizeof(path), "%s/ok.example/s1r.key", dir);
	chmod(path, 0604);
	expect(ks, "ok.example", 0, KS_ERROR, "ok.example",
	    "key %s/ok.example/s1r.key: mode 0604 is unsafe (want 0600)");
	chmod(path, 0600);
	expect(ks, "ok.example", 0, KS_OK, "ok.example", NULL);
	keystore_lookup(ks, "sub.ok.example", 0, &other2);
	ok(other2.ref == other.ref, "still the same entry for sub.ok.example");
	keystore_release(&other2);
	keystore_release(&other);

	/* The directory itself turning unsafe stops all signing. */
	chmod(dir, 0777);
	expect(ks, "ok.example", 0, KS_ERROR, NULL,
	    "directory %s: mode 0777 is unsafe (writable by others)");
	ok(keystore_load(ks, err, sizeof(err)) < 0 && strstr(err, "0777"),
	    "keystore_load: -1 for an unsafe directory");
	chmod(dir, 0750);
	expect(ks, "ok.example", 0, KS_OK, "ok.example", NULL);
	EVP_PKEY_free(ed2);
}

struct stress {
	struct keystore	*ks;
	atomic_int	 stop, bad, lookups;
};

static void *
looker(void *arg)
{
	struct stress		*s = arg;
	struct ks_result	 r;

	while (!atomic_load(&s->stop) || atomic_load(&s->lookups) < 2000) {
		keystore_lookup(s->ks, "ok.example", 1, &r);
		if (r.status != KS_OK || r.nkeys != 2 ||
		    !signs(&r.keys[1], r.keys[1].pkey))
			atomic_fetch_add(&s->bad, 1);
		keystore_release(&r);
		atomic_fetch_add(&s->lookups, 1);
	}
	return NULL;
}

static void
stress(struct keystore *ks)
{
	struct stress	 s = { .ks = ks };
	EVP_PKEY	*ed2;
	pthread_t	 t[6];
	char		 tmp[512], path[512], err[256];
	int		 i;

	ed2 = dkimkey_generate(DKIMKEY_ED25519, err, sizeof(err));
	atomic_init(&s.stop, 0);
	atomic_init(&s.bad, 0);
	atomic_init(&s.lookups, 0);
	keystore_set_interval(ks, 0);
	for (i = 0; i < 6; i++)
		pthread_create(&t[i], NULL, looker, &s);
	/* Replace the Ed25519 key atomically 40 times, forcing reloads. */
	snprintf(path, sizeof(path), "%s/ok.example/s1e.key", dir);
	snprintf(tmp, sizeof(tmp), "%s/ok.example/.s1e.new", dir);
	for (i = 0; i < 40; i++) {
		unlink(tmp);
		dkimkey_write(tmp, i % 2 ? ed : ed2, (uid_t)-1, 0, err,
		    sizeof(err));
		rename(tmp, path);
		keystore_request_reload(ks);
		keystore_maybe_reload(ks);
	}
	atomic_store(&s.stop, 1);
	for (i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	EVP_PKEY_free(ed2);
	ok(atomic_load(&s.bad) == 0, "stress: %d lookups in 6 threads during "
	    "40 reloads, %d failures", atomic_load(&s.lookups),
	    atomic_load(&s.bad));
}

int
main(void)
{
	struct keystore	*ks;
	struct group	*gr;
	char		 err[512], cmd[600];

	if (mkdtemp(dir) == NULL)
		return 1;
	chmod(dir, 0750);
	gr = getgrgid(getgid());
	snprintf(grname, sizeof(grname), "%s", gr ? gr->gr_name : "?");
	rsa = dkimkey_generate(DKIMKEY_RSA, err, sizeof(err));
	ed = dkimkey_generate(DKIMKEY_ED25519, err, sizeof(err));
	setup();
	ks = keystore_new(dir, getuid(), getgid());
	is_int(keystore_load(ks, err, sizeof(err)), 0, "load");
	cases(ks);
	unreadable();
	reloads(ks);
	stress(ks);
	ks = keystore_free(ks);
	ok(ks == NULL && keystore_free(NULL) == NULL, "free returns NULL");
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
