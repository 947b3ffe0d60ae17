#!/bin/bash
# S6: outpost.conf may hold redis_password.  make install installs it 0640
# root:outpost (as root; a DESTDIR install as a user keeps its ownership),
# and every program warns at start, naming the file, when a config that
# holds a password is readable by others.
cd "$(dirname "$0")/.." || exit 1
. t/lib/testenv.sh
te_tmpdir
CTL=ctl/outpostctl

# --- make install -----------------------------------------------------------
if [ "$(id -u)" = 0 ]; then
	make -s install DESTDIR="$T/root" PREFIX=/usr >"$T/install.out" 2>&1
	is "$?" 0 "make install DESTDIR=... as root"
	is "$(stat -c '%U:%G %a' "$T/root/etc/outpost/outpost.conf")" \
	    "root:outpost 640" "outpost.conf installed 0640 root:outpost"
	chmod 600 "$T/root/etc/outpost/outpost.conf"
	make -s install DESTDIR="$T/root" PREFIX=/usr >/dev/null 2>&1
	is "$(stat -c '%a' "$T/root/etc/outpost/outpost.conf")" 600 \
	    "an existing outpost.conf is left alone"
	# As a user: no chown, still 0640 (needs a tree nobody may read).
	mkdir "$T/user" && chown nobody "$T/user"
	if su nobody -s /bin/sh -c "test -r Makefile -a -x ctl/outpostctl"; then
		su nobody -s /bin/sh -c "make -s install DESTDIR='$T/user' PREFIX=/usr" \
		    >"$T/user.out" 2>&1
		is "$?" 0 "make install DESTDIR=... as a user (no chown)"
		is "$(stat -c '%U %a' "$T/user/etc/outpost/outpost.conf")" \
		    "nobody 640" "as a user: 0640, the user's own"
	else
		skip 2 "the tree is not readable by nobody"
	fi
else
	skip 5 "needs root"
fi

# --- the warning -------------------------------------------------------------
printf 'redis_address = unix:%s/none.sock\nredis_password = hunter2\nkeys_directory = %s/keys\n' \
    "$T" "$T" >"$T/pw.conf"
WARN="$T/pw\\.conf holds redis_password and is readable by others \\(mode 0644\\)"
chmod 644 "$T/pw.conf"
err=$("$CTL" -c "$T/pw.conf" config 2>&1 >/dev/null)
like "$err" "^outpostctl: warning: $WARN" "outpostctl warns about a 0644 config with a password"
err=$(policyd/outpost-policyd -n -c "$T/pw.conf" 2>&1 >/dev/null)
like "$err" "$WARN" "outpost-policyd -n warns, naming the file"
err=$(milter/outpost-milter -n -c "$T/pw.conf" 2>&1 >/dev/null)
like "$err" "$WARN" "outpost-milter -n warns, naming the file"
chmod 640 "$T/pw.conf"
err=$("$CTL" -c "$T/pw.conf" config 2>&1 >/dev/null)
unlike "$err" "readable by others" "0640: no warning"
chmod 644 "$T/pw.conf"
sed -i '/redis_password/d' "$T/pw.conf"
err=$(policyd/outpost-policyd -n -c "$T/pw.conf" 2>&1 >/dev/null)
unlike "$err" "readable by others" "0644 without a password: no warning"

done_testing
