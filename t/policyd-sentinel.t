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
#
# Alongside, outpost-milter refunds (milter/refund.c, lib/refund.c on the
# synchronous client): 1,600 messages of ref@ counted by policyd before
# the run are refused by the milter (no From header) through the kill, 4
# miltertest(8) connections at a time, each refusal asking for the refund
# of its queue ID.  Asserted: the milter never dies and refuses each one;
# each refund is logged exactly once, as applied or as failed; on the new
# master ref@'s count equals the refund records left (a refund applied
# with its record removed, never twice, never half); a refund logged as
# "nothing applied" left its record.  How many applied, failed, or were
# applied on the old master and lost with it: diagnostics.
. "$(dirname "$0")/lib/testenv.sh"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
MILTER="$TE_ROOT/milter/outpost-milter"
[ -x "$CTL_BIN" ] && [ -x "$POLICYD" ] && [ -x "$MILTER" ] ||
    skip_all "daemons not built"
command -v redis-sentinel >/dev/null || skip_all "redis-sentinel not installed"
command -v miltertest >/dev/null || skip_all "miltertest not installed"
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
ctl user add ref@example.com --plan big >>"$T/ctl.out" 2>&1 ||
    te_fail "user add ref@: $(cat "$T/ctl.out")"

te_bg policyd "$POLICYD" -f -c "$T/p.conf"
te_wait test -S "$PSOCK" ||
    te_fail "outpost-policyd did not listen: $(tail -20 "$T/policyd.log")"
PPID_=$(cat "$T/policyd.pid")
LOAD="$TE_PY $TE_ROOT/t/lib/policyload.py"

# The milter, on the same sentinel address; it needs no Redis to refuse a
# message without From (authorize_senders = no), only for the refund.
mkdir -p -m 755 "$T/keys" "$T/mt"
{ cat "$T/p.conf"; printf '%s\n' "milter_socket = unix:$T/milter.sock" \
    "authorize_senders = no" "require_alignment = no" \
    "dns_nameserver = 127.0.0.1@9" "dns_timeout = 1s"; } >"$T/m.conf"
chmod 644 "$T/m.conf"
te_bg milter "$MILTER" -f -c "$T/m.conf"
te_wait test -S "$T/milter.sock" ||
    te_fail "outpost-milter did not listen: $(tail -20 "$T/milter.log")"
MPID_MILTER=$(cat "$T/milter.pid")
printf 'To: <x@example.org>\nSubject: no From\n\nrefused by the milter\n' \
    >"$T/nofrom.eml"
RF_PROCS=4 RF_CONNS=40 RF_MSGS=10
RF_N=$((RF_PROCS * RF_CONNS * RF_MSGS))
# The messages of ref@ policyd counts at END-OF-MESSAGE: queue IDs
# RFp-c.k, as milter-send.lua names message k of connection RFp-c.
"$TE_PY" - "$PSOCK" $RF_PROCS $RF_CONNS $RF_MSGS >"$T/seed.out" <<'PY' ||
import socket, sys
path, procs, conns, msgs = sys.argv[1], *map(int, sys.argv[2:5])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rb")
n = 0
for p in range(procs):
    for c in range(conns):
        for k in range(1, msgs + 1):
            s.sendall(("request=smtpd_access_policy\n"
                "protocol_state=END-OF-MESSAGE\nprotocol_name=ESMTP\n"
                "client_address=127.0.0.1\nsender=ref@example.com\n"
                "recipient=\nrecipient_count=1\nqueue_id=RF%d-%d.%d\n"
                "size=1000\nsasl_method=PLAIN\nsasl_username=ref@example.com"
                "\n\n" % (p, c, k)).encode())
            reply = b""
            while not reply.endswith(b"\n\n"):
                reply += f.readline()
            n += reply == b"action=DUNNO\n\n"
print(n)
PY
    te_fail "seeding ref@'s messages failed"
is "$(cat "$T/seed.out")" "$RF_N" "ref@: $RF_N messages counted by policyd before the run"
# refunds P: connections RFP-0 .. RFP-(RF_CONNS-1), RF_MSGS refused each
refunds() {
	local c
	for c in $(seq 0 $((RF_CONNS - 1))); do
		miltertest -s "$TE_ROOT/t/lib/milter-send.lua" \
		    -D "sock=unix:$T/milter.sock" -D "msg=$T/nofrom.eml" \
		    -D auth=ref@example.com -D "qid=RF$1-$c" -D count=$RF_MSGS \
		    -D "out=$T/mt/$1-$c" 2>>"$T/mt/$1.err"
		sleep 0.2
	done
}
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
RPIDS=""
for p in $(seq 0 $((RF_PROCS - 1))); do
	refunds "$p" &
	RPIDS="$RPIDS $!"
done
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

# --- the milter's refunds through the failover ---------------------------
# shellcheck disable=SC2086
wait $RPIDS
ok "the milter still runs after the failover" kill -0 "$MPID_MILTER"
is "$(cat "$T"/mt/*-* | grep -c '^msg [0-9]* mail=c eom=y ')" "$RF_N" \
    "all $RF_N messages refused by the milter (550, no From)" ||
    diag "$(tail -3 "$T"/mt/*.err | head -20)"
NEW=$TE_SENT_REPLICA
REF='outpost:{u:ref@example.com}'
redis-cli -p "$NEW" --scan --pattern "$REF:q:*" | sed "s/^.*:q://" |
    sort >"$T/rf.left"
grep -oE ' RF[0-9]+-[0-9]+\.[0-9]+: (refunded|cannot refund) user=ref@example\.com.*' \
    "$T/milter.log" >"$T/rf.log"
sed 's/^ \([^:]*\): .*/\1/' "$T/rf.log" | sort | uniq -c >"$T/rf.count"
is "$(awk '$1 == 1' "$T/rf.count" | wc -l)" "$RF_N" \
    "each of the $RF_N refunds logged exactly once, applied or failed" ||
    diag "$(awk '$1 != 1' "$T/rf.count" | head -5)"
sed -n 's/^ \([^:]*\): refunded .*/\1/p' "$T/rf.log" | sort >"$T/rf.applied"
sed -n 's/^ \([^:]*\): cannot refund .*(nothing applied).*/\1/p' "$T/rf.log" |
    sort >"$T/rf.none"
sed -n 's/^ \([^:]*\): cannot refund .*may have been applied.*/\1/p' \
    "$T/rf.log" | sort >"$T/rf.unknown"
is "$(($(wc -l <"$T/rf.applied") + $(wc -l <"$T/rf.none") + $(wc -l <"$T/rf.unknown")))" \
    "$RF_N" "every failed refund says whether it may have been applied"
rf_used=$(ctl --json user show ref@example.com | "$TE_PY" -c '
import json, sys
print(sum(l["used"] for l in json.load(sys.stdin)["limits"] if l["limit"].startswith("messages=")))')
is "$rf_used" "$(wc -l <"$T/rf.left")" \
    "ref@ counted $rf_used on the new master = its refund records left: each refund applied once with its record"
is "$(comm -23 "$T/rf.none" "$T/rf.left" | wc -l)" 0 \
    "a refund logged as 'nothing applied' left its record ($(wc -l <"$T/rf.none") of them)"
diag "milter refunds: $RF_N asked, $(wc -l <"$T/rf.applied") applied, $(wc -l <"$T/rf.none") failed unsent, $(wc -l <"$T/rf.unknown") failed with the outcome unknown ($(comm -23 "$T/rf.unknown" "$T/rf.left" | wc -l) of these applied); $(comm -12 "$T/rf.applied" "$T/rf.left" | wc -l) applied on the old master and lost with it; $((RF_N - $(wc -l <"$T/rf.left"))) refunded on the new master's data; $(grep -n 'cannot refund' "$T/rf.log" | tail -1 | cut -d: -f1 | xargs -I{} sh -c "tail -n +{} '$T/rf.log' | grep -c ': refunded'") applied after the last failure"

diag "$(field "$T/run.json" '"requests %d in %.1f s; on_error answers %d, sent from %.3f to %.3f s after the kill; +switch-master at %.3f s; first normal answer %.3f s after it" % (r["requests"], r["secs"], len(r["on_error_at"]), min(r["on_error_at"]), max(r["on_error_at"]), r["switch_at"], r["normal_after_switch"])')"
diag "last on_error answer $(field "$T/run.json" '"%.3f s after +switch-master" % (max(r["on_error_at"]) - r["switch_at"])'); admitted $admitted, counted $counted on the new master"
grep -c "is not the master\|connected" "$T/policyd.log" | sed 's/^/policyd log lines about reconnects: /' | diag "$(cat)"
done_testing
