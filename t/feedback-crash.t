#!/bin/bash
# feedback-crash.t -- outpost-feedback killed with SIGKILL in the middle of
# a recorded log (bench/pflog-gen.py: 100,000 lines, 12 users, so that
# hard bounces suppress recipients and pause users), restarted each time,
# ends with exactly what one clean pass writes: the same counters in every
# st:H hash, the same events (queue ID, recipient, status, category, time
# of each), the same suppressions and pauses.  A batch is one MULTI/EXEC
# with the position, so a kill can neither count its lines twice nor skip
# them.  Needs no root, no Postfix.
. "$(dirname "$0")/lib/testenv.sh"
FB="$TE_ROOT/feedback/outpost-feedback"
[ -x "$FB" ] || skip_all "feedback/outpost-feedback not built"
command -v python3 >/dev/null || skip_all "python3 not installed"

te_tmpdir
te_redis_start
R() { te_redis_cli "$@"; }
LOG="$T/maillog"
"$TE_PY" "$TE_ROOT/bench/pflog-gen.py" -n 100000 -u 12 -s 7 >"$LOG" ||
    te_fail "pflog-gen.py failed"
SIZE=$(stat -c %s "$LOG")
cat >"$T/fb.conf" <<CF
redis_address = unix:$T/redis.sock
feedback_log = $LOG
bounce_rules = $TE_ROOT/etc/bounce-rules
bounce_rules_local = $T/no-such-rules
bounce_min_sample = 20
bounce_pause_rate = 3%
log_destination = stderr
log_level = warning
pid_file =
CF
POS=$(printf 'outpost:{log}:fb:pos:%s:%s' "$(hostname)" "$LOG")

# Everything a pass leaves, in one line per figure (Lua: one round trip).
digest() {
	R eval "
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
out[#out + 1] = 'seq=' .. tostring(redis.call('GET', 'outpost:{log}:seq'))
out[#out + 1] = 'all=' .. redis.call('ZCARD', 'outpost:{log}:all')
local sup, sus = {}, {}
for _, k in ipairs(redis.call('KEYS', 'outpost:{u:*}:sup:*')) do
  for _, f in ipairs(redis.call('HKEYS', k)) do sup[#sup + 1] = k .. ' ' .. f end
end
table.sort(sup)
out[#out + 1] = 'sup=' .. #sup .. ' ' .. redis.sha1hex(table.concat(sup, ';'))
for _, k in ipairs(redis.call('KEYS', 'outpost:{u:*}:acct')) do
  if redis.call('HGET', k, 'state') == 'suspended' then
    sus[#sus + 1] = k .. ' ' .. tostring(redis.call('HGET', k, 'reason'))
  end
end
table.sort(sus)
out[#out + 1] = 'suspended=' .. #sus .. ' ' .. table.concat(sus, ';')
return out" 0
}
users() {	# the schema marker (outpostctl init's) and 12 active users
	local u
	R set outpost:schema 2 >/dev/null
	for ((u = 0; u < 12; u++)); do
		R hset "outpost:{u:user$u@customer$u.example}:acct" state active >/dev/null
	done
}
at_end() { [ "$(R hget "$POS" off)" = "$SIZE" ]; }
run_to_end() {
	te_bg feedback "$FB" -c "$T/fb.conf" -f --from-start
	te_wait at_end || te_fail "the follower did not reach the end: $(tail -5 "$T/feedback.log")"
	te_bg_stop feedback
}

# -- one clean pass ------------------------------------------------------
users
run_to_end
CLEAN=$(digest)
like "$CLEAN" "events=[1-9]" "the clean pass wrote events"
like "$CLEAN" "sup=[1-9]" "... suppressed hard-bounced recipients"
like "$CLEAN" "suspended=[1-9]" "... and paused users"
like "$CLEAN" "st.hard=[1-9]" "... and counted hard bounces"

# -- the same log, the follower killed -9 again and again -------------------
R flushall >/dev/null
users
kills=0 mid=0
for d in 0.3 0.2 0.4 0.25 0.3 0.15 0.35 0.2; do
	te_bg feedback "$FB" -c "$T/fb.conf" -f --from-start
	sleep "$d"
	kill -KILL "$(cat "$T/feedback.pid")"
	wait "$(cat "$T/feedback.pid")" 2>/dev/null
	rm -f "$T/feedback.pid"
	kills=$((kills + 1))
	off=$(R hget "$POS" off)
	[ -n "$off" ] && [ "$off" -gt 0 ] && [ "$off" -lt "$SIZE" ] && mid=$((mid + 1))
done
ok "killed -9 $kills times, $mid of them in the middle of the log" test "$mid" -ge 2
run_to_end
CRASHED=$(digest)
is "$CRASHED" "$CLEAN" "after the kills: the same counters, events, suppressions and pauses as one clean pass"
is "$(echo "$CRASHED" | sed -n 's/^seq=//p')" "$(echo "$CLEAN" | sed -n 's/^seq=//p')" "no event number drawn twice (Plog:seq)"

# -- classic syslog stamps carry no year: one more than a day ahead is
# last year's (a December log read in January)
R flushall >/dev/null
users
"$TE_PY" - "$T/year.log" "$T/year.want" <<'PY'
import sys, time, datetime
now = datetime.datetime.now()
ahead = now + datetime.timedelta(days=10)
stamp = ahead.strftime("%b %d %H:%M:%S")
y = now.year
want = ahead.replace(year=y)
if want > now + datetime.timedelta(days=1):
    want = want.replace(year=y - 1)
q = "3F2A1C9B0D"
lines = [
    "client=unknown[192.0.2.1], sasl_method=PLAIN, sasl_username=user0@customer0.example",
    "message-id=<year@customer0.example>",
    "from=<a@customer0.example>, size=100, nrcpt=1 (queue active)",
    "to=<r@example.net>, relay=mx.example.net[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 ok)",
]
daemons = ["smtpd", "cleanup", "qmgr", "smtp"]
with open(sys.argv[1], "w") as f:
    for d, l in zip(daemons, lines):
        f.write("%s mx postfix/%s[1]: %s: %s\n" % (stamp, d, q, l))
open(sys.argv[2], "w").write("%d\n" % (int(time.mktime(want.timetuple())) * 1000))
PY
"$FB" -c "$T/fb.conf" - <"$T/year.log" 2>"$T/year.err"
ok_rc $? "stdin: a log whose classic stamps are 10 days ahead"
is "$(R hget outpost:{log}:e:1 t)" "$(cat "$T/year.want")" "  dated last year, not in the future"

done_testing
