#!/bin/bash
# feedback-local.t -- outpost-feedback on a real private Postfix (relaying
# to t/lib/replysink.py, which answers each recipient by its name) for the
# messages that no SASL login explains and the ones Postfix makes itself:
#   - mail submitted on the MTA host with sendmail(1) (pickup "uid=0"):
#     recorded under "[uid:0]", searchable by outpostctl log --user, its
#     hard bounces suppressing nothing;
#   - mail relayed for a mynetworks client without SASL: "[127.0.0.1]";
#   - bounce notices (the DSN to the envelope sender): events under the
#     original's queue ID and user, category "notice", counted nowhere,
#     a notice that bounces suppressing nothing;
#   - status=expired for the recipients still deferred, across a restart
#     of the follower (the pending list lives in Redis);
#   - soft_bounce = yes (status=SOFTBOUNCE): a deferral, and a warning;
#   - a line it cannot place: counted and logged at debug.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
FB="$TE_ROOT/feedback/outpost-feedback"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
for b in "$FB" "$CTL_BIN"; do
	[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
done
command -v swaks >/dev/null || skip_all "swaks not installed"
command -v sendmail >/dev/null || skip_all "sendmail not installed"

te_tmpdir
PW='S3cret pw'
CONF="$T/outpost.conf"
te_redis_start
te_free_port TE_PORT_SINK
te_bg sink "$TE_PY" "$TE_ROOT/t/lib/replysink.py" 127.0.0.1 "$TE_PORT_SINK"
te_wait te_listening "$TE_PORT_SINK" "$(cat "$T/sink.pid")" ||
    te_fail "replysink did not listen: $(cat "$T/sink.log")"
te_sasl_user alice@outpost.test "$PW"
te_postfix_start "queue_run_delay = 3600s" "minimal_backoff_time = 3600s" \
    "maximal_backoff_time = 3600s" "enable_long_queue_ids = yes"
cat >"$CONF" <<CF
redis_address = unix:$T/redis.sock
feedback_log = $T/maillog
bounce_rules = $TE_ROOT/etc/bounce-rules
bounce_rules_local = $T/no-such-rules
bounce_min_sample = 1
bounce_pause_rate = 1%
log_destination = stderr
log_level = debug
pid_file =
CF
ctl() { "$CTL_BIN" -c "$CONF" "$@"; }
check() { is "$2" "$3" "$1"; }
R() { te_redis_cli "$@"; }
ctl user add alice@outpost.test >/dev/null || te_fail "user add alice"

fb_start() { te_bg feedback "$FB" -c "$CONF" -f "$@"; }
fb_stop() { te_bg_stop feedback; }
MAILLOG="$T/maillog"

# send FROM MSGID RCPT,... -- submit as alice with envelope sender FROM
send() {
	local out
	out=$(te_swaks --port "$TE_PORT_SUBMIT" --auth PLAIN \
	    --auth-user alice@outpost.test --auth-password "$PW" \
	    --from "$1" --to "$3" --header "Message-Id: <$2@outpost.test>")
	te_queue_id "$(te_data_reply "$out")"
}
# local FROM RCPT... -- sendmail on the MTA host (as root: uid=0); prints
# the queue ID pickup gave it
local_send() {
	local from=$1
	shift
	printf 'Subject: local\n\nhello\n' |
	    sendmail -C "$T/etc" -f "$from" "$@" || return 1
	te_wait grep -q "uid=0 from=<$from>" "$MAILLOG" || return 1
	sed -n "s/.* \([0-9A-Za-z]*\): uid=0 from=<$from>.*/\1/p" "$MAILLOG"
}
# notice QID -- the queue ID of QID's bounce notice
notice() {
	te_wait grep -q " $1: sender .* notification: " "$MAILLOG"
	sed -n "s/.* $1: sender .* notification: \([0-9A-Za-z]*\)$/\1/p" \
	    "$MAILLOG" | head -1
}
nev() { R zcard "outpost:{log}:q:$1"; }
has_events() { [ "$(nev "$1")" -ge "$2" ]; }
# evq QID RCPT FIELD -- FIELD of QID's newest event for RCPT
evq() {
	R eval "local ids = redis.call('ZREVRANGE', KEYS[1], 0, -1)
for _, id in ipairs(ids) do
  local k = 'outpost:{log}:e:' .. id
  if redis.call('HGET', k, 'rcpt') == ARGV[1] then
    return redis.call('HGET', k, ARGV[2]) or ''
  end
end
return ''" 1 "outpost:{log}:q:$1" "$2" "$3"
}
# fig WHO FIELD -- the sum over the hours of st:H FIELD
fig() {
	local k s=0 v g
	g=$(printf '%s' "$1" | sed 's/[][]/\\&/g')	# "[uid:0]": a glob
	for k in $(R --scan --pattern "outpost:{log}:st:$g:*"); do
		v=$(R hget "$k" "$2"); s=$((s + ${v:-0}))
	done
	echo $s
}
nsup() { R --scan --pattern 'outpost:*sup:*' | wc -l; }
# nsupent -- suppression entries in all buckets
nsupent() {
	local k s=0
	for k in $(R --scan --pattern 'outpost:*sup:*'); do
		s=$((s + $(R hlen "$k")))
	done
	echo $s
}
# evall QID RCPT FIELD -- FIELD of every event of QID for RCPT, sorted
evall() {
	R eval "local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local k = 'outpost:{log}:e:' .. id
  if redis.call('HGET', k, 'rcpt') == ARGV[1] then
    out[#out + 1] = redis.call('HGET', k, ARGV[2]) or ''
  end
end
table.sort(out)
return table.concat(out, ',')" 1 "outpost:{log}:q:$1" "$2" "$3"
}

: >"$MAILLOG"
fb_start --from-start
te_wait grep -q "following" "$T/feedback.log" || te_fail "$(cat "$T/feedback.log")"

# -- 1. local submission: [uid:0] ------------------------------------------
L1=$(local_send ok-s1@outpost.test ok-l1@example.org unknown-l1@example.org)
ok "sendmail: queued ($L1)" test -n "$L1"
te_wait has_events "$L1" 3
check "local: who" "$(evq "$L1" ok-l1@example.org who)" "[uid:0]"
check "local: delivered" "$(evq "$L1" ok-l1@example.org status)" delivered
check "local: hard bounce" "$(evq "$L1" unknown-l1@example.org category)" hard
check "local: no client address" "$(evq "$L1" ok-l1@example.org client)" ""
check "local: the hard bounce suppresses nothing" "$(nsup)" 0
check "local: counted for [uid:0]" "$(fig '[uid:0]' sent)" 2
check "local: no account made for [uid:0]" \
    "$(R exists 'outpost:{u:[uid:0]}:acct')" 0
out=$(ctl log --user '[uid:0]' --json)
check "log --user [uid:0]: its events (2 + the notice)" \
    "$(printf '%s' "$out" | "$TE_PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 3
like "$(ctl log --user '[uid:0]')" "user   \\[uid:0\\]" "log --user [uid:0]: text form"

# -- 2. relayed without SASL for a mynetworks client: [127.0.0.1] ----------
out=$(te_swaks --port "$TE_PORT_SMTP" --from ok-s2@outpost.test \
    --to unknown-i1@example.org)
I1=$(te_queue_id "$(te_data_reply "$out")")
te_wait has_events "$I1" 1
check "internal: who" "$(evq "$I1" unknown-i1@example.org who)" "[127.0.0.1]"
check "internal: hard bounce, nothing suppressed" "$(nsup)" 0
check "internal: never paused (no account state written)" \
    "$(R exists 'outpost:{u:[127.0.0.1]}:acct')" 0

# -- 3. bounce notices ----------------------------------------------------
# alice's hard bounce; her own address takes the notice.
Q1=$(send alice@outpost.test n1 unknown-n1@example.org)
N1=$(notice "$Q1")
ok "notice of $Q1 is $N1" test -n "$N1"
te_wait has_events "$Q1" 2
check "notice: filed under the original's queue ID" \
    "$(evq "$Q1" alice@outpost.test notice)" "$N1"
check "notice: its status" "$(evq "$Q1" alice@outpost.test status)" delivered
check "notice: category" "$(evq "$Q1" alice@outpost.test category)" notice
check "notice: class" "$(evq "$Q1" alice@outpost.test class)" non-delivery
check "notice: the original's user" "$(evq "$Q1" alice@outpost.test who)" \
    alice@outpost.test
check "notice: null sender" "$(evq "$Q1" alice@outpost.test from)" ""
check "notice: not under its own queue ID" "$(nev "$N1")" 0
like "$(ctl log --queue-id "$Q1")" "queue  $Q1 \\(notice $N1\\)" \
    "log --queue-id ORIG shows where the notice went"
check "notice: --json field" "$(ctl log --queue-id "$Q1" --json |
    "$TE_PY" -c 'import json,sys; print(sorted(str(e["notice"]) for e in json.load(sys.stdin)))')" "['$N1', 'None']"
# An envelope sender that is itself undeliverable: the notice bounces.
Q2=$(send unknown-s3@outpost.test n2 unknown-n2@example.org)
N2=$(notice "$Q2")
te_wait has_events "$Q2" 2
check "bounced notice: status" "$(evq "$Q2" unknown-s3@outpost.test status)" bounced
check "bounced notice: category notice, not hard" \
    "$(evq "$Q2" unknown-s3@outpost.test category)" notice
check "bounced notice: the reply kept" \
    "$(evq "$Q2" unknown-s3@outpost.test dsn)" 5.1.1
check "alice: 2 attempts (notices are none)" "$(fig alice@outpost.test sent)" 2
check "alice: 2 hard bounces (a notice bouncing is none)" \
    "$(fig alice@outpost.test hard)" 2
check "alice: 0 delivered (the delivered notice is none)" \
    "$(fig alice@outpost.test delivered)" 0
ok "the recipients' hard bounces suppressed for alice" \
    ctl suppress check unknown-n2@example.org --user alice@outpost.test
ok "the bounced notice suppressed nothing" bash -c "! '$CTL_BIN' -c '$CONF' \
    suppress check unknown-s3@outpost.test --user alice@outpost.test"
check "suppressions: exactly the two recipients" "$(nsupent)" 2
# 2/2 hard with a 1% rate and a sample of 1: paused by her own bounces
# only (the notices of [uid:0] and [127.0.0.1] count for no one).
check "alice: paused by her hard bounces" \
    "$(R hget 'outpost:{u:alice@outpost.test}:acct' state)" suspended
ctl user resume alice@outpost.test >/dev/null

# -- 4. status=expired after a restart -------------------------------------
Q3=$(send alice@outpost.test x1 "ok-x1@example.org,defer-x1@example.org,defer-x2@example.org")
te_wait has_events "$Q3" 3
check "expiry: deferred first" "$(evq "$Q3" defer-x1@example.org status)" deferred
fb_stop
postconf -c "$T/etc" -e maximal_queue_lifetime=1s bounce_queue_lifetime=1s
postfix -c "$T/etc" reload >/dev/null 2>&1
sleep 2
postqueue -c "$T/etc" -f
te_wait grep -q " $Q3: from=<.*status=expired" "$MAILLOG" ||
    te_fail "no expiry: $(grep " $Q3: " "$MAILLOG")"
fb_start
x2_expired() { evall "$Q3" defer-x2@example.org status | grep -q expired; }
te_wait x2_expired
check "expired: defer-x1 (deferred twice, then expired)" \
    "$(evall "$Q3" defer-x1@example.org status)" deferred,deferred,expired
check "expired: defer-x2" "$(evall "$Q3" defer-x2@example.org status)" \
    deferred,deferred,expired
check "expired: ok-x1 was delivered, not expired" \
    "$(evall "$Q3" ok-x1@example.org status)" delivered
check "alice: expired counted" "$(fig alice@outpost.test expired)" 2

# -- 5. soft_bounce = yes ---------------------------------------------------
postconf -c "$T/etc" -e soft_bounce=yes maximal_queue_lifetime=5d \
    bounce_queue_lifetime=5d
postfix -c "$T/etc" reload >/dev/null 2>&1
Q4=$(send alice@outpost.test s1 unknown-sb1@example.org)
te_wait has_events "$Q4" 1
ok "Postfix logged SOFTBOUNCE" grep -q " $Q4: .*status=SOFTBOUNCE" "$MAILLOG"
check "SOFTBOUNCE: a deferral" "$(evq "$Q4" unknown-sb1@example.org status)" deferred
ok "SOFTBOUNCE: nothing suppressed" bash -c "! '$CTL_BIN' -c '$CONF' \
    suppress check unknown-sb1@example.org --user alice@outpost.test"
te_wait grep -q "soft_bounce = yes" "$T/feedback.log"
check "soft_bounce: warned once" "$(grep -c 'soft_bounce = yes' "$T/feedback.log")" 1

# -- 6. a line it cannot place ----------------------------------------------
echo "Dec 02 09:22:05 mx postfix/smtpd[1]: utter nonsense here" >>"$MAILLOG"
te_wait grep -q "line not placed: .*utter nonsense" "$T/feedback.log"
ok "unplaced line logged at debug" grep -q "line not placed: .*utter nonsense" "$T/feedback.log"
fb_stop
like "$(grep 'stopped:' "$T/feedback.log")" "unknown=[1-9]" "unplaced lines counted"

done_testing
