/*
 * Unit test of outpost-web's accounts (web/admins.c) and sessions and
 * login limits (web/auth.c): an accounts file written by admins_add and
 * read back, passwords checked, roles, lines that must be refused; the
 * session table, its expiry and logout; the failed-login limit per key
 * and its window; the trusted-header token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../web/web.h"
#include "../tap.h"

static void
write_file(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void
test_admins(const char *dir)
{
	static const char *const bad[] = {
		"alice\n",				/* no hash, no role */
		"alice:$y$abc:root\n",			/* unknown role */
		"al ice:$y$abc:admin\n",		/* blank in the name */
		"alice::admin\n",			/* empty hash */
		NULL
	};
	char		 path[512], lock[530], err[512];
	struct admins	*a;
	struct stat	 st;
	int		 i;

	snprintf(path, sizeof(path), "%s/admins", dir);
	ok(admins_add(path, NULL, "alice", ROLE_ADMIN, "pw one", err,
	    sizeof(err)) == 0, "alice added");
	ok(admins_add(path, NULL, "bob", ROLE_READONLY, "pw two", err,
	    sizeof(err)) == 0, "bob added, read-only");
	ok(admins_add(path, NULL, "alice", ROLE_ADMIN, "pw three", err,
	    sizeof(err)) == 0, "alice's password replaced");
	ok(admins_add(path, NULL, "bad name", ROLE_ADMIN, "x", err,
	    sizeof(err)) < 0, "a name with a blank is refused");
	ok(admins_add(path, NULL, "carol", ROLE_ADMIN, "", err,
	    sizeof(err)) < 0, "an empty password is refused");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640,
	    "the file is 0640");
	if (chmod(path, 0600) == 0 && (geteuid() != 0 ||
	    chown(path, 65534, 65534) == 0)) {
		ok(admins_add(path, NULL, "dave", ROLE_ADMIN, "pw four", err,
		    sizeof(err)) == 0, "dave added");
		ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
		    "the new file keeps the old one's mode");
		ok(geteuid() != 0 || (st.st_uid == 65534 &&
		    st.st_gid == 65534), "... and (as root) its owner and "
		    "group");
	}
	a = admins_load(path, err, sizeof(err));
	ok(a != NULL, "the file is read back");
	is_int(admins_check(a, "alice", "pw three"), ROLE_ADMIN,
	    "alice's new password: admin");
	is_int(admins_check(a, "alice", "pw one"), -1,
	    "alice's old password no longer works");
	is_int(admins_check(a, "bob", "pw two"), ROLE_READONLY,
	    "bob: read-only");
	is_int(admins_check(a, "bob", "pw tw"), -1, "a wrong password: -1");
	is_int(admins_check(a, "mallory", "pw two"), -1, "an unknown name: -1");
	is_int(admins_role(a, "bob"), ROLE_READONLY, "bob's role");
	is_int(admins_role(a, "mallory"), -1, "no role for an unknown name");
	admins_free(a);
	for (i = 0; bad[i] != NULL; i++) {
		write_file(path, bad[i]);
		a = admins_load(path, err, sizeof(err));
		ok(a == NULL && strstr(err, ":1: expected NAME:HASH:ROLE") !=
		    NULL, "refused: %s", tap_name(bad[i]));
		admins_free(a);
	}
	write_file(path, "# comment\n\n");
	chmod(path, 0664);
	ok(admins_load(path, err, sizeof(err)) == NULL &&
	    strstr(err, "writable by group or others") != NULL,
	    "a file writable by the group is refused");
	chmod(path, 0644);
	ok((a = admins_load(path, err, sizeof(err))) != NULL &&
	    admins_role(a, "#") == -1, "comments and empty lines skipped");
	admins_free(a);
	unlink(path);
	snprintf(lock, sizeof(lock), "%s.lock", path);
	ok(unlink(lock) == 0, "the lock file %s.lock was used", "admins");
	ok((a = admins_load(path, err, sizeof(err))) != NULL &&
	    admins_role(a, "alice") == -1, "no file: no accounts, no error");
	admins_free(a);
}

static void
test_auth(void)
{
	struct auth	*a = auth_new();
	struct session	*s, *t;
	char		 id[AUTH_ID_HEX + 1], tok1[AUTH_ID_HEX + 1];
	char		 tok2[AUTH_ID_HEX + 1];
	int		 i;

	ok(a != NULL, "auth_new");
	s = auth_login(a, "alice", ROLE_ADMIN, 1000);
	if (s == NULL) {
		ok(0, "auth_login");
		auth_free(a);
		return;
	}
	ok(strlen(s->id) == AUTH_ID_HEX &&
	    strspn(s->id, "0123456789abcdef") == AUTH_ID_HEX,
	    "a session id is 64 hex digits");
	ok(strlen(s->csrf) == AUTH_ID_HEX && strcmp(s->csrf, s->id) != 0,
	    "its CSRF token is another 64");
	snprintf(id, sizeof(id), "%s", s->id);
	t = auth_login(a, "bob", ROLE_READONLY, 1000);
	ok(t != NULL && strcmp(t->id, id) != 0, "a second session differs");
	ok((s = auth_find(a, id, 1000 + AUTH_IDLE)) != NULL &&
	    strcmp(s->name, "alice") == 0, "found within the idle time");
	ok(auth_find(a, id, 1001 + 2 * AUTH_IDLE) == NULL,
	    "ended after AUTH_IDLE without a request");
	ok(auth_find(a, "", 1000) == NULL && auth_find(a, NULL, 1000) == NULL,
	    "no id, no session");
	s = auth_login(a, "dave", ROLE_ADMIN, 2000);
	snprintf(id, sizeof(id), "%s", s->id);
	for (i = 1; i * 3600 <= AUTH_LIFETIME; i++)
		if (auth_find(a, id, 2000 + i * 3600) == NULL)
			break;
	is_int(i, AUTH_LIFETIME / 3600 + 1,
	    "a session in use lives AUTH_LIFETIME hours");
	ok(auth_find(a, id, 2001 + AUTH_LIFETIME) == NULL,
	    "... and not a second longer, however busy");
	s = auth_login(a, "carol", ROLE_ADMIN, 5000);
	snprintf(id, sizeof(id), "%s", s->id);
	auth_logout(a, id);
	ok(auth_find(a, id, 5000) == NULL, "logout ends it");

	for (i = 0; i < AUTH_TRIES; i++) {
		ok(auth_throttle(a, "a:10.0.0.1", 100) == 0, "try %d allowed",
		    i + 1);
		auth_failed(a, "a:10.0.0.1", 100);
	}
	is_int(auth_throttle(a, "a:10.0.0.1", 110), AUTH_WINDOW - 10,
	    "after AUTH_TRIES failures: wait the rest of the window");
	is_int(auth_throttle(a, "a:10.0.0.2", 110), 0,
	    "another address is not limited");
	is_int(auth_throttle(a, "a:10.0.0.1", 100 + AUTH_WINDOW), 0,
	    "a new window: allowed again");
	for (i = 0; i < AUTH_TRIES - 1; i++)
		auth_failed(a, "b", 700);
	auth_failed(a, "b", 750);
	is_int(auth_throttle(a, "b", 800), 10,
	    "locked a whole window from the failure that reached the limit");
	for (i = 0; i < AUTH_GLOBAL_TRIES; i++) {
		snprintf(id, sizeof(id), "g%d", i);
		auth_failed(a, id, 2000);
	}
	is_int(auth_throttle(a, "fresh", 2001), AUTH_WINDOW - 1,
	    "AUTH_GLOBAL_TRIES failures of any keys: every key waits");
	is_int(auth_throttle(a, "fresh", 2000 + AUTH_WINDOW), 0,
	    "... until the window is over");

	auth_token(a, "alice", tok1);
	auth_token(a, "alice", tok2);
	ok(strlen(tok1) == AUTH_ID_HEX && strcmp(tok1, tok2) == 0,
	    "the trusted-header token of a name is stable");
	auth_token(a, "bob", tok2);
	ok(strcmp(tok1, tok2) != 0, "... and differs between names");
	auth_free(a);
}

int
main(void)
{
	char	 dir[] = "/tmp/webauth-XXXXXX";

	if (mkdtemp(dir) == NULL) {
		printf("1..0 # SKIP no temporary directory\n");
		return 0;
	}
	test_admins(dir);
	test_auth();
	rmdir(dir);
	return done_testing();
}
