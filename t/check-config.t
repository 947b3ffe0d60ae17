#!/bin/bash
# check-config -- `-n` of both daemons checks what their start-up checks:
# an account that does not exist, a Redis address the client refuses
# (cluster: with redis_db other than 0) are configuration errors, named with
# file and line, exit 1; a Redis that does not answer is a warning, exit 0
# (the systemd units run -n before every start, and Redis may come up
# later).  Before, -n said "ok" to all of these and the daemon then died.
. "$(dirname "$0")/lib/testenv.sh"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
MILTER="$TE_ROOT/milter/outpost-milter"
[ -x "$POLICYD" ] && [ -x "$MILTER" ] || skip_all "daemons not built"
command -v redis-server >/dev/null || skip_all "redis-server not installed"
te_tmpdir
chmod 755 "$T"
RUNUSER=$(id -un)
[ "$RUNUSER" = root ] && id outpost >/dev/null 2>&1 && RUNUSER=outpost
mkdir -m 755 "$T/keys"
te_redis_start
plan 18

# conf NAME LINE...: $T/NAME.conf, the lines after a common head.
conf() {
	local name=$1
	shift
	{
		echo "# check-config $name"
		echo "keys_directory = $T/keys"
		echo "milter_socket = unix:$T/m.sock"
		echo "policyd_listen = unix:$T/p.sock"
		printf '%s\n' "$@"
	} >"$T/$name.conf"
}
# run PROG NAME: "rc|stdout|stderr" of PROG -n on $T/NAME.conf
run() {
	local out rc
	out=$("$1" -n -c "$T/$2.conf" 2>"$T/$2.err")
	rc=$?
	printf '%s|%s|%s' "$rc" "$out" "$(cat "$T/$2.err")"
}

conf good "user = $RUNUSER" "redis_address = unix:$T/redis.sock"
is "$(run "$POLICYD" good)" "0|$T/good.conf: ok|" "policyd: a good file"
is "$(run "$MILTER" good)" "0|$T/good.conf: configuration OK; 0 key problems|" \
    "milter: a good file"

conf nouser "redis_address = unix:$T/redis.sock" "user = nosuchaccount"
is "$(run "$POLICYD" nouser)" \
    "1||outpost-policyd: $T/nouser.conf:6: user: no such account \"nosuchaccount\"
outpost-policyd: $T/nouser.conf: 1 configuration error" \
    "policyd: a user that does not exist: file:line, exit 1"
is "$(run "$MILTER" nouser)" \
    "1||outpost-milter: $T/nouser.conf:6: user: no such account \"nosuchaccount\"
outpost-milter: $T/nouser.conf: 1 configuration error" \
    "milter: a user that does not exist: file:line, exit 1"
unlike "$(cat "$T/nouser.err")" '\(null\)' "milter: no \"keys of (null)\""

conf sentinel "user = $RUNUSER" "redis_address = sentinel:127.0.0.1:9/mymaster"
like "$(run "$POLICYD" sentinel)" \
    "^0\|$T/sentinel\.conf: ok\|outpost-policyd: warning: Redis at sentinel:127\.0\.0\.1:9/mymaster does not answer now: .*127\.0\.0\.1:9: Connection refused" \
    "policyd: sentinel: accepted, no sentinel answering is a warning"
like "$(run "$MILTER" sentinel)" \
    "^0\|$T/sentinel\.conf: configuration OK; 0 key problems\|outpost-milter: warning: Redis at sentinel:127\.0\.0\.1:9/mymaster does not answer now: .*127\.0\.0\.1:9: Connection refused" \
    "milter: sentinel: accepted (synchronous client), no sentinel answering is a warning"
conf cluster "user = $RUNUSER" "redis_address = cluster:127.0.0.1:9"
like "$(run "$MILTER" cluster)" "^0\|$T/cluster\.conf: configuration OK; 0 key problems\|outpost-milter: warning: Redis at cluster:127\.0\.0\.1:9 does not answer now: " \
    "milter: cluster: accepted, no node answering is a warning"
like "$(run "$POLICYD" cluster)" "^0\|$T/cluster\.conf: ok\|outpost-policyd: warning: Redis at cluster:127\.0\.0\.1:9 does not answer now: " \
    "policyd: cluster: accepted, no node answering is a warning"
conf clusterdb "user = $RUNUSER" "redis_address = cluster:127.0.0.1:9" "redis_db = 2"
is "$(run "$POLICYD" clusterdb)" \
    "1||outpost-policyd: $T/clusterdb.conf:6: redis_address: redis_address cluster:127.0.0.1:9: a Redis Cluster has only database 0 (redis_db = 2)
outpost-policyd: $T/clusterdb.conf: 1 configuration error" \
    "policyd: cluster: with redis_db 2 is refused"

# Both problems at once: both reported.
conf both "user = nosuchaccount" "redis_address = cluster:127.0.0.1:9" "redis_db = 2"
r=$(run "$POLICYD" both)
like "$r" "^1\|\|" "policyd: two errors: exit 1"
like "$r" "both\.conf: 2 configuration errors$" "policyd: two errors: both counted"

# Redis down: a warning, exit 0.
conf down "user = $RUNUSER" "redis_address = unix:$T/nothing.sock"
r=$(run "$POLICYD" down)
like "$r" "^0\|$T/down\.conf: ok\|outpost-policyd: warning: Redis at unix:$T/nothing\.sock does not answer now: .*not a configuration error" \
    "policyd: Redis unreachable is a warning, exit 0"
r=$(run "$MILTER" down)
like "$r" "^0\|$T/down\.conf: configuration OK; 0 key problems\|outpost-milter: warning: Redis at unix:$T/nothing\.sock does not answer now: " \
    "milter: Redis unreachable is a warning, exit 0"

# A key at its default is named with the file alone.
conf defuser "redis_address = unix:$T/redis.sock"
if id outpost >/dev/null 2>&1; then
	skip 1 "the default account outpost exists here"
else
	like "$(run "$POLICYD" defuser)" "^1\|\|outpost-policyd: $T/defuser\.conf: user: no such account \"outpost\"" \
	    "policyd: the default user missing: the file named"
fi
# The daemon itself refuses what -n refuses.
"$POLICYD" -f -c "$T/nouser.conf" 2>"$T/nouser-run.err" &
wait $!
is "$?" 1 "policyd started with that user exits 1 too"
"$MILTER" -f -c "$T/nouser.conf" 2>"$T/mnouser-run.err" &
wait $!
is "$?" 1 "milter started with that user exits 1 too"
like "$(cat "$T/nouser-run.err" "$T/mnouser-run.err")" "nosuchaccount" "... naming the account"
done_testing
