#!/bin/bash
# policyd-postfix.t -- outpost-policyd and outpost-milter behind a real
# private Postfix, driven by swaks: what a client of a hosting provider
# sees.  Users, plans and suppressions are made with outpostctl.
#
# Postfix asks outpost-policyd in smtpd_recipient_restrictions (before
# permit_sasl_authenticated) and in smtpd_end_of_data_restrictions; the
# milter signs and, when it refuses a message policyd already counted,
# refunds the count.  Each SMTP reply is checked word for word (Postfix's
# own "<addr>: Recipient address rejected: " prefix included): a normal
# message (250, signed), a suppressed recipient (hard bounce 550 5.1.1,
# complaint 550 5.7.1), a suspended user (554 5.7.1 with the reason) and
# its resumption, an unknown account (554 5.7.1), a sender domain not
# allowed (553 5.7.1), the message limit (450 4.7.1 naming it, at RCPT),
# a recipients limit at end of data (450 4.7.1, all or nothing), a month
# limit (550 5.7.1), messages that can never fit (552 5.3.4, 550 5.5.3),
# the refund of a message the milter rejects, mail without SASL (not
# limited; signed only from the internal address), a user override, Redis
# down (451 4.3.0) and back, outpost-policyd down (Postfix's
# default_action from the shipped etc/postfix/main.cf.policyd).
. "$(dirname "$0")/lib/outpostenv.sh"
te_outpost_need "$POLICYD" "$MILTER" "$CTL_BIN"

NOFROM="$TE_CORPUS/b01-no-from.eml"

# submit USER TOKEN [SWAKS ARGS...] -- 01-simple with AUTH as USER to
# rcpt-TOKEN@example.org; prints the reply that ended the transaction.
submit() { te_submit_reply "$@"; }

# used USER LIMIT -- how much of USER's LIMIT ("messages=3/1h") is used
# now, as outpostctl user show --json reads the counters.
used() { te_used "$@"; }

# How often outpost-policyd logged a (re)connection to Redis.
connects() { grep -c 'redis .*: connected$' "$T/policyd.log"; }
connected_since() { [ "$(connects)" -gt "$1" ]; }

te_redis_start
mkdir -p "$T/out"
te_outpost_conf <<EOF
redis_timeout = 1s
on_error = defer
log_level = info
milter_socket = unix:$T/run/milter.sock
dns_nameserver = 127.0.0.1@9
dns_timeout = 1s
internal_hosts = 127.0.0.1/32
sign_daemon_name = ORIGINATING
authorize_senders = no
# no DNS in this test: the DMARC prediction has its own (milter-align.t)
require_alignment = no
EOF

te_ctl_setup "domain add example.com --selector t"
te_dns_from_keys "$T/keys" >"$T/dns.txt"

te_policyd_start
te_milter_start

# Postfix gets etc/postfix/main.cf.policyd exactly as shipped.
[ "$(grep -c "unix:outpost/policy.sock," "$TE_ROOT/etc/postfix/main.cf.policyd")" = 2 ] ||
    te_fail "etc/postfix/main.cf.policyd: two check_policy_service lines expected"
te_postfix_policyd
te_sasl_users {alice,bob,carol,dave,erin,eve}@example.com
diag "test dir $T, policyd on $PSOCK"

te_ctl_setup "plan set small messages=3/1h" "plan set two messages=2/1h" \
    "plan set tiny bytes=100/1h" "plan set rcpt recipients=3/1h" \
    "plan set monthly messages=1/month" \
    "user add alice@example.com --plan small --domain example.com" \
    "user add bob@example.com --plan two --domain example.com" \
    "user add carol@example.com --plan tiny --domain example.com" \
    "user add dave@example.com --plan rcpt --domain example.com" \
    "user add erin@example.com --plan monthly" \
    "suppress add bounce@example.org --reason hard-bounce" \
    "suppress add complainer@example.org --reason complaint" \
    "suppress add unsub@example.org --user alice@example.com --reason unsubscribe"

WANT_SIGS="a=ed25519-sha256 d=example.com s=te result=pass
a=rsa-sha256 d=example.com s=tr result=pass"
QUEUED='^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
RR='Recipient address rejected'
EOD='<END-OF-MESSAGE>: End-of-data rejected'
WHEN='[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} UTC'

# check_delivered TOKEN QID NSIGS -- at the sink with NSIGS signatures
# (all passing dkimpy when there are any).
check_delivered() {
	local out="$T/out/$1.eml"
	if ! ok "$1: delivered" te_fetch "$2" "$1" "$out"; then
		skip 2 "$1 not delivered"
		return
	fi
	is "$(te_count_sigs "$out")" "$3" "$1: $3 DKIM-Signature header(s)"
	if [ "$3" = 0 ]; then
		skip 1 "$1: unsigned"
	else
		is "$(te_verify_dkimpy "$out" "$T/dns.txt" |
		    sed 's/^i=[0-9]* //' | sort)" "$WANT_SIGS" \
		    "$1: dkimpy passes both signatures"
	fi
}

# 1. A normal message: accepted, counted once, signed.
t1=$(date +%s)
r=$(submit alice@example.com a1 --timeout 60)
[ -n "$r" ] || ! grep -q 'fatal:' "$T/maillog" ||
    te_fail "postfix: $(grep 'fatal:' "$T/maillog" | head -1)"
like "$r" "$QUEUED" "alice, a normal message: $r"
check_delivered a1 "$(te_queue_id "$r")" 2
is "$(used alice@example.com messages=3/1h)" 1 \
    "alice: the message was counted once (END-OF-MESSAGE)"

# 2. Suppressed recipients, refused at RCPT with reason and date.
day=$(ctl suppress list | awk '$1 == "bounce@example.org" { print substr($3, 1, 10) }')
like "$day" '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' "suppress list: the entry's date ($day)"
is "$(submit alice@example.com x --to bounce@example.org)" \
    "550 5.1.1 <bounce@example.org>: $RR: <bounce@example.org>: recipient suppressed: hard-bounce since $day" \
    "hard-bounced recipient: 550 5.1.1 with reason and date"
day=$(ctl suppress list | awk '$1 == "complainer@example.org" { print substr($3, 1, 10) }')
is "$(submit alice@example.com x --to complainer@example.org)" \
    "550 5.7.1 <complainer@example.org>: $RR: <complainer@example.org>: recipient suppressed: complaint since $day" \
    "complaint-suppressed recipient: 550 5.7.1"
day=$(ctl suppress list --user alice@example.com | awk '$1 == "unsub@example.org" { print substr($3, 1, 10) }')
is "$(submit alice@example.com x --to unsub@example.org)" \
    "550 5.7.1 <unsub@example.org>: $RR: <unsub@example.org>: recipient suppressed for this account: unsubscribe since $day" \
    "alice's own suppression list: 550 5.7.1 ... for this account"
day=$(ctl suppress list | awk '$1 == "bounce@example.org" { print substr($3, 1, 10) }')
is "$(submit alice@example.com x --to bounce@EXAMPLE.ORG)" \
    "550 5.1.1 <bounce@EXAMPLE.ORG>: $RR: <bounce@EXAMPLE.ORG>: recipient suppressed: hard-bounce since $day" \
    "the recipient's domain is normalised before the lookup"
#    Addresses Postfix would rewrite to bounce@example.org (percent hack,
#    bang path) are refused, not delivered around the suppression.
for to in 'bounce%example.org' 'example.org!bounce'; do
	is "$(submit alice@example.com x --to "$to")" \
	    "550 5.1.3 <$to>: $RR: <$to>: recipient address not accepted (missing '@'): write it as local-part@domain" \
	    "$to: 550 5.1.3, not delivered to the suppressed address"
done
is "$(postconf -c "$T/etc" -h allow_percent_hack swap_bangpath 2>/dev/null | tr '\n' ' ')" \
    "no no " "the shipped main.cf.policyd turns both rewrites off"
unlike "$(grep -c 'to=<bounce@example.org>.* status=sent' "$T/maillog")" '^[1-9]' \
    "nothing was delivered to bounce@example.org"
#    The local part's case (suppress_fold_case = yes, the default):
#    Bounce@ is bounce@.  An entry stored before the fold (the address
#    itself as field, bucket FNV-1a of it) still matches its own case, and
#    every case once "outpostctl suppress migrate" re-filed it.
day=$(ctl suppress list | awk '$1 == "bounce@example.org" { print substr($3, 1, 10) }')
is "$(submit alice@example.com x --to Bounce@example.org)" \
    "550 5.1.1 <Bounce@example.org>: $RR: <Bounce@example.org>: recipient suppressed: hard-bounce since $day" \
    "Bounce@ while bounce@ is suppressed: 550 5.1.1"
b=$("$TE_PY" -c '
import sys
h = 2166136261
for c in sys.argv[1].encode(): h = ((h ^ c) * 16777619) & 0xffffffff
print(h % 4096)' Legacy@example.org)
te_redis_cli HSET "outpost:sup:$b" Legacy@example.org $((3 + 4 * ($(date +%s) / 60))) >/dev/null
day=$(date -u +%Y-%m-%d)
is "$(submit alice@example.com x --to Legacy@example.org)" \
    "550 5.7.1 <Legacy@example.org>: $RR: <Legacy@example.org>: recipient suppressed: manual since $day" \
    "an entry stored before the fold matches its own case"
ctl suppress migrate >/dev/null
is "$(submit alice@example.com x --to LEGACY@example.org)" \
    "550 5.7.1 <LEGACY@example.org>: $RR: <LEGACY@example.org>: recipient suppressed: manual since $day" \
    "after suppress migrate: any case"
is "$(used alice@example.com messages=3/1h)" 1 "alice: refused recipients counted nothing"

# 3. Suspension takes effect at the next request, and so does resume.
ctl user suspend alice@example.com --reason "compromised account" >/dev/null
is "$(submit alice@example.com s1)" \
    "554 5.7.1 <rcpt-s1@example.org>: $RR: sending account suspended: compromised account" \
    "suspended user: 554 5.7.1 with the reason"
ctl user resume alice@example.com >/dev/null
r=$(submit alice@example.com s2)
like "$r" "$QUEUED" "resumed: accepted again at the next message"
check_delivered s2 "$(te_queue_id "$r")" 2

# 4. Envelope sender domain not allowed for the user.
is "$(submit alice@example.com x --from alice@other.example.net)" \
    "553 5.7.1 <rcpt-x@example.org>: $RR: <alice@other.example.net>: not authorised to send as other.example.net" \
    "sender domain not allowed: 553 5.7.1"
r=$(submit alice@example.com x --from alice@lists.example.com --to bounce@example.org)
like "$r" '^550 5\.1\.1 ' "a subdomain of an allowed domain is allowed (next check: suppression)"

# 5. The message limit: 3/1h, 2 used; the 3rd passes, the 4th does not.
r=$(submit alice@example.com a3)
like "$r" "$QUEUED" "alice's 3rd message: accepted"
is "$(used alice@example.com messages=3/1h)" 3 "alice: 3 messages used"
r=$(submit alice@example.com a4)
t4=$(date +%s)
like "$r" "^450 4\.7\.1 <rcpt-a4@example\.org>: $RR: sending limit messages=3/1h reached, try again after $WHEN\$" \
    "alice's 4th message: 450 4.7.1 naming the limit, at RCPT"
free=$(date -u -d "$(printf '%s' "$r" | sed 's/.* after //')" +%s)
ok "the limit frees about an hour after the first message ($((free - t1)) s)" \
    test "$free" -ge $((t1 + 3600 - 61)) -a "$free" -le $((t4 + 3600 + 61))
is "$(used alice@example.com messages=3/1h)" 3 "alice: still 3 used"

#    At END-OF-MESSAGE: a message that can never fit, and all-or-nothing.
r=$(submit carol@example.com c1)
like "$r" "^552 5\.3\.4 $EOD: message size [0-9]+ exceeds the limit bytes=100/1h\$" \
    "carol (bytes=100/1h): 552 5.3.4 at end of data"
is "$(used carol@example.com bytes=100/1h)" 0 "carol: nothing counted"
r=$(submit dave@example.com d0 --to rcpt-d0a@example.org,rcpt-d0b@example.org,rcpt-d0c@example.org,rcpt-d0d@example.org)
is "$r" "550 5.5.3 $EOD: too many recipients (4) for the limit recipients=3/1h" \
    "dave (recipients=3/1h), 4 recipients: 550 5.5.3 at end of data"
r=$(submit dave@example.com d1 --to rcpt-d1a@example.org,rcpt-d1b@example.org)
like "$r" "$QUEUED" "dave (recipients=3/1h): 2 recipients accepted"
r=$(submit dave@example.com d2 --to rcpt-d2a@example.org,rcpt-d2b@example.org)
like "$r" "^450 4\.7\.1 $EOD: sending limit recipients=3/1h reached, try again after $WHEN\$" \
    "dave: 2 more recipients do not fit: 450 4.7.1 at end of data"
is "$(used dave@example.com recipients=3/1h)" 2 "dave: the refused message counted nothing"
r=$(submit dave@example.com d3)
like "$r" "$QUEUED" "dave: 1 more recipient fits"
is "$(used dave@example.com recipients=3/1h)" 3 "dave: 3 recipients used"

#    Windows longer than a day, here a calendar month: 550 5.7.1.
r=$(submit erin@example.com e1 --from erin@anything.example)
like "$r" "$QUEUED" "erin (messages=1/month, no domain restriction): accepted"
like "$(submit erin@example.com e2)" \
    "^550 5\.7\.1 <rcpt-e2@example\.org>: $RR: sending limit messages=1/month reached until [0-9]{4}-[0-9]{2}-01 00:00:00 UTC\$" \
    "erin's 2nd message: 550 5.7.1 until the first of a month"

#    A SASL user outpostctl does not know.
is "$(submit eve@example.com v1)" \
    "554 5.7.1 <rcpt-v1@example.org>: $RR: unknown sending account" \
    "unknown sending account: 554 5.7.1"

# 6. Refund: the milter rejects a message policyd has counted (no From:
#    Postfix runs smtpd_end_of_data_restrictions first) and gives the
#    count back.  bob: messages=2/1h.
is "$(te_data_reply "$(te_submit "$NOFROM" b0 bob@example.com "$PW")")" \
    "550 5.7.1 message has no From header" \
    "bob, a message without From: the milter's 550 5.7.1"
is "$(used bob@example.com messages=2/1h)" 0 "bob: the rejected message is not counted"
like "$(grep -c 'refunded user=bob@example\.com: 1 counter given back' "$T/milter.log")" \
    '^1$' "the milter logged the refund"
r=$(submit bob@example.com b1)
like "$r" "$QUEUED" "bob's 1st good message: accepted"
is "$(used bob@example.com messages=2/1h)" 1 "bob: 1 message used"
r=$(submit bob@example.com b2)
like "$r" "$QUEUED" "bob's 2nd good message: accepted"
check_delivered b2 "$(te_queue_id "$r")" 2
like "$(submit bob@example.com b3)" \
    "^450 4\.7\.1 <rcpt-b3@example\.org>: $RR: sending limit messages=2/1h reached, try again after $WHEN\$" \
    "bob's 3rd good message: 450 4.7.1 (the rejected one did not use the limit)"

# 7. Mail without SASL is not limited: alice (at her limit) as envelope
#    sender from the external 127.0.0.2 and from the internal 127.0.0.1.
r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$MSG" ext --local-interface 127.0.0.2)")
like "$r" "$QUEUED" "external client, no AUTH, alice's address: accepted"
check_delivered ext "$(te_queue_id "$r")" 0
r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$MSG" int)")
like "$r" "$QUEUED" "internal client, no AUTH: accepted"
check_delivered int "$(te_queue_id "$r")" 2
is "$(used alice@example.com messages=3/1h)" 3 "alice: mail without AUTH counted nothing"

# A user override takes effect at the next message.
ctl user set alice@example.com messages=10/1h >/dev/null
r=$(submit alice@example.com a5)
like "$r" "$QUEUED" "alice with an override messages=10/1h: accepted"
is "$(used alice@example.com messages=10/1h)" 4 "alice: 4 of 10 used"

# 8. Redis down: on_error = defer.  Back (with its data): accepted again,
#    outpost-policyd not restarted.
te_redis_cli SAVE >/dev/null
te_redis_stop
is "$(submit alice@example.com r1)" \
    "451 4.3.0 <rcpt-r1@example.org>: $RR: policy service temporarily unavailable, try again later" \
    "Redis down: 451 4.3.0"
nconn=$(connects)
te_redis_start
ok "outpost-policyd reconnected to Redis by itself" te_wait connected_since "$nconn"
r=$(submit alice@example.com r2)
like "$r" "$QUEUED" "Redis back: accepted at the next message"
check_delivered r2 "$(te_queue_id "$r")" 2
is "$(used alice@example.com messages=10/1h)" 5 "alice: counting goes on (5 of 10)"

# 9. outpost-policyd down: Postfix's default_action (fail closed).
te_bg_stop policyd
is "$TE_BG_STATUS" 0 "outpost-policyd exits 0 on SIGTERM"
is "$(submit alice@example.com p1)" \
    "451 4.3.5 <rcpt-p1@example.org>: $RR: Policy service unavailable" \
    "outpost-policyd down: Postfix's default_action 451 4.3.5"

unlike "$(grep 'none at END-OF-MESSAGE' "$T/policyd.log")" . \
    "no warning about a missing smtpd_end_of_data_restrictions"
te_postfix_stop
te_bg_stop milter
is "$TE_BG_STATUS" 0 "outpost-milter exits 0 on SIGTERM"
unlike "$(grep -E 'Sanitizer|runtime error:' "$T/policyd.log" "$T/milter.log")" . \
    "no sanitizer report in the daemons' logs"
done_testing
