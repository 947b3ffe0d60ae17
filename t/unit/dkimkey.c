/*
 * Unit test of lib/dkimkey: name validation, the safety rules (a table of
 * modes and owners), the active file, key files written and read back,
 * and the DNS TXT text -- split into strings of at most 255 bytes, RSA p=
 * the SPKI DER and Ed25519 p= the raw 32-byte key, both compared with what
 * the openssl command line derives from the same private key file; and
 * the descriptor-based writing of outpostctl: planted symlinks refused or
 * replaced, never followed, folders taken over as root (S3).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dkimkey.h"
#include "../tap.h"

static char	 tmpdir[] = "/tmp/outpost-dkimkey.XXXXXX";

/* Selectors; domain names are mailaddr's (t/unit/mailaddr.c). */
static void
names(void)
{
	static const struct { const char *s; int sel; } cases[] = {
		{ "a", 0 }, { "20261128r", 0 }, { "20261128-2e", 0 },
		{ "example.com", -1 }, { "Sel", -1 }, { "", -1 }, { "..", -1 },
		{ "a/b", -1 }, { "-a", -1 }, { "sel-", -1 }, { "a_b", -1 },
		{ "a b", -1 }, { "caf\xc3\xa9", -1 },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  0 },					/* 63 */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  -1 },					/* 64 */
	};
	char	 err[256];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ok(dkimkey_selector_ok(cases[i].s, err, sizeof(err)) ==
		    cases[i].sel, "selector \"%s\" %s", cases[i].s,
		    cases[i].sel ? "refused" : "accepted");
}

static void
safety(void)
{
	/* owner 0 (root), daemon group 0 (root); 4242 is nobody's. */
	static const struct {
		unsigned mode; uid_t uid; gid_t gid; int type;
		const char *key, *nowrite;	/* NULL: accepted; "W: ":
						   accepted with a warning */
	} cases[] = {
		{ 0600, 0, 0, S_IFREG, NULL, NULL },
		{ 0400, 0, 0, S_IFREG, NULL, NULL },
		/* S5: group-readable is warned about, not refused (yet). */
		{ 0640, 0, 0, S_IFREG, "W: mode 0640 lets group root read the "
		  "key, and Postfix may be in that group (accepted for now; "
		  "chmod 0600)", NULL },
		{ 0440, 0, 0, S_IFREG, "W: mode 0440 lets group root read the "
		  "key, and Postfix may be in that group (accepted for now; "
		  "chmod 0600)", NULL },
		{ 0640, 0, 4242, S_IFREG, "mode 0640 with group gid 4242 is "
		  "unsafe (want 0600)", NULL },
		{ 0644, 0, 0, S_IFREG, "mode 0644 is unsafe (want 0600)", NULL },
		{ 0660, 0, 0, S_IFREG, "mode 0660 is unsafe (want 0600)",
		  "mode 0660 is unsafe (writable by group)" },
		{ 0602, 0, 0, S_IFREG, "mode 0602 is unsafe (want 0600)",
		  "mode 0602 is unsafe (writable by others)" },
		{ 0700, 0, 0, S_IFREG, "mode 0700 is unsafe (want 0600)", NULL },
		{ 04600, 0, 0, S_IFREG, "mode 4600 is unsafe (want 0600)", NULL },
		{ 0200, 0, 0, S_IFREG, "mode 0200 is unsafe (want 0600)", NULL },
		{ 0600, 4242, 0, S_IFREG, "owner uid 4242 is unsafe (want root)",
		  "owner uid 4242 is unsafe (want root)" },
		{ 0600, 0, 0, S_IFDIR, "not a regular file", NULL },
		{ 0750, 0, 0, S_IFDIR, "not a regular file", NULL },
		{ 0777, 0, 0, S_IFDIR, "not a regular file", "mode 0777 is "
		  "unsafe (writable by others)" },
	};
	struct stat	 st;
	char		 err[256], name[128], warn[300];
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&st, 0, sizeof(st));
		st.st_mode = (mode_t)(cases[i].type | cases[i].mode);
		st.st_uid = cases[i].uid;
		st.st_gid = cases[i].gid;
		snprintf(name, sizeof(name), "%s %04o uid %d gid %d",
		    cases[i].type == S_IFDIR ? "dir" : "file", cases[i].mode,
		    (int)cases[i].uid, (int)cases[i].gid);
		rc = dkimkey_check_key(&st, 0, 0, err, sizeof(err));
		snprintf(warn, sizeof(warn), "W: %s", err);
		is_str(rc == 0 ? NULL : rc == 1 ? warn : err, cases[i].key, name);
		rc = dkimkey_check_nowrite(&st, 0, err, sizeof(err));
		strcat(name, " (dir/active rule)");
		is_str(rc == 0 ? NULL : err, cases[i].nowrite, name);
	}
}

/* Strings of a quoted TXT text, joined; max length of one into *maxlen. */
static char *
unquote(const char *q, size_t *maxlen, size_t *nstr)
{
	char		*out = calloc(1, strlen(q) + 1);
	const char	*p = q, *end;

	*maxlen = *nstr = 0;
	if (strncmp(p, "( ", 2) != 0 || strcmp(q + strlen(q) - 2, " )") != 0)
		return out;
	while ((p = strchr(p, '"')) != NULL) {
		if ((end = strchr(p + 1, '"')) == NULL)
			break;
		strncat(out, p + 1, (size_t)(end - p - 1));
		if ((size_t)(end - p - 1) > *maxlen)
			*maxlen = (size_t)(end - p - 1);
		(*nstr)++;
		p = end + 1;
	}
	return out;
}

static void
splitting(void)
{
	static const size_t	 lens[] = { 0, 1, 254, 255, 256, 410, 510,
				    511, 765, 766 };
	char			*value, *q, *back;
	size_t			 i, j, maxlen, nstr, want;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		value = malloc(lens[i] + 1);
		for (j = 0; j < lens[i]; j++)
			value[j] = (char)('A' + j % 26);
		value[lens[i]] = '\0';
		q = dkimkey_txt_quote(value, 255);
		back = unquote(q, &maxlen, &nstr);
		want = lens[i] ? (lens[i] + 254) / 255 : 1;
		ok(strcmp(back, value) == 0 && maxlen <= 255 && nstr == want,
		    "%zu bytes: %zu strings, longest %zu, joined back equal",
		    lens[i], nstr, maxlen);
		free(value);
		free(q);
		free(back);
	}
	ok(dkimkey_txt_quote("a\"b", 255) == NULL, "a quote is refused");
}

/* Output of a shell command, trailing newline removed. */
static char *
run(const char *cmd)
{
	static char	 buf[8192];
	FILE		*fp;
	size_t		 n;

	if ((fp = popen(cmd, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	pclose(fp);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

static void
record_of(int alg, const char *sel, const char *openssl_tail)
{
	char		 path[512], cmd[1024], err[256], want[1200];
	char		*txt, *rec, *q;
	EVP_PKEY	*pk, *back;
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/%s.key", tmpdir, sel);
	pk = dkimkey_generate(alg, err, sizeof(err));
	ok(pk != NULL && dkimkey_alg(pk) == alg, "generate %s",
	    dkimkey_alg_name(alg));
	is_int(dkimkey_write(path, pk, (uid_t)-1, 0, err, sizeof(err)), 0,
	    "write key file");
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "key file mode 0600");
	ok(dkimkey_write(path, pk, (uid_t)-1, 0, err, sizeof(err)) < 0 &&
	    errno == EEXIST, "an existing key file is not replaced");
	snprintf(cmd, sizeof(cmd), "head -1 %s", path);
	is_str(run(cmd), "-----BEGIN PRIVATE KEY-----", "PKCS#8 PEM");
	back = dkimkey_load(path, getuid(), getgid(), 1, NULL, NULL, err,
	    sizeof(err));
	ok(back != NULL && EVP_PKEY_eq(pk, back) == 1, "read back equal");
	is_int(dkimkey_txt_value(pk, &txt, err, sizeof(err)), 0, "txt value");
	snprintf(cmd, sizeof(cmd), "openssl pkey -in %s -pubout -outform DER"
	    " %s | base64 -w0", path, openssl_tail);
	snprintf(want, sizeof(want), "v=DKIM1; k=%s; p=%s",
	    dkimkey_alg_name(alg), run(cmd));
	is_str(txt, want, "p= equals openssl's public key");
	dkimkey_dns_record(pk, "example.com", sel, &rec, err, sizeof(err));
	q = dkimkey_txt_quote(txt, 255);
	snprintf(want, sizeof(want), "%s._domainkey.example.com. IN TXT %s",
	    sel, q);
	is_str(rec, want, "zone line");
	free(q);
	free(txt);
	free(rec);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(back);
}

static void
keys(void)
{
	unsigned char	 raw[64];
	size_t		 rawlen = sizeof(raw);
	char		*txt, err[256], path[512], cmd[2048], *p;
	EVP_PKEY	*pk;
	unsigned char	 dec[64];
	int		 n;

	record_of(DKIMKEY_RSA, "sr", "");
	record_of(DKIMKEY_ED25519, "se", "| tail -c 32");

	/* Ed25519 p= decodes to exactly the 32-byte raw public key. */
	pk = dkimkey_generate(DKIMKEY_ED25519, err, sizeof(err));
	dkimkey_txt_value(pk, &txt, err, sizeof(err));
	p = strstr(txt, "p=") + 2;
	n = EVP_DecodeBlock(dec, (unsigned char *)p, (int)strlen(p));
	EVP_PKEY_get_raw_public_key(pk, raw, &rawlen);
	ok(n == 33 && p[strlen(p) - 1] == '=' && rawlen == 32 &&
	    memcmp(dec, raw, 32) == 0, "ed25519 p= is the raw 32-byte key");
	is_int(dkimkey_bits(pk), 256, "ed25519 bits");
	free(txt);
	EVP_PKEY_free(pk);

	/* Files the loader must refuse, each with its reason. */
	snprintf(path, sizeof(path), "%s/bad.key", tmpdir);
	snprintf(cmd, sizeof(cmd), "echo garbage > %s; chmod 600 %s", path,
	    path);
	run(cmd);
	ok(dkimkey_load(path, getuid(), getgid(), 1, NULL, NULL, err,
	    sizeof(err)) == NULL && strstr(err, "not a usable PEM private key"),
	    "garbage: %s", err);
	snprintf(cmd, sizeof(cmd), "rm -f %s; openssl genpkey -algorithm EC "
	    "-pkeyopt ec_paramgen_curve:P-256 -out %s 2>/dev/null", path, path);
	run(cmd);
	ok(dkimkey_load(path, getuid(), getgid(), 1, NULL, NULL, err,
	    sizeof(err)) == NULL && strstr(err, "unsupported key type"),
	    "EC key: %s", err);
	snprintf(cmd, sizeof(cmd), "rm -f %s; openssl genpkey -algorithm "
	    "ed25519 -aes256 -pass pass:x -out %s 2>/dev/null", path, path);
	run(cmd);
	ok(dkimkey_load(path, getuid(), getgid(), 1, NULL, NULL, err,
	    sizeof(err)) == NULL && strstr(err, "not a usable PEM"),
	    "encrypted key refused without a prompt: %s", err);
	snprintf(path, sizeof(path), "%s/se.key", tmpdir);
	chmod(path, 0644);
	ok(dkimkey_load(path, getuid(), getgid(), 1, NULL, NULL, err,
	    sizeof(err)) == NULL && strstr(err, "mode 0644 is unsafe"),
	    "0644 refused when checking: %s", err);
	pk = dkimkey_load(path, getuid(), getgid(), 0, NULL, NULL, err,
	    sizeof(err));
	ok(pk != NULL, "0644 loads when not checking (outpostctl show)");
	EVP_PKEY_free(pk);
}

static void
active(void)
{
	struct dkimkey_active	 a, b;
	char			 err[512], path[512], cmd[1024];
	struct stat		 st;

	mkdir(strcat(strcpy(path, tmpdir), "/example.com"), 0750);
	memset(&a, 0, sizeof(a));
	is_int(dkimkey_active_read(tmpdir, "example.com", getuid(), &a, err,
	    sizeof(err)), 0, "no active file: 0");
	is_int((long long)a.n, 0, "no active file: no selectors");
	a.n = 2;
	strcpy(a.sel[0], "s1r");
	strcpy(a.sel[1], "s1e");
	is_int(dkimkey_active_write(tmpdir, "example.com", &a, (uid_t)-1, 0,
	    err, sizeof(err)), 0, "active written");
	snprintf(path, sizeof(path), "%s/example.com/active", tmpdir);
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0644,
	    "active mode 0644");
	ok(dkimkey_active_read(tmpdir, "example.com", getuid(), &b, err,
	    sizeof(err)) == 0 && b.n == 2 && strcmp(b.sel[1], "s1e") == 0 &&
	    dkimkey_active_has(&b, "s1r") && !dkimkey_active_has(&b, "s1"),
	    "active read back");
	snprintf(cmd, sizeof(cmd), "printf '# c\\n\\n  s2r  \\ns2e\\ns2r\\n' "
	    "> %s", path);
	run(cmd);
	ok(dkimkey_active_read(tmpdir, "example.com", getuid(), &b, err,
	    sizeof(err)) == 0 && b.n == 2 && strcmp(b.sel[0], "s2r") == 0,
	    "comments, blanks, spaces and duplicates");
	snprintf(cmd, sizeof(cmd), "printf 's2r\\n../x\\n' > %s", path);
	run(cmd);
	ok(dkimkey_active_read(tmpdir, "example.com", getuid(), &b, err,
	    sizeof(err)) < 0 && strstr(err, "line 2: selector \"../x\""),
	    "bad selector named with its line: %s", err);
	snprintf(cmd, sizeof(cmd), "printf 'a\\nb\\nc\\nd\\ne\\n' > %s", path);
	run(cmd);
	ok(dkimkey_active_read(tmpdir, "example.com", getuid(), &b, err,
	    sizeof(err)) < 0 && strstr(err, "more than 4"), "too many: %s",
	    err);
	chmod(path, 0664);
	ok(dkimkey_active_read(tmpdir, "example.com", getuid(), &b, err,
	    sizeof(err)) < 0 && strstr(err, "writable by group"),
	    "group-writable active file: %s", err);
	ok(dkimkey_active_read(tmpdir, "example.com", (uid_t)-1, &b, err,
	    sizeof(err)) < 0 && strstr(err, "more than 4") != NULL,
	    "owner -1 skips only the safety rule");
	a.n = 1;
	strcpy(a.sel[0], "Bad");
	ok(dkimkey_active_write(tmpdir, "example.com", &a, (uid_t)-1, 0, err,
	    sizeof(err)) < 0, "an invalid selector is not written");
}

/* Text of a small file, "" when unreadable. */
static const char *
slurp(const char *path)
{
	static char	 buf[256];
	ssize_t		 n;
	int		 fd;

	buf[0] = '\0';
	if ((fd = open(path, O_RDONLY)) < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * S3: outpostctl works as root in folders the daemon account may once
 * have owned.  A symlink planted where a folder, a key or the active file
 * is expected is refused or replaced, never followed.
 */
static void
descriptors(void)
{
	struct dkimkey_active	 a;
	struct stat		 st;
	char			 top[512], path[600], err[512], name[64];
	EVP_PKEY		*pk;
	int			 tfd, fd;

	snprintf(top, sizeof(top), "%s/fd", tmpdir);
	mkdir(top, 0700);
	snprintf(path, sizeof(path), "%s/target", tmpdir);
	mkdir(path, 0700);
	tfd = dkimkey_diropen(AT_FDCWD, top, (uid_t)-1, (gid_t)-1, 0, err,
	    sizeof(err));
	ok(tfd >= 0, "top folder opened: %s", tfd < 0 ? err : "");
	if (symlinkat(path, tfd, "link.example") < 0)
		diag("symlink: %s", strerror(errno));
	errno = 0;
	ok(dkimkey_diropen(tfd, "link.example", (uid_t)-1, (gid_t)-1, 0, err,
	    sizeof(err)) < 0 && errno == ELOOP && strstr(err, "symbolic link"),
	    "a symlinked folder is refused: %s", err);
	ok(dkimkey_diropen(tfd, "link.example", (uid_t)-1, (gid_t)-1, 1, err,
	    sizeof(err)) < 0 && errno == ELOOP, "... also when creating");
	ok(dkimkey_diropen(tfd, "none.example", (uid_t)-1, (gid_t)-1, 0, err,
	    sizeof(err)) < 0 && errno == ENOENT, "missing folder: ENOENT");

	/* A key name planted as a symlink: EEXIST, the target not created. */
	snprintf(path, sizeof(path), "%s/target/stolen.key", tmpdir);
	if (symlinkat(path, tfd, "s1r.key") < 0)
		diag("symlink: %s", strerror(errno));
	pk = dkimkey_generate(DKIMKEY_ED25519, err, sizeof(err));
	errno = 0;
	ok(dkimkey_writeat(tfd, "s1r.key", pk, (uid_t)-1, 0, err,
	    sizeof(err)) < 0 && errno == EEXIST && access(path, F_OK) < 0,
	    "key write over a planted symlink refused, target not created");
	is_int(dkimkey_writeat(tfd, "s1e.key", pk, (uid_t)-1, 0, err,
	    sizeof(err)), 0, "key written through the descriptor");
	EVP_PKEY_free(pk);

	/* "active" planted as a symlink: replaced, its target unchanged. */
	snprintf(path, sizeof(path), "%s/target/victim", tmpdir);
	close(open(path, O_WRONLY | O_CREAT, 0644));
	if (symlinkat(path, tfd, "active") < 0)
		diag("symlink: %s", strerror(errno));
	memset(&a, 0, sizeof(a));
	a.n = 1;
	strcpy(a.sel[0], "s1e");
	is_int(dkimkey_active_writeat(tfd, &a, (uid_t)-1, 0, err,
	    sizeof(err)), 0, "active written over a planted symlink");
	ok(fstatat(tfd, "active", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && slurp(path)[0] == '\0',
	    "the symlink was replaced, its target untouched");

	/* A temporary folder: made, then removed with what it holds. */
	fd = dkimkey_tmpdirat(tfd, "new.example", name, sizeof(name),
	    (uid_t)-1, (gid_t)-1, err, sizeof(err));
	ok(fd >= 0 && strncmp(name, ".new.example.", 13) == 0 &&
	    fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0750,
	    "tmpdir %s mode 0750", name);
	close(openat(fd, "junk", O_WRONLY | O_CREAT, 0600));
	dkimkey_rmtmpat(tfd, name, fd);
	close(fd);
	ok(fstatat(tfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT,
	    "tmpdir removed");
	close(tfd);
}

/* As root: folders end root:gid 0750; another owner is refused. */
static void
takeover(void)
{
	struct stat	 st;
	char		 path[512], err[512];
	int		 fd;

	if (geteuid() != 0) {
		for (fd = 0; fd < 3; fd++)
			ok(1, "# skip not root");
		return;
	}
	snprintf(path, sizeof(path), "%s/legacy", tmpdir);
	mkdir(path, 0755);
	if (chown(path, 4321, 4321) < 0)
		diag("chown: %s", strerror(errno));	/* the daemon account of old */
	fd = dkimkey_diropen(AT_FDCWD, path, 4321, 4322, 0, err, sizeof(err));
	ok(fd >= 0 && fstat(fd, &st) == 0 && st.st_uid == 0 &&
	    st.st_gid == 4322 && (st.st_mode & 07777) == 0750,
	    "a folder of the daemon account is taken over: root:gid 0750");
	if (fd >= 0)
		close(fd);
	if (chown(path, 4999, 4321) < 0)
		diag("chown: %s", strerror(errno));
	errno = 0;
	ok(dkimkey_diropen(AT_FDCWD, path, 4321, 4322, 0, err, sizeof(err))
	    < 0 && errno == EPERM, "another owner is refused: %s", err);
	if (chown(path, 0, 0) < 0 || chmod(path, 0777) < 0)
		diag("chown: %s", strerror(errno));
	ok(dkimkey_diropen(AT_FDCWD, path, 4321, 4322, 0, err, sizeof(err))
	    < 0 && strstr(err, "writable by others"),
	    "a root folder others may write is refused: %s", err);
}

int
main(void)
{
	char	 cmd[600];

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	names();
	safety();
	splitting();
	keys();
	active();
	descriptors();
	takeover();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return done_testing();
}
