#!/bin/bash
# policyd-sentinel.t -- outpost-policyd on redis_address = sentinel:...
# (a master, a replica, three redis-sentinel on loopback, te_sentinel_start)
# under steady load: 50 connections paced at 1,000 requests/s
# (t/lib/policyload.py) for 15 s, the master SIGKILLed 3 s in.  Asserted: policyd
# never dies; every request gets the normal answer, a limit refusal or
# on_error's 451 -- never an admission of a user past its limit, never any
# other text; normal answers come back after the promotion; the counters
# on the new master are at most what was admitted, short by at most a few
# writes of the failover window.  The times (window of on_error answers,
# time to normal after +switch-master) are printed as diagnostics, not
# asserted (t/RELIABILITY.md keeps the figures).
. "$(dirname "$0")/lib/testenv.sh"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
[ -x "$CTL_BIN" ] && [ -x "$POLICYD" ] || skip_all "daemons not built"
command -v redis-sentinel >/dev/null || skip_all "redis-sentinel not installed"
te_tmpdir
chmod 755 "$T"
TE_SENT_PASS="sent-$(openssl rand -hex 8)"
te_sentinel_start mymaster
RUNUSER=$(id -un)
[ "$RUNUSER" = root ] && id outpost >/dev/null 2>&1 && RUNUSER=outpost
PSOCK="$T/policy.sock"
cat >"$T/p.conf" <<CONF
redis_address = $TE_SENTINEL
redis_sentinel_password = $TE_SENT_PASS
redis_timeout = 1s
user = $RUNUSER
log_destination = stderr
keys_directory = $T/keys
policyd_listen = unix:$PSOCK
CONF
chmod 644 "$T/p.conf"
ctl() { "$CTL_BIN" -c "$T/p.conf" "$@"; }
USERS=""
for c in init "plan set big messages=1000000/1h" "plan set small messages=5/1h" \
    "user add over@example.com --plan small"; do
	# shellcheck disable=SC2086
	ctl $c >>"$T/ctl.out" 2>&1 || te_fail "outpostctl $c: $(cat "$T/ctl.out")"
done
for i in 0 1 2 3 4 5 6 7 8 9; do
	ctl user add "u$i@example.com" --plan big >>"$T/ctl.out" 2>&1 ||
	    te_fail "user add: $(cat "$T/ctl.out")"
	USERS="$USERS${USERS:+,}u$i@example.com"
done

te_bg policyd "$POLICYD" -f -c "$T/p.conf"
te_wait test -S "$PSOCK" ||
    te_fail "outpost-policyd did not listen: $(tail -20 "$T/policyd.log")"
PPID_=$(cat "$T/policyd.pid")
LOAD="$TE_PY $TE_ROOT/t/lib/policyload.py"
field() { "$TE_PY" -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

# a warm-up second without a failover: over@ reaches its limit (5)
$LOAD "$PSOCK" 50 1000 1 999 0 "${TE_SENT_PORTS[0]}" "$TE_SENT_PASS" \
    "$USERS" over@example.com >"$T/warm.json" || te_fail "policyload failed"
is "$(field "$T/warm.json" 'r["admitted"].get("over@example.com")')" 5 \
    "warm-up through sentinel: over@ admitted exactly its limit (5)"
is "$(field "$T/warm.json" 'sorted(r["classes"])')" \
    "['END-OF-MESSAGE normal', 'RCPT limit', 'RCPT normal']" \
    "... every other answer normal or the limit, no on_error: $(field "$T/warm.json" 'r["classes"]')"
te_wait test "$(redis-cli -p "$TE_SENT_MASTER" wait 1 1000)" = 1 ||
    te_fail "the replica did not acknowledge"

# --- the master is SIGKILLed 3 s into 15 s of load ----------------------
MPID=$(cat "$T/sent-master.pid")
$LOAD "$PSOCK" 50 1000 15 3 "$MPID" "${TE_SENT_PORTS[0]}" "$TE_SENT_PASS" \
    "$USERS" over@example.com >"$T/run.json" 2>"$T/run.err" ||
    te_fail "policyload failed: $(cat "$T/run.err")"
te_sentinel_wait_master "$TE_SENT_REPLICA" ||
    te_fail "no promotion: $(tail -5 "$T"/sent-0.log)"
ok "policyd still runs after the failover" kill -0 "$PPID_"
is "$(field "$T/run.json" 'r["bad"][:5]')" "[]" \
    "no other answer: never over@ admitted, no 5xx/DUNNO out of place, no connection lost"
like "$(field "$T/run.json" 'r["classes"]')" "'RCPT on_error': [1-9]" \
    "on_error answered during the failover: $(field "$T/run.json" 'r["classes"]')"
ok "+switch-master seen by the client" \
    test "$(field "$T/run.json" 'r.get("switch_at") is not None')" = True
ok "normal answers after the promotion" \
    test "$(field "$T/run.json" 'r["normal_after_switch"] is not None')" = True
ok "... and they are the last answers: nothing failed in the last 3 s" \
    test "$(field "$T/run.json" 'max(r["on_error_at"]) < 15 - 3 - 3')" = True

# counters on the new master against what was admitted
admitted=0; counted=0
for u in ${USERS//,/ } over@example.com; do
	a=$(( $(field "$T/warm.json" "r['admitted'].get('$u', 0)") + \
	    $(field "$T/run.json" "r['admitted'].get('$u', 0)") ))
	c=$(ctl --json user show "$u" | "$TE_PY" -c '
import json, sys
print(sum(l["used"] for l in json.load(sys.stdin)["limits"] if l["limit"].startswith("messages=")))')
	admitted=$((admitted + a)); counted=$((counted + c))
done
eom_err=$(field "$T/run.json" 'r["classes"].get("END-OF-MESSAGE on_error", 0)')
ok "counted ($counted) <= admitted ($admitted) + END-OF-MESSAGE on_error ($eom_err)" \
    test "$counted" -le $((admitted + eom_err))
ok "admitted - counted = $((admitted - counted)) writes lost with the old master (at most 50)" \
    test $((admitted - counted)) -le 50
is "$(ctl --json user show over@example.com | "$TE_PY" -c '
import json, sys
print([l["used"] for l in json.load(sys.stdin)["limits"]])')" "[5]" \
    "over@ counted 5 on the new master: its refusals were never counted"

diag "$(field "$T/run.json" '"requests %d in %.1f s; on_error answers %d, sent from %.3f to %.3f s after the kill; +switch-master at %.3f s; first normal answer %.3f s after it" % (r["requests"], r["secs"], len(r["on_error_at"]), min(r["on_error_at"]), max(r["on_error_at"]), r["switch_at"], r["normal_after_switch"])')"
diag "last on_error answer $(field "$T/run.json" '"%.3f s after +switch-master" % (max(r["on_error_at"]) - r["switch_at"])'); admitted $admitted, counted $counted on the new master"
grep -c "is not the master\|connected" "$T/policyd.log" | sed 's/^/policyd log lines about reconnects: /' | diag "$(cat)"
done_testing
