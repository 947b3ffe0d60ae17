#!/bin/bash
# milter-reload.t -- SIGHUP makes outpost-milter read outpost.conf again,
# and both daemons keep a pid file (pid_file) for hosts without systemd.
#
# miltertest(8) plays the MTA (t/lib/milter-send.lua), as in
# milter-proto.t.  Cases:
#   reloadable keys: sign_algorithms (one signature, then two) and
#     internal_hosts (127.0.0.1 signed, then not) change without a
#     restart; each change is logged with its new value;
#   keys that need a restart (keys_directory, redis_timeout) are named in
#     the log and keep their value (require_alignment applies: the
#     resolver runs for inbound verification): mail is still signed from the old
#     keys_directory;
#   a broken file: the error with file:line, the running settings stay;
#   under load: 6 connections x 150 messages while SIGHUP flips
#     sign_algorithms every 20 ms: every message signed, each with one or
#     two signatures as one snapshot said (never a mixture), all verified
#     by dkimpy;
#   pid_file: the milter's file (directory created for its account), a
#     second milter refused while the first lives, the file removed at
#     SIGTERM; policyd: a stale file replaced, a symlink refused, removed
#     at SIGTERM.
# Runs as root (daemons drop to "outpost") or as another user.
# TEST_KEEP=1 keeps the temp dir.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
MILTER=$ROOT/milter/outpost-milter
POLICYD=$ROOT/policyd/outpost-policyd
CTL=$ROOT/ctl/outpostctl
DRIVER=$ROOT/t/lib/milter-send.lua
VERIFY=$ROOT/t/lib/verify-dkimpy.py
PY=/usr/bin/python3

. "$ROOT/t/lib/testenv.sh"	# TAP (t/lib/tap.sh), te_tmpdir, te_redis_start

for x in "$MILTER" "$POLICYD" "$CTL"; do
	[ -x "$x" ] || skip_all "$x not built (run make)"
done
command -v miltertest >/dev/null || skip_all "miltertest not installed"
command -v redis-server >/dev/null || skip_all "redis-server not installed"
$PY -c 'import dkim' 2>/dev/null || skip_all "python3-dkim not installed"
if [ "$(id -u)" -eq 0 ]; then
	RUNUSER=outpost
	getent passwd outpost >/dev/null || skip_all "no account outpost"
else
	RUNUSER=$(id -un)
fi

te_tmpdir			# $T, removed at exit unless TEST_KEEP=1
declare -A PID=()
stop_daemons() {
	local name
	for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null; done
	sleep 0.2
	for name in "${!PID[@]}"; do kill -KILL "${PID[$name]}" 2>/dev/null; done
}
chmod 755 "$T"
mkdir -m 755 "$T/keys" "$T/keys2" "$T/msg" "$T/out"
te_redis_start
te_on_exit stop_daemons		# runs before the Redis stop

# conf NAME SOCKET [LINE...]: the base configuration; the test edits it.
conf() {
	local name=$1 sock=$2
	shift 2
	{
		echo "keys_directory = $T/keys"
		echo "user = $RUNUSER"
		echo "milter_socket = unix:$T/$sock.sock"
		echo "dns_nameserver = 127.0.0.1@9"
		echo "dns_timeout = 1s"
		echo "log_destination = stderr"
		echo "milter_refunds = no"
		echo "redis_address = unix:$T/redis.sock"
		echo "redis_timeout = 2s"
		echo "authorize_senders = no"
		echo "require_alignment = no"
		echo "internal_hosts = 127.0.0.1/32"
		echo "sign_algorithms = rsa-sha256"
		echo "pid_file = $T/run/%p.pid"
		printf '%s\n' "$@"
	} >"$T/$name.conf"
}
conf m m
conf second second
rewrite() {	# rewrite FILE FROM TO
	sed -i "s|^$2\$|$3|" "$1"
	grep -qx -- "$3" "$1" || bail_out "rewrite $2 in $1"
}
"$CTL" -c "$T/m.conf" user add alice@example.com >"$T/ctl.out" 2>&1 ||
    bail_out "outpostctl user add: $(cat "$T/ctl.out")"
"$CTL" -c "$T/m.conf" domain add example.com --selector s1 >>"$T/ctl.out" 2>&1 ||
    bail_out "outpostctl domain add: $(cat "$T/ctl.out")"
"$CTL" -c "$T/m.conf" --json domain show example.com | $PY -c 'import json, sys
for s in json.load(sys.stdin)["selectors"]:
    print(s["dns_name"] + "\t" + s["txt"])' >"$T/dns.txt"
for i in 0 1 2 3 4 5 6; do
	{
		echo "From: Alice <alice@example.com>"
		echo "To: bob@example.org"
		echo "Subject: reload $i"
		echo "Message-ID: <r$i@example.com>"
		echo
		echo "message $i"
	} >"$T/msg/m$i.eml"
done

start() {	# start NAME CONF
	"$MILTER" -f -c "$T/$2.conf" 2>"$T/$1.log" &
	PID[$1]=$!
}
ready() {	# ready NAME SOCK
	for _ in $(seq 300); do
		grep -q 'listening on' "$T/$1.log" 2>/dev/null && [ -S "$T/$2.sock" ] &&
		    return 0
		kill -0 "${PID[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$T/$1.log"
	return 1
}
send() {	# send CASE [NAME=VALUE...]
	local case=$1 a=()
	shift
	for kv in "$@"; do a+=(-D "$kv"); done
	miltertest -s "$DRIVER" -D "sock=unix:$T/m.sock" \
	    -D "out=$T/out/$case" -D "eml=$T/out/$case.eml" -D "qid=$case" \
	    "${a[@]}" 2>"$T/out/$case.err"
}
result() { sed -n "s/^msg ${2:-1} //p" "$T/out/$1"; }
verified() {
	$PY "$VERIFY" --short "$T/out/$1.eml.${2:-1}" "$T/dns.txt" 2>&1 | tr '\n' ' '
}
# hup_wait NAME: SIGHUP, then wait (bounded) for the reload's last line.
hup_wait() {
	local before
	before=$(grep -Ec 'reload: .*(read:|the running configuration stays)' "$T/m.log")
	kill -HUP "${PID[m]}"
	for _ in $(seq 100); do
		[ "$(grep -Ec 'reload: .*(read:|the running configuration stays)' "$T/m.log")" -gt "$before" ] &&
		    return 0
		sleep 0.05
	done
	return 1
}

start m m
ready m m || bail_out "milter did not start"

# --- pid_file ------------------------------------------------------------
PIDF="$T/run/outpost-milter.pid"
is "$(cat "$PIDF" 2>/dev/null)" "${PID[m]}" "pid_file: %p is the program name; the file holds the milter's pid"
is "$(stat -c %U "$T/run")" "$RUNUSER" "pid_file: its missing directory is created for the daemon's account"
"$MILTER" -f -c "$T/second.conf" >"$T/second.out" 2>&1
ok_rc $(( $? == 0 )) "pid_file: a second milter with the same pid file does not start"
like "$(cat "$T/second.out")" "pid_file $T/run/outpost-milter\.pid: already running as pid ${PID[m]}$" \
    "pid_file: ... and says which pid runs"
[ ! -e "$T/second.sock" ]
ok_rc $? "pid_file: ... before it takes a socket"

# --- reloadable keys -------------------------------------------------------
send A1 msg="$T/msg/m0.eml" auth=alice@example.com
is "$(result A1)" "mail=c eom=a nsig=1 text=-" "before: sign_algorithms = rsa-sha256: one signature"
send I1 msg="$T/msg/m0.eml" ip=127.0.0.1
is "$(result I1)" "mail=c eom=a nsig=1 text=-" "before: 127.0.0.1 is internal: signed"

rewrite "$T/m.conf" "sign_algorithms = rsa-sha256" "sign_algorithms = rsa-sha256, ed25519-sha256"
rewrite "$T/m.conf" "internal_hosts = 127.0.0.1/32" "internal_hosts = 10.0.0.0/8"
rewrite "$T/m.conf" "keys_directory = $T/keys" "keys_directory = $T/keys2"
rewrite "$T/m.conf" "redis_timeout = 2s" "redis_timeout = 3s"
rewrite "$T/m.conf" "require_alignment = no" "require_alignment = warn"
hup_wait || diag "no reload summary in the log"
kill -0 "${PID[m]}" 2>/dev/null
ok_rc $? "SIGHUP: the milter still runs"
LOG=$(cat "$T/m.log")
like "$LOG" "info: reload: sign_algorithms = rsa-sha256, ed25519-sha256$" "reload: the applied change is logged with its value"
like "$LOG" "info: reload: internal_hosts = 10\.0\.0\.0/8$" "reload: internal_hosts applied"
like "$LOG" "warning: reload: keys_directory changed: needs a restart" "reload: keys_directory named as needing a restart"
like "$LOG" "warning: reload: redis_timeout changed: needs a restart" "reload: redis_timeout named as needing a restart"
like "$LOG" "info: reload: require_alignment = warn$" \
    "reload: require_alignment applied (the resolver runs for inbound verification)"
like "$LOG" "reload: $T/m\.conf read: 3 changes applied, 2 need a restart" "reload: summary line"

send A2 msg="$T/msg/m1.eml" auth=alice@example.com
is "$(result A2)" "mail=c eom=a nsig=2 text=-" "after SIGHUP: two signatures, without a restart"
is "$(verified A2)" "pass pass " "after SIGHUP: dkimpy verifies both (keys from the old keys_directory)"
send I2 msg="$T/msg/m1.eml" ip=127.0.0.1
is "$(result I2)" "mail=c eom=a nsig=0 text=-" "after SIGHUP: 127.0.0.1 no longer internal: verified, not signed"
send M2 msg="$T/msg/m1.eml" ip=10.1.2.3
is "$(result M2)" "mail=c eom=a nsig=2 text=-" "after SIGHUP: 10.1.2.3 is internal now: signed"

# --- a broken file ---------------------------------------------------------
echo "no_such_key = 1" >>"$T/m.conf"
LINE=$(wc -l <"$T/m.conf")
hup_wait || diag "no reload error in the log"
like "$(cat "$T/m.log")" "error: reload: $T/m\.conf:$LINE: unknown parameter \"no_such_key\"; the running configuration stays" \
    "a broken file: the error with file:line"
send A3 msg="$T/msg/m2.eml" auth=alice@example.com
is "$(result A3)" "mail=c eom=a nsig=2 text=-" "a broken file: the running settings stay, mail still signed"
sed -i '/^no_such_key/d' "$T/m.conf"

# --- under load: SIGHUP every 20 ms while 6 connections send ------------------
HUPS0=$(grep -c 'reload: .* read:' "$T/m.log")
pids=()
for i in 1 2 3 4 5 6; do
	send "LOAD$i" msg="$T/msg/m$i.eml" count=150 auth=alice@example.com &
	pids+=($!)
done
alg=1
while :; do
	running=0
	for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
	[ $running = 1 ] || break
	if [ $alg = 1 ]; then
		rewrite "$T/m.conf" "sign_algorithms = rsa-sha256, ed25519-sha256" "sign_algorithms = rsa-sha256"
		alg=0
	else
		rewrite "$T/m.conf" "sign_algorithms = rsa-sha256" "sign_algorithms = rsa-sha256, ed25519-sha256"
		alg=1
	fi
	kill -HUP "${PID[m]}"
	sleep 0.02
done
for p in "${pids[@]}"; do wait "$p"; done
kill -0 "${PID[m]}" 2>/dev/null
ok_rc $? "under load: the milter still runs"
HUPS=$(( $(grep -c 'reload: .* read:' "$T/m.log") - HUPS0 ))
ok_rc $(( HUPS < 3 )) "under load: $HUPS reloads while the connections sent"
bad=$(for i in 1 2 3 4 5 6; do sed -n 's/^msg [0-9]* //p' "$T/out/LOAD$i"; done |
    grep -Evc '^mail=c eom=a nsig=[12] text=-$')
is "$bad" 0 "under load: all 900 messages accepted with one or two signatures"
one=$(cat "$T"/out/LOAD* | grep -Ec '^msg [0-9]+ mail=c eom=a nsig=1 ')
two=$(cat "$T"/out/LOAD* | grep -Ec '^msg [0-9]+ mail=c eom=a nsig=2 ')
diag "under load: $one messages with one signature, $two with two"
ok_rc $(( one == 0 || two == 0 )) "under load: both settings were in effect at some point"
# One snapshot per message: one signature is RSA alone, two are one of each.
mixed=0
for f in "$T"/out/LOAD?; do
	n=$(awk '/^msg /{if (NR > 1 && !((n == 1 && r == 1 && e == 0) || (n == 2 && r == 1 && e == 1))) bad++
		n = $5; sub("nsig=", "", n); r = 0; e = 0}
	    /^sig / && /a=rsa-sha256;/ {r++}
	    /^sig / && /a=ed25519-sha256;/ {e++}
	    END {if (!((n == 1 && r == 1 && e == 0) || (n == 2 && r == 1 && e == 1))) bad++; print bad + 0}' "$f")
	mixed=$((mixed + n))
done
is "$mixed" 0 "under load: each message signed as one snapshot said (RSA, or RSA and Ed25519)"
$PY "$VERIFY" --short "$T"/out/LOAD*.eml.* "$T/dns.txt" >"$T/out/load.verify" 2>&1
ok_rc $? "under load: dkimpy verifies every signature"
is "$(grep -c ': pass$' "$T/out/load.verify")" $((one + 2 * two)) "under load: one pass per signature"
is "$(grep -Ec 'error:|AddressSanitizer|runtime error' "$T/m.log")" 1 \
    "under load: no error in the log but the broken file's"

# --- SIGTERM removes the milter's pid file ------------------------------------
kill -TERM "${PID[m]}"
wait "${PID[m]}"
ok_rc $? "SIGTERM: the milter exits 0"
unset 'PID[m]'
[ ! -e "$PIDF" ]
ok_rc $? "SIGTERM: the pid file is removed"

# --- policyd's pid file ---------------------------------------------------------
mkdir -m 755 "$T/prun"
chown "$RUNUSER" "$T/prun"
dead=$($PY -c 'import os
for p in range(4000000, 1, -7):
    try: os.kill(p, 0)
    except ProcessLookupError: print(p); break
    except PermissionError: pass')
echo "$dead" >"$T/prun/outpost-policyd.pid"
{
	echo "user = $RUNUSER"
	echo "log_destination = stderr"
	echo "redis_address = unix:$T/redis.sock"
	echo "policyd_listen = unix:$T/policy.sock"
	echo "pid_file = $T/prun/%p.pid"
} >"$T/p.conf"
"$POLICYD" -f -c "$T/p.conf" 2>"$T/p.log" &
PID[p]=$!
for _ in $(seq 100); do [ -S "$T/policy.sock" ] && break; sleep 0.1; done
for _ in $(seq 50); do [ "$(cat "$T/prun/outpost-policyd.pid")" = "${PID[p]}" ] && break; sleep 0.1; done
is "$(cat "$T/prun/outpost-policyd.pid")" "${PID[p]}" "policyd: a stale pid file ($dead) is replaced by its own pid"
ln -s /etc/passwd "$T/prun/outpost-milter.pid"
conf sym sym "pid_file = $T/prun/%p.pid"
sed -i '/^pid_file = .*run\/%p/d' "$T/sym.conf"
echo "pid_file = $T/prun/%p.pid" >>"$T/sym.conf"
"$MILTER" -f -c "$T/sym.conf" >"$T/sym.out" 2>&1
ok_rc $(( $? == 0 )) "a symlink as pid file: the milter refuses to start"
like "$(cat "$T/sym.out")" "outpost-milter\.pid: is a symbolic link" "... and says why"
kill -TERM "${PID[p]}"
wait "${PID[p]}"
ok_rc $? "policyd: SIGTERM, exit 0"
unset 'PID[p]'
[ ! -e "$T/prun/outpost-policyd.pid" ]
ok_rc $? "policyd: the pid file is removed at exit"

done_testing
