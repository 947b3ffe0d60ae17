#!/bin/bash
# log-fallback -- the daemons with log_destination = syslog where syslog
# cannot take their lines.  glibc's syslog(3) drops every line without a
# word when /dev/log is missing (a container) or dead, and a daemon that
# detaches then exits 0 having said nothing.  Each case runs the daemon,
# detached as in production (no -f), in a private mount namespace whose
# /dev is a directory of ours: with no log, with a dead socket, with a
# plain file, and (the control) with a live datagram socket where syslog
# must be used.  Expected: one line on stderr saying why syslog is not
# used, then every log line on stderr with an ISO 8601 UTC time and the
# pid, also after the daemon detached.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
command -v unshare >/dev/null || skip_all "unshare not installed"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
MILTER="$TE_ROOT/milter/outpost-milter"
[ -x "$POLICYD" ] && [ -x "$MILTER" ] || skip_all "daemons not built"
te_tmpdir
chmod 755 "$T"
RUNUSER=outpost
id outpost >/dev/null 2>&1 || RUNUSER=nobody
unshare -m true 2>/dev/null || skip_all "no mount namespaces here"
plan 18
# Whatever a failing case leaves running (every daemon here names $T).
te_on_exit 'for p in $(pgrep -f -- "-c $T/"); do kill $p; done'

STAMP='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'

# devdir KIND: a fresh $T/dev with null and, by KIND, a log.
devdir() {
	rm -rf "$T/dev"
	mkdir "$T/dev"
	touch "$T/dev/null"
	case $1 in
	dead) "$TE_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])' \
	    "$T/dev/log" ;;
	file) touch "$T/dev/log" ;;
	esac
}
# inns CMD...: CMD with $T/dev as /dev (and the real /dev/null in it).
inns() {
	unshare -m --propagation private sh -c '
		mount --bind /dev/null "$0/dev/null" &&
		mount --rbind "$0/dev" /dev && exec "$@"' "$T" "$@"
}
# pid_of ERRFILE NAME: the pid the daemon's stamped lines carry.
pid_of() { sed -n "s/.* $2\[\([0-9]*\)\]: .*/\1/p" "$1" | tail -n 1; }
waitfor() {	# FILE ERE
	local i
	for i in $(seq 100); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
stop() {	# PID
	[ -n "$1" ] || return
	kill "$1" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return; sleep 0.1; done
	kill -9 "$1" 2>/dev/null
}

cat >"$T/p.conf" <<EOC
log_destination = syslog
user = $RUNUSER
policyd_listen = unix:$T/p.sock
redis_address = unix:$T/no-redis.sock
EOC

# policy_case KIND WHY: policyd detached with that /dev.
policy_case() {
	local kind=$1 why=$2 rc pid
	devdir "$kind"
	rm -f "$T/p.sock"
	inns "$POLICYD" -c "$T/p.conf" 2>"$T/p-$kind.err"
	rc=$?
	is "$rc" 0 "$kind: the detaching start exits 0"
	is "$(head -n 1 "$T/p-$kind.err")" \
	    "outpost-policyd: syslog is unusable ($why): logging to stderr instead" \
	    "$kind: says on stderr why syslog is not used"
	waitfor "$T/p-$kind.err" 'started: listen'
	like "$(grep 'started: listen' "$T/p-$kind.err")" \
	    "$STAMP outpost-policyd\[[0-9]+\]: info: started: listen=1 address" \
	    "$kind: later lines (after detaching) on stderr with time and pid"
	pid=$(pid_of "$T/p-$kind.err" outpost-policyd)
	ok "$kind: the detached daemon runs (pid $pid)" kill -0 "$pid"
	stop "$pid"
}
policy_case none "/dev/log: No such file or directory"
policy_case dead "/dev/log: Connection refused"
policy_case file "/dev/log is not a socket"

# The control: a live /dev/log gets the lines, stderr stays quiet.
devdir live
"$TE_PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1])
out = open(sys.argv[2], "ab", buffering=0)
while True: out.write(s.recv(65536) + b"\n")' "$T/dev/log" "$T/syslog.txt" &
LISTENER=$!
te_on_exit "kill $LISTENER 2>/dev/null"
for _ in $(seq 50); do [ -S "$T/dev/log" ] && break; sleep 0.1; done
chmod 666 "$T/dev/log"
rm -f "$T/p.sock"
inns "$POLICYD" -c "$T/p.conf" 2>"$T/p-live.err"
waitfor "$T/syslog.txt" 'started: listen'
like "$(cat "$T/syslog.txt")" '^<[0-9]+>.*outpost-policyd\[[0-9]+\]: started: listen=1' \
    "live /dev/log: the lines go to syslog"
is "$(cat "$T/p-live.err")" "" "live /dev/log: nothing on stderr"
stop "$(sed -n 's/.*outpost-policyd\[\([0-9]*\)\]: started.*/\1/p' "$T/syslog.txt" | head -n 1)"

# The milter, the same way (no /dev/log).
mkdir -m 755 "$T/keys"
cat >"$T/m.conf" <<EOC
log_destination = syslog
user = $RUNUSER
milter_socket = unix:$T/m.sock
dns_nameserver = 127.0.0.1@9
dns_timeout = 1s
keys_directory = $T/keys
milter_refunds = no
require_alignment = no
EOC
devdir none
inns "$MILTER" -c "$T/m.conf" 2>"$T/m.err"
is "$?" 0 "milter: the detaching start exits 0"
is "$(head -n 1 "$T/m.err")" \
    "outpost-milter: syslog is unusable (/dev/log: No such file or directory): logging to stderr instead" \
    "milter: says on stderr why syslog is not used"
waitfor "$T/m.err" 'listening on'
like "$(grep 'listening on' "$T/m.err")" \
    "$STAMP outpost-milter\[[0-9]+\]: info: listening on unix:$T/m\.sock" \
    "milter: later lines (after detaching) on stderr with time and pid"
MPID=$(pid_of "$T/m.err" outpost-milter)
ok "milter: the detached daemon runs (pid $MPID)" kill -0 "$MPID"
stop "$MPID"
done_testing
