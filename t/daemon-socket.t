#!/bin/bash
# daemon-socket.t -- how outpost-milter and outpost-policyd take their
# unix sockets (lib/usock.h).
#
# For each daemon: it creates a missing socket directory (root, group
# outpost, 0750) and its socket (outpost:outpost, 0660); a second daemon
# on the same socket exits non-zero naming the problem, and the first
# keeps its socket and keeps answering; a stale socket (its daemon
# killed) is removed and the socket taken; a file that is not a socket is
# refused and left alone; a socket directory that is a symbolic link, is
# writable by others, or belongs to another account is refused.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
MILTER="$TE_ROOT/milter/outpost-milter"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
[ -x "$MILTER" ] && [ -x "$POLICYD" ] || skip_all "daemons not built"
getent passwd outpost >/dev/null || skip_all "no outpost account (make deps)"
plan 30

te_tmpdir
te_redis_start
mkdir -p "$T/keys"

# conf NAME SOCKET -- $T/NAME.conf for a daemon listening on SOCKET.
conf() {
	cat >"$T/$1.conf" <<-EOF
	redis_address = unix:$T/redis.sock
	user = outpost
	log_destination = stderr
	keys_directory = $T/keys
	require_alignment = no
	milter_socket = unix:$2
	dns_nameserver = 127.0.0.1@9
	dns_timeout = 1s
	policyd_listen = unix:$2
	EOF
}

# start DAEMON NAME SOCKET -- in the background as NAME; waits for SOCKET.
start() {
	conf "$2" "$3"
	te_bg "$2" "$1" -f -c "$T/$2.conf"
	te_wait test -S "$3"
}

# run_once DAEMON NAME SOCKET -- run in the foreground (it must exit by
# itself); prints "rc=N" and its output.
run_once() {
	local out
	conf "$2" "$3"
	out=$(timeout 20 "$1" -f -c "$T/$2.conf" 2>&1)
	echo "rc=$? $out"
}

# policy_answers SOCKET -- one policy request, the reply's action.
policy_answers() {
	"$TE_PY" - "$1" <<-'PY'
	import socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	s.connect(sys.argv[1])
	s.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nsasl_username=\nrecipient=a@example.org\n\n")
	print(s.recv(4096).decode().split("\n")[0])
	PY
}

# milter_answers SOCKET -- a milter option negotiation gets a reply.
milter_answers() {
	"$TE_PY" - "$1" <<-'PY'
	import socket, struct, sys
	s = socket.socket(socket.AF_UNIX)
	s.settimeout(5)
	s.connect(sys.argv[1])
	body = b"O" + struct.pack("!III", 6, 0x1ff, 0x1fffff)
	s.sendall(struct.pack("!I", len(body)) + body)
	n = struct.unpack("!I", s.recv(4))[0]
	print(s.recv(n)[:1].decode())
	PY
}

for d in milter policyd; do
	if [ $d = milter ]; then bin=$MILTER; ask=milter_answers; want=O
	else bin=$POLICYD; ask=policy_answers; want=action=DUNNO; fi
	dir="$T/$d-run"
	sock="$dir/$d.sock"

	ok "$d: starts, creating its socket directory" start "$bin" "$d-1" "$sock"
	te_wait $ask "$sock"
	is "$(stat -c '%U:%G %a' "$dir")" "root:outpost 750" \
	    "$d: directory root:outpost 0750"
	is "$(stat -c '%U:%G %a %F' "$sock")" "outpost:outpost 660 socket" \
	    "$d: socket outpost:outpost 0660"
	ino=$(stat -c %i "$sock")

	r=$(run_once "$bin" "$d-2" "$sock")
	like "$r" "^rc=1 .*$sock: another process answers on this socket" \
	    "$d: a second daemon on the same socket exits 1, saying why"
	is "$(stat -c %i "$sock")" "$ino" "$d: the first one's socket is still there"
	is "$($ask "$sock" 2>&1)" "$want" "$d: the first one still answers"

	kill -KILL "$(cat "$T/$d-1.pid")"
	te_bg_stop "$d-1"
	ok "$d: a stale socket (daemon killed) is removed and taken" \
	    start "$bin" "$d-3" "$sock"
	te_wait $ask "$sock"	# bound before listening: wait for listen()
	is "$($ask "$sock" 2>&1)" "$want" "$d: the new one answers"
	te_bg_stop "$d-3"

	echo precious >"$dir/file"
	r=$(run_once "$bin" "$d-4" "$dir/file")
	like "$r" "^rc=1 .*$dir/file exists and is not a socket" \
	    "$d: a file in the socket's place is refused"
	is "$(cat "$dir/file")" precious "$d: ... and left alone"

	mkdir -p "$T/$d-real"
	ln -s "$T/$d-real" "$T/$d-link"
	r=$(run_once "$bin" "$d-5" "$T/$d-link/$d.sock")
	like "$r" "^rc=1 .*$d-link: is a symbolic link" \
	    "$d: a socket directory that is a symlink is refused"

	mkdir -p "$T/$d-open"
	chmod 1777 "$T/$d-open"
	r=$(run_once "$bin" "$d-6" "$T/$d-open/$d.sock")
	like "$r" "^rc=1 .*$d-open is writable by group or others" \
	    "$d: a socket directory writable by others is refused"

	mkdir -p "$T/$d-theirs"
	chown outpost "$T/$d-theirs"
	r=$(run_once "$bin" "$d-7" "$T/$d-theirs/$d.sock")
	like "$r" "^rc=1 .*$d-theirs is owned by uid [0-9]+, not by uid 0" \
	    "$d: a socket directory owned by the daemon's account is refused"
	ok "$d: ... and nothing was created in it" \
	    test -z "$(ls -A "$T/$d-theirs")"
	ok "$d: nothing was created through the symlink either" \
	    test -z "$(ls -A "$T/$d-real")"
done
done_testing
