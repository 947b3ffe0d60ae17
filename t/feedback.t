#!/bin/bash
# feedback.t -- outpost-feedback on the log of a real private Postfix that
# relays to a scripted SMTP server (t/lib/replysink.py) answering each
# recipient by its name: 250, 550 5.1.1 user unknown, 552 5.2.2 mailbox
# full, 554 5.7.1 reputation block, 421 4.7.0 and 450 deferrals, a 5xx
# with a 4xx-style text, a 2,000-character reply.  Asserts each
# recipient's event and category in Redis, the suppression of exactly the
# hard-bounced recipient (outpostctl suppress check sees it, so policyd
# does), the pause at the threshold and not below it nor below the
# minimum sample, a restart with mail logged while stopped (counts equal
# a single pass), rotation by rename, and an ARF report with a redacted
# recipient attributed by Message-ID.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
FB="$TE_ROOT/feedback/outpost-feedback"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
for b in "$FB" "$CTL_BIN"; do
	[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
done
command -v swaks >/dev/null || skip_all "swaks not installed"

te_tmpdir
PW='S3cret pw'
CONF="$T/outpost.conf"
te_redis_start
te_free_port TE_PORT_SINK
te_bg sink "$TE_PY" "$TE_ROOT/t/lib/replysink.py" 127.0.0.1 "$TE_PORT_SINK"
te_wait te_listening "$TE_PORT_SINK" "$(cat "$T/sink.pid")" ||
    te_fail "replysink did not listen: $(cat "$T/sink.log")"
for u in alice bob carol; do te_sasl_user "$u@outpost.test" "$PW"; done
te_postfix_start "queue_run_delay = 3600s" "minimal_backoff_time = 3600s" \
    "maximal_backoff_time = 3600s"
cat >"$CONF" <<CF
redis_address = unix:$T/redis.sock
feedback_log = $T/maillog
bounce_rules = $TE_ROOT/etc/bounce-rules
bounce_rules_local = $T/no-such-rules
bounce_min_sample = 5
bounce_pause_rate = 25%
log_destination = stderr
log_level = debug
pid_file =
CF
ctl() { "$CTL_BIN" -c "$CONF" "$@"; }
check() { is "$2" "$3" "$1"; }
match() { like "$2" "$3" "$1"; }
R() { te_redis_cli "$@"; }
for u in alice bob carol; do
	ctl user add "$u@outpost.test" >/dev/null || te_fail "user add $u"
done

fb_start() { te_bg feedback "$FB" -c "$CONF" -f "$@"; }
fb_stop() { te_bg_stop feedback; }

# send USER MSGID RCPT,... -- submit one message; prints its queue ID.
send() {
	local out
	out=$(te_swaks --port "$TE_PORT_SUBMIT" --auth PLAIN \
	    --auth-user "$1@outpost.test" --auth-password "$PW" \
	    --from "$1@outpost.test" --to "$3" \
	    --header "Message-Id: <$2@outpost.test>")
	te_queue_id "$(te_data_reply "$out")"
}
# nev QID -- number of events of QID in the delivery log
nev() { R zcard "outpost:{log}:q:$1"; }
has_events() { [ "$(nev "$1")" -ge "$2" ]; }
# ev RCPT FIELD -- FIELD of the newest event of RCPT
ev() {
	local id
	id=$(R zrevrange "outpost:{log}:r:$1" 0 0)
	[ -n "$id" ] && R hget "outpost:{log}:e:$id" "$2"
}
# fig USER FIELD -- the sum over the hours of st:H FIELD
fig() {
	local k s=0 v
	for k in $(R --scan --pattern "outpost:{log}:st:$1@outpost.test:*"); do
		v=$(R hget "$k" "$2"); s=$((s + ${v:-0}))
	done
	echo $s
}
logged() { grep -E " $1: to=<" "$T/maillog" | grep -c "status=$2"; }

# -- 1. classification ---------------------------------------------------
: >"$T/maillog"
fb_start --from-start
te_wait grep -q "following" "$T/feedback.log" || te_fail "$(cat "$T/feedback.log")"
Q1=$(send alice m1 "ok1@example.org,unknown1@example.org,full1@example.org,block1@example.org,weird1@example.org,long1@example.org")
Q2=$(send alice m2 "throttle1@example.org")
Q3=$(send alice m3 "defer1@example.org")
ok "three messages queued" test -n "$Q1" -a -n "$Q2" -a -n "$Q3"
te_wait has_events "$Q1" 6; te_wait has_events "$Q2" 1
te_wait has_events "$Q3" 1
while read -r rcpt status cat; do
	check "$rcpt: status" "$(ev "$rcpt@example.org" status)" "$status"
	check "$rcpt: category" "$(ev "$rcpt@example.org" category)" "$cat"
done <<LIST
ok1 delivered delivered
unknown1 bounced hard
full1 bounced soft
block1 bounced block
weird1 bounced soft
long1 bounced block
throttle1 deferred block
defer1 deferred soft
LIST
check "event: who" "$(ev unknown1@example.org who)" alice@outpost.test
check "event: queue ID" "$(ev unknown1@example.org qid)" "$Q1"
check "event: dsn" "$(ev unknown1@example.org dsn)" 5.1.1
check "event: code" "$(ev unknown1@example.org code)" 550
check "event: message-id" "$(ev ok1@example.org msgid)" "<m1@outpost.test>"
match "event: the receiver's reply" "$(ev unknown1@example.org reply)" \
    "550 5.1.1 <unknown1@example.org>: Recipient address rejected: User unknown"
LONGR=$(ev long1@example.org reply)
ok "event: the long reply (${#LONGR} bytes) kept as Postfix logged it" \
    grep -qF -- "said: $LONGR" "$T/maillog"
ok "event: ... all of it" test "${#LONGR}" -gt 1500
# the day's hash: "T HOST QID WHO FROM", one field per Message-ID
MDAY=$(( $(ev ok1@example.org t) / 86400000 ))
check "P{log}:m:DAY links the Message-ID" \
    "$(R hget "outpost:{log}:m:$MDAY" '<m1@outpost.test>' | sed -n 3p)" "$Q1"
match "... to its sender and host" \
    "$(R hget "outpost:{log}:m:$MDAY" '<m1@outpost.test>' | sed -n 4,5p | tr '\n' ' ')" \
    "^alice@outpost.test .*@"
ok "... and the day's hash expires (retention + 1 day)" \
    test "$(R pttl "outpost:{log}:m:$MDAY")" -gt 604800000

# -- 2. suppression: exactly the hard-bounced recipient --------------------
ok "unknown1 suppressed for alice" ctl suppress check unknown1@example.org --user alice@outpost.test
for r in ok1 full1 block1 weird1 long1 throttle1 defer1; do
	ok "$r not suppressed" bash -c "! '$CTL_BIN' -c '$CONF' suppress check $r@example.org --user alice@outpost.test"
done
ok "not suppressed globally" bash -c "! '$CTL_BIN' -c '$CONF' suppress check unknown1@example.org"
match "hard-bounce reason, with an expiry" \
    "$(ctl suppress check unknown1@example.org --user alice@outpost.test)" "hard-bounce"

# -- 3. figures ------------------------------------------------------------
check "alice: sent (attempts)" "$(fig alice sent)" 6
check "alice: delivered" "$(fig alice delivered)" 1
check "alice: hard" "$(fig alice hard)" 1
check "alice: block" "$(fig alice block)" 2
check "alice: soft" "$(fig alice soft)" 2
check "alice: deferred" "$(fig alice deferred)" 2
# The fleet's daily hashes: each equals the sum of its day's 24 hourly
# ones, field by field (one script: "n DAYS FIELDS" or the first
# difference).
out=$(R eval "
local days, fields = 0, 0
for _, k in ipairs(redis.call('KEYS', 'outpost:{log}:st:*:d:*')) do
  local d = tonumber(string.match(k, ':d:(%d+)$'))
  local sum = {}
  for h = d * 24, d * 24 + 23 do
    local v = redis.call('HGETALL', 'outpost:{log}:st:*:' .. h)
    for i = 1, #v, 2 do sum[v[i]] = (sum[v[i]] or 0) + tonumber(v[i + 1]) end
  end
  local v = redis.call('HGETALL', k)
  for i = 1, #v, 2 do
    if tonumber(v[i + 1]) ~= sum[v[i]] then
      return k .. ' ' .. v[i] .. ' ' .. v[i + 1] .. ' ~= ' .. tostring(sum[v[i]])
    end
    sum[v[i]] = nil; fields = fields + 1
  end
  if next(sum) then return k .. ' lacks ' .. next(sum) end
  days = days + 1
end
return 'n ' .. days .. ' ' .. fields" 0)
match "the fleet's daily hashes = the sums of their hours ($out)" "$out" '^n [12] ([6-9]|[1-9][0-9])$'
check "alice: not paused (1/6 < 25%)" "$(R hget 'outpost:{u:alice@outpost.test}:acct' state)" active

# -- 4. the pause ----------------------------------------------------------
Q=$(send carol c1 "unknown-c1@example.org"); te_wait has_events "$Q" 1
check "carol: 1/1 hard, below the minimum sample: active" \
    "$(R hget 'outpost:{u:carol@outpost.test}:acct' state)" active
Q=$(send bob b1 "ok-b1@example.org,ok-b2@example.org,ok-b3@example.org,ok-b4@example.org")
te_wait has_events "$Q" 4
Q=$(send bob b2 "unknown-b1@example.org"); te_wait has_events "$Q" 1
check "bob: 1/5 hard (20% < 25%): active" \
    "$(R hget 'outpost:{u:bob@outpost.test}:acct' state)" active
Q=$(send bob b3 "unknown-b2@example.org"); te_wait has_events "$Q" 1
check "bob: 2/6 hard (33% >= 25%): suspended" \
    "$(R hget 'outpost:{u:bob@outpost.test}:acct' state)" suspended
match "bob: the reason" "$(R hget 'outpost:{u:bob@outpost.test}:acct' reason)" \
    "hard-bounce rate 33.3% over 7d \\(2/6\\)"
check "bob: paused_by" "$(R hget 'outpost:{u:bob@outpost.test}:acct' paused_by)" feedback
indexed() { [ "$(R sismember outpost:suspended "$1")" = 1 ]; }
te_wait indexed bob@outpost.test
check "the pause: bob in the index of suspended users (alone)" \
    "$(R smembers outpost:suspended)" bob@outpost.test

# -- 5. restart: mail logged while stopped, counted once ---------------------
fb_stop
Q4=$(send alice m4 "ok4@example.org,unknown4@example.org")
te_wait grep -q " $Q4: removed" "$T/maillog"
fb_start
Q5=$(send alice m5 "ok5@example.org"); te_wait has_events "$Q5" 1
te_wait has_events "$Q4" 3	# + the bounce notice's delivery to alice
check "restart: the message logged while stopped counted" "$(nev "$Q4")" 3
check "restart: alice sent = 6 + 2 + 1" "$(fig alice sent)" 9
check "restart: alice delivered = 1 + 1 + 1" "$(fig alice delivered)" 3
check "restart: no event twice (events of Q1, its notice)" "$(nev "$Q1")" 7

# -- 6. rotation by rename ----------------------------------------------------
mv "$T/maillog" "$T/maillog.1"
postfix -c "$T/etc" reload >/dev/null 2>&1
Q6=$(send alice m6 "ok6@example.org,full6@example.org")
te_wait has_events "$Q6" 3	# + the notice
check "rotation: the new file's events" "$(nev "$Q6")" 3
check "rotation: alice sent" "$(fig alice sent)" 11
: >"$T/maillog"
Q7=$(send alice m7 "ok7@example.org"); te_wait has_events "$Q7" 1
check "truncation: read again from the start" "$(nev "$Q7")" 1

# -- 7. ARF: attributed by Message-ID, recipient redacted ---------------------
Q8=$(send alice arf1 "ok-arf@example.org"); te_wait has_events "$Q8" 1
cat >"$T/report.eml" <<EML
From: feedback@fbl.example.net
To: fbl@outpost.test
Subject: FW: hello
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B"

--B
Content-Type: text/plain

This is an email abuse report.
--B
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeFBL/1.0
Version: 1
Original-Rcpt-To: xxxxxx@example.org

--B
Content-Type: text/rfc822-headers

Received: from mx.outpost.test by mx.fbl.example.net id 77AA
Message-Id: <arf1@outpost.test>
From: alice@outpost.test
To: redacted@example.org
Subject: hello

--B--
EML
"$FB" -c "$CONF" --arf <"$T/report.eml" 2>"$T/arf.log"
check "--arf exits 0" "$?" 0
ok "ARF: ok-arf suppressed for alice" ctl suppress check ok-arf@example.org --user alice@outpost.test
match "ARF: reason complaint" "$(ctl suppress check ok-arf@example.org --user alice@outpost.test)" complaint
check "ARF: complaint counted" "$(fig alice complaint)" 1
sed 's/arf1@/nobody@/' "$T/report.eml" | "$FB" -c "$CONF" --arf 2>"$T/arf2.log"
check "--arf: unattributable report exits 0" "$?" 0
match "--arf: logged" "$(cat "$T/arf2.log")" "not attributed"
te_bg_stop redis
"$FB" -c "$CONF" --arf <"$T/report.eml" 2>/dev/null
check "--arf: Redis down -> 75" "$?" 75

done_testing
