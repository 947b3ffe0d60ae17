#!/bin/bash
# feedback-cluster.t -- outpost-feedback with redis_address = cluster:...
# on a real Redis Cluster (3 masters, a replica each) following a recorded
# log (bench/pflog-gen.py: 30,000 lines, 12 users, so hard bounces
# suppress recipients and pause users).  Every delivery-log key lands in
# the one slot of {log} (one master holds them all: a batch is one
# MULTI/EXEC there); suppressions and pauses land in the users' slots on
# the other masters; outpostctl log / stats / user show find the events;
# a run stopped half way and restarted on the grown log ends with exactly
# the figures, events, suppressions and pauses of one clean pass.
. "$(dirname "$0")/lib/testenv.sh"
FB="$TE_ROOT/feedback/outpost-feedback"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
for b in "$FB" "$CTL_BIN"; do
	[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
done
command -v python3 >/dev/null || skip_all "python3 not installed"

te_cluster_start
P0=${TE_CLUSTER_PORTS[0]}
C() { redis-cli -c -p "$P0" "$@"; }
LOG="$T/maillog"
# (the generator's 36 seconds of log moved to an hour ago: stats sees them)
"$TE_PY" "$TE_ROOT/bench/pflog-gen.py" -n 30000 -u 12 -s 11 |
    sed "s/^Mar 04 08:00:/$(LC_ALL=C date -d '-1 hour' '+%b %d %H:%M'):/" >"$T/full.log" ||
    te_fail "pflog-gen.py failed"
cat >"$T/fb.conf" <<CF
redis_address = $TE_CLUSTER
redis_timeout = 5s
feedback_log = $LOG
bounce_rules = $TE_ROOT/etc/bounce-rules
bounce_rules_local = $T/no-such-rules
bounce_min_sample = 20
bounce_pause_rate = 3%
log_destination = stderr
log_level = warning
pid_file =
CF
ctl() { "$CTL_BIN" -c "$T/fb.conf" "$@"; }
POS=$(printf 'outpost:{log}:fb:pos:%s:%s' "$(hostname)" "$LOG")

masters() {
	C cluster nodes | awk '$3 ~ /master/ { split($2, a, "[:@]"); print a[2] }'
}
users() {	# the marker and 12 active users, on their own masters
	local u
	C set outpost:schema 2 >/dev/null
	for ((u = 0; u < 12; u++)); do
		C hset "outpost:{u:user$u@customer$u.example}:acct" state active \
		    since 0 >/dev/null
	done
}
flush() {
	local p
	for p in $(masters); do redis-cli -p "$p" flushall >/dev/null; done
}
# Everything a pass leaves: the log's figures in one script on the {log}
# master, the suppressions and pauses from every master.
digest() {
	local p n=0 sus=0 u
	C eval "
local out, st = {}, {}
for _, k in ipairs(redis.call('KEYS', 'outpost:{log}:st:*')) do
  local v = redis.call('HGETALL', k)
  for i = 1, #v, 2 do st[v[i]] = (st[v[i]] or 0) + tonumber(v[i + 1]) end
end
local names = {}
for n in pairs(st) do names[#names + 1] = n end
table.sort(names)
for _, n in ipairs(names) do out[#out + 1] = 'st.' .. n .. '=' .. st[n] end
local ev = {}
for _, k in ipairs(redis.call('KEYS', 'outpost:{log}:e:*')) do
  local v = redis.call('HMGET', k, 'qid', 'rcpt', 'status', 'category', 't')
  for i = 1, 5 do v[i] = tostring(v[i]) end
  ev[#ev + 1] = table.concat(v, ' ')
end
table.sort(ev)
out[#out + 1] = 'events=' .. #ev .. ' ' .. redis.sha1hex(table.concat(ev, ';'))
out[#out + 1] = 'seq=' .. tostring(redis.call('GET', KEYS[1]))
out[#out + 1] = 'all=' .. redis.call('ZCARD', 'outpost:{log}:all')
out[#out + 1] = 'pending-pauses=' .. redis.call('HLEN', 'outpost:{log}:pause')
return out" 1 'outpost:{log}:seq'
	for p in $(masters); do
		for k in $(redis-cli -p "$p" --scan --pattern 'outpost:{u:*}:sup:*'); do
			n=$((n + $(redis-cli -p "$p" hlen "$k")))
		done
	done
	echo "sup=$n"
	for ((u = 0; u < 12; u++)); do
		[ "$(C hget "outpost:{u:user$u@customer$u.example}:acct" state)" = suspended ] &&
		    sus=$((sus + 1))
	done
	echo "suspended=$sus"
	echo "indexed=$(C scard outpost:suspended)"
}
at_end() { [ "$(C hget "$POS" off)" = "$(stat -c %s "$LOG")" ]; }
run_to_end() {
	te_bg feedback "$FB" -c "$T/fb.conf" -f "$@"
	te_wait at_end || te_fail "the follower did not reach the end: $(tail -5 "$T/feedback.log")"
	te_bg_stop feedback
}

# -- one clean pass ------------------------------------------------------
users
cp "$T/full.log" "$LOG"
run_to_end --from-start
CLEAN=$(digest)
like "$CLEAN" "events=[1-9]" "cluster: the clean pass wrote events"
like "$CLEAN" "sup=[1-9]" "... suppressed hard-bounced recipients (users' slots)"
like "$CLEAN" "suspended=[1-9]" "... and paused users (users' slots)"
like "$CLEAN" "pending-pauses=0" "... the pause outbox emptied"
is "$(echo "$CLEAN" | sed -n 's/^indexed=//p')" "$(echo "$CLEAN" | sed -n 's/^suspended=//p')" \
    "... and every paused user in the index of suspended users (a third slot)"
like "$CLEAN" "st.hard=[1-9]" "... and counted hard bounces"
seq=$(echo "$CLEAN" | sed -n 's/^seq=//p')
is "$(echo "$CLEAN" | sed -n 's/^all=//p')" "$seq" "P{log}:all holds every event"

# -- every log key on one master, none elsewhere ---------------------------
where=""
for p in $(masters); do
	n=$(redis-cli -p "$p" --scan --pattern 'outpost:{log}:*' | wc -l)
	[ "$n" -gt 0 ] && where="$where $p:$n"
done
is "$(echo "$where" | wc -w)" 1 "the delivery log lives on one master ($where)"
slots=$(for p in $(masters); do
	redis-cli -p "$p" --scan --pattern 'outpost:{log}:*' | head -50 |
	    while read -r k; do redis-cli -p "$p" cluster keyslot "$k"; done
done | sort -u | wc -l)
is "$slots" 1 "... in one slot"

# -- outpostctl reads it through the cluster client ------------------------
out=$(ctl --json log --limit 5)
ok_rc $? "outpostctl log on the cluster"
is "$(printf '%s' "$out" | "$TE_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 5 \
    "log --limit 5: five events"
qid=$(C hget 'outpost:{log}:e:1' qid)
n=$(C zcard "outpost:{log}:q:$qid")
out=$(ctl --json log --queue-id "$qid")
is "$(printf '%s' "$out" | "$TE_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" "$n" \
    "log --queue-id: the queue ID's $n events"
hard=$(C eval "
for _, k in ipairs(redis.call('KEYS', 'outpost:{log}:e:*')) do
  if redis.call('HGET', k, 'category') == 'hard' then
    return redis.call('HGET', k, 'who') .. ' ' .. redis.call('HGET', k, 'rcpt')
  end
end
return ''" 1 'outpost:{log}:seq')
who=${hard%% *} rcpt=${hard#* }
ok "a hard bounce ($rcpt) is suppressed for its user $who" ctl suppress check "$rcpt" --user "$who"
st=$(ctl --json stats --since 3h --user "$who")
ok_rc $? "outpostctl stats --user on the cluster"
like "$st" '"hard":[1-9]' "stats: the user's hard bounces"
like "$(C hkeys "outpost:{log}:rt:$who")" "hard:[0-9]" "P{log}:rt:WHO: the pause inputs by hour"

# -- stopped half way, restarted on the grown log: counted once ----------
flush
users
lines=$(wc -l <"$T/full.log")
head -n $((lines / 2)) "$T/full.log" >"$LOG"
run_to_end --from-start
half=$(C get 'outpost:{log}:seq')
ok "the first half counted ($half events)" test "$half" -gt 0 -a "$half" -lt "$seq"
tail -n +$((lines / 2 + 1)) "$T/full.log" >>"$LOG"
run_to_end
AGAIN=$(digest)
is "$AGAIN" "$CLEAN" "restarted: exactly the clean pass (figures, events, suppressions, pauses)"

done_testing
