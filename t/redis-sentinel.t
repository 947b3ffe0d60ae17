#!/bin/bash
# redis-sentinel.t -- redis_address = sentinel:... with real servers on
# loopback: a master, a replica and three redis-sentinel (te_sentinel_start,
# the sentinels behind a password).  outpostctl finds the master through
# the sentinels and writes; the master is killed; once the sentinels have
# promoted the replica, outpostctl finds the new master and reads what was
# written before.  A wrong sentinel password, sentinels that are all down
# and sentinels that never answer each give a clear error, the last within
# the timeouts.  outpost-policyd -n accepts sentinel:.
. "$(dirname "$0")/lib/testenv.sh"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
[ -x "$CTL_BIN" ] || skip_all "ctl/outpostctl not built"
command -v redis-sentinel >/dev/null || skip_all "redis-sentinel not installed"
te_tmpdir
TE_SENT_PASS="sent-$(openssl rand -hex 8)"
te_sentinel_start mymaster

conf() {	# conf NAME ADDRESS [LINE...]
	local name=$1 addr=$2
	shift 2
	printf '%s\n' "redis_address = $addr" "redis_timeout = 1s" \
	    "log_destination = stderr" "keys_directory = $T/keys" "$@" \
	    >"$T/$name.conf"
}
conf good "$TE_SENTINEL" "redis_sentinel_password = $TE_SENT_PASS"
ctl() { "$CTL_BIN" -c "$T/good.conf" "$@"; }
suppressed() {
	ctl --json suppress check "$1" | "$TE_PY" -c \
	    'import json,sys; print(json.load(sys.stdin)["suppressed"])'
}

# --- through the sentinels, to the first master ----------------------------
for c in init "plan set std messages=100/1h" "user add bob@example.com --plan std" \
    "suppress add before@example.org"; do
	# shellcheck disable=SC2086
	ctl $c >>"$T/ctl.out" 2>&1 || te_fail "outpostctl $c: $(cat "$T/ctl.out")"
done
ok "outpostctl init, plan set, user add, suppress add through sentinel:" true
ok "the writes went to the master (port $TE_SENT_MASTER)" \
    test "$(redis-cli -p "$TE_SENT_MASTER" dbsize)" -gt 2
is "$(suppressed before@example.org)" True "and read back through sentinel:"
# every write on the replica before the master goes
te_wait test "$(redis-cli -p "$TE_SENT_MASTER" wait 1 1000)" = 1 ||
    te_fail "the replica did not acknowledge"

# the daemons' asynchronous watcher, running across the failover
WATCH="$TE_ROOT/t/tools/sentinelwatch"
te_bg watch "$WATCH" "$T/good.conf" 60
watch_has() { grep -qx "$1" "$T/watch.log"; }
te_wait watch_has "master 127.0.0.1 $TE_SENT_MASTER"
is "$(head -1 "$T/watch.log")" "master 127.0.0.1 $TE_SENT_MASTER" \
    "sentinel_watch: first report names the master"

# --- the master dies; the sentinels promote the replica --------------------
redis-cli -p "$TE_SENT_MASTER" shutdown nosave >/dev/null 2>&1
te_bg_stop sent-master
t0=$SECONDS
te_sentinel_wait_master "$TE_SENT_REPLICA" ||
    te_fail "no promotion: $(tail -5 "$T"/sent-0.log)"
diag "replica promoted $((SECONDS - t0)) s after the master died"
te_wait watch_has "master 127.0.0.1 $TE_SENT_REPLICA"
is "$(tail -1 "$T/watch.log")" "master 127.0.0.1 $TE_SENT_REPLICA" \
    "sentinel_watch: +switch-master reported the new master"
n=$(grep -c . "$T/watch.log")
kill -USR1 "$(cat "$T/watch.pid")"
te_wait test "$(grep -c . "$T/watch.log")" -gt "$n"
is "$(tail -1 "$T/watch.log")" "master 127.0.0.1 $TE_SENT_REPLICA" \
    "sentinel_watch_resolve: asked again, the new master confirmed"
unlike "$(cat "$T/watch.log")" "^none" "... and no failed round meanwhile"
is "$(suppressed before@example.org)" True \
    "after the failover: outpostctl reads what was written before"
out=$(ctl --json user show bob@example.com 2>&1)
like "$out" '"plan": *"std"' "... the user and its plan too"
n0=$(redis-cli -p "$TE_SENT_REPLICA" dbsize)
ok "outpostctl writes on the new master" ctl suppress add after@example.org
ok "... on the promoted replica (port $TE_SENT_REPLICA)" \
    test "$(redis-cli -p "$TE_SENT_REPLICA" dbsize)" -gt "$n0"
is "$(suppressed after@example.org)" True "... and reads it back"

# --- errors ------------------------------------------------------------------
conf wrongpw "$TE_SENTINEL" "redis_sentinel_password = not-it"
out=$("$CTL_BIN" -c "$T/wrongpw.conf" suppress check x@example.org 2>&1)
is "$?" 1 "a wrong sentinel password: outpostctl fails"
like "$out" "127\.0\.0\.1:${TE_SENT_PORTS[0]}: AUTH: WRONGPASS" \
    "... saying which sentinel refused AUTH: $(echo "$out" | head -c 300)"
conf nopw "$TE_SENTINEL"
out=$("$CTL_BIN" -c "$T/nopw.conf" suppress check x@example.org 2>&1)
is "$?" 1 "no sentinel password: outpostctl fails"
like "$out" "NOAUTH" "... NOAUTH from the sentinels"

te_free_port D1; te_free_port D2
conf down "sentinel:127.0.0.1:$D1,127.0.0.1:$D2/mymaster"
out=$("$CTL_BIN" -c "$T/down.conf" suppress check x@example.org 2>&1)
is "$?" 1 "every sentinel down: outpostctl fails"
like "$out" "no sentinel gave a usable master mymaster: 127\.0\.0\.1:$D1: .*refused.*; 127\.0\.0\.1:$D2: .*refused" \
    "... naming each sentinel and why"

"$WATCH" "$T/down.conf" 1 >"$T/watchdown.out" 2>&1
like "$(head -1 "$T/watchdown.out")" "^none 127\.0\.0\.1:$D1: .*; 127\.0\.0\.1:$D2: " \
    "sentinel_watch: a failed round is reported with each sentinel"

# sentinels that accept and never answer: each costs one redis_timeout
te_free_port H1; te_free_port H2
te_bg hole "$TE_PY" -c "
import socket, time
ss = []
for p in ($H1, $H2):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('127.0.0.1', p)); s.listen(16); ss.append(s)
time.sleep(600)"
te_wait te_listening "$H2" || te_fail "the silent listener did not start"
conf hole "sentinel:127.0.0.1:$H1,127.0.0.1:$H2/mymaster"
t0=$(date +%s%N)
out=$("$CTL_BIN" -c "$T/hole.conf" suppress check x@example.org 2>&1)
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 1 "silent sentinels: outpostctl fails"
like "$out" "127\.0\.0\.1:$H1: .*; 127\.0\.0\.1:$H2: " "... naming both: $(echo "$out" | head -c 300)"
ok "... within the timeouts, not hanging ($ms ms; 2 sentinels x 1 s)" \
    test "$ms" -lt 10000
"$WATCH" "$T/hole.conf" 4 >"$T/watchhole.out" 2>&1
like "$(head -1 "$T/watchhole.out")" "^none 127\.0\.0\.1:$H1: timeout; 127\.0\.0\.1:$H2: timeout" \
    "sentinel_watch: silent sentinels time out, one redis_timeout each"

# --- policyd -n accepts sentinel: (t/policyd-sentinel.t runs it) --------
if [ -x "$POLICYD" ]; then
	conf pol "$TE_SENTINEL" "user = $(id -un)" \
	    "redis_sentinel_password = $TE_SENT_PASS"
	out=$("$POLICYD" -n -c "$T/pol.conf" 2>&1)
	is "$?" 0 "outpost-policyd -n accepts sentinel:"
	like "$out" "pol\.conf: ok" "... and the master answers through the sentinels: $out"
else
	skip 2 "outpost-policyd not built"
fi

done_testing
