#!/bin/bash
# milter-authz.t -- who may send as which domain: outpost-milter's sender
# authorisation behind a real private Postfix with outpost-policyd, driven
# by swaks with SASL.  Users and domains are made with outpostctl.
#
# bob may use example.com and example.org; customer2.example.net belongs
# to someone else but has keys here (a hosting provider's other customer).
# With authorize_senders = yes (the default), sign_subdomains = no:
#   - From a domain bob was not given: 550 5.7.1 naming user and domain,
#     never signed, whether the domain has keys or not, and the count
#     outpost-policyd made at end of data given back;
#   - From his own verified domain: signed, dkimpy passes;
#   - From a subdomain of it: 550 5.7.1 not verified for sending;
#   - From an allowed domain that is not verified: 550 5.7.1, then signed
#     once it is verified (the milter's cache holds at most 5 s);
#   - an account without domains: refused; `user deny` holds within 5 s;
#   - mail from the internal address without SASL: signed as before;
#   - Redis unreachable for the milter: 451 4.3.0 (on_error = defer) or
#     delivered unsigned (on_error = accept), never signed;
#   - a Redis without the schema marker (empty): the same, not 550
#     "unknown sending account"; judged again after outpostctl init.
# Then sign_subdomains = yes (the subdomain signed with d=example.com) and
# authorize_senders = no (the account without domains may send; the
# other customer's domain is still refused).
#
# The verified state is set in Redis directly (the layout of lib/schema.h)
# where outpostctl domain verify would write it after checking DNS; that
# command has its own test.
. "$(dirname "$0")/lib/outpostenv.sh"
te_outpost_need "$POLICYD" "$MILTER" "$CTL_BIN"

te_redis_start
mkdir -p "$T/out" "$T/msg"
te_outpost_conf <<EOF
redis_timeout = 1s
milter_socket = unix:$T/run/milter.sock
dns_nameserver = 127.0.0.1@9
dns_timeout = 1s
internal_hosts = 127.0.0.1/32
sign_daemon_name = ORIGINATING
# no DNS here: the DMARC prediction has its own test (milter-align.t)
require_alignment = no
EOF

te_ctl_setup "domain add example.com --selector t" \
    "domain add example.org --selector t" \
    "domain add customer2.example.net --selector t"
te_dns_from_keys "$T/keys" >"$T/dns.txt"

# verify DOMAIN -- record DOMAIN as verified, as domain verify would.
verify() {
	te_redis_cli hset "outpost:domain:$1" state verified checked "$(date +%s)" >/dev/null &&
	    te_redis_cli sadd outpost:domains "$1" >/dev/null
}
verify example.com
verify customer2.example.net

te_ctl_setup "plan set std messages=100/1h" \
    "user add bob@example.com --plan std --domain example.com --domain example.org" \
    "user add carol@example.com --plan std" \
    "user add other@customer2.example.net --plan std --domain customer2.example.net"

te_policyd_start

# milter [KEY = VALUE...] -- (re)start the milter with $CONF, those keys
# replaced or added.
milter() {
	local l keys=""
	te_bg_alive milter && te_bg_stop milter
	for l in "$@"; do keys="$keys|${l%% =*}"; done
	{ grep -Ev "^(${keys#|}) =" "$CONF"; printf '%s\n' "$@"; } >"$T/milter.conf"
	te_milter_start "$T/milter.conf"
}
milter
# Postfix gets etc/postfix/main.cf.policyd exactly as shipped.
te_postfix_policyd
te_sasl_users bob@example.com carol@example.com
diag "test dir $T"

# msg TOKEN FROM -- a message file with that From address.
msg() {
	printf 'From: Sender <%s>\nTo: <rcpt@example.org>\nSubject: %s\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@authz.test>\n\nHello.\n' \
	    "$2" "$1" "$1" >"$T/msg/$1.eml"
	echo "$T/msg/$1.eml"
}

# send USER ENVFROM FROM TOKEN -- submit with AUTH; prints the final reply.
send() {
	te_data_reply "$(te_submit "$(msg "$4" "$3")" "$4" "$1" "$PW" \
	    --from "$2")"
}

# used USER -- messages counted against USER's messages=100/1h now.
used() { te_used "$1" messages=100/1h; }

QUEUED='^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'

# delivered TOKEN REPLY NSIGS [D] -- delivered with NSIGS signatures of
# d=D (default example.com) that dkimpy passes.
delivered() {
	local out="$T/out/$1.eml" want
	if ! ok "$1: delivered" te_fetch "$(te_queue_id "$2")" "$1" "$out"; then
		skip 2 "$1 not delivered"
		return
	fi
	is "$(te_count_sigs "$out")" "$3" "$1: $3 DKIM-Signature header(s)"
	[ "$3" = 0 ] && { skip 1 "$1: unsigned"; return; }
	want="a=ed25519-sha256 d=${4:-example.com} s=te result=pass
a=rsa-sha256 d=${4:-example.com} s=tr result=pass"
	is "$(te_verify_dkimpy "$out" "$T/dns.txt" | sed 's/^i=[0-9]* //' | sort)" \
	    "$want" "$1: dkimpy passes both signatures"
}

# not_delivered TOKEN -- nothing reached the sink for TOKEN.
not_delivered() {
	sleep 0.5
	ok "$1: nothing delivered" test -z "$(ls "$T/sink" 2>/dev/null |
	    xargs -r grep -l "rcpt-$1@" 2>/dev/null)"
}

mlog() { grep -F "$1" "$T/milter.log" | tail -1; }

# 1. The hole: bob signs as another customer's domain.
u0=$(used bob@example.com)
r=$(send bob@example.com bob@example.com boss@customer2.example.net cross)
is "$r" "550 5.7.1 bob@example.com is not authorised to send as customer2.example.net" \
    "cross-customer From: 550 5.7.1 naming user and domain"
not_delivered cross
is "$(used bob@example.com)" "$u0" "cross-customer: policyd's count refunded"
like "$(mlog 'from_domain=customer2.example.net')" \
    '^[0-9T:.Z-]+ outpost-milter\[[0-9]+\]: info: [0-9A-Za-z]+: sender user=bob@example\.com env_domain=example\.com from_domain=customer2\.example\.net verdict=refused reason=bob@example\.com is not authorised' \
    "cross-customer: logged with queue ID, user, both domains, verdict, reason" ||
    diag "$(tail -5 "$T/milter.log")"
like "$(mlog 'refunded user=bob@example.com')" 'counter' "cross-customer: refund logged"

r=$(send bob@example.com bob@example.com boss@nokeys.example.net nokeys)
is "$r" "550 5.7.1 bob@example.com is not authorised to send as nokeys.example.net" \
    "domain without keys: refused all the same"

# 2. His own verified domain: signed.
u0=$(used bob@example.com)
r=$(send bob@example.com bob@example.com bob@example.com own)
like "$r" "$QUEUED" "own verified domain: accepted"
delivered own "$r" 2
is "$(used bob@example.com)" "$((u0 + 1))" "own domain: counted once"
like "$(mlog 'from_domain=example.com verdict=allowed')" \
    'sender user=bob@example\.com env_domain=example\.com from_domain=example\.com verdict=allowed$' \
    "allowed: logged"

# 3. A subdomain: allowed for bob, but not verified on its own.
r=$(send bob@example.com bob@example.com news@news.example.com sub)
is "$r" "550 5.7.1 news.example.com: not verified for sending" \
    "subdomain, sign_subdomains = no: not verified"

# 4. Allowed but not verified, then verified (within the 5 s cache).
r=$(send bob@example.com bob@example.com bob@example.org unver)
is "$r" "550 5.7.1 example.org: not verified for sending" \
    "allowed, unverified domain: 550 5.7.1 not verified"
verify example.org
sleep 5.5
r=$(send bob@example.com bob@example.com bob@example.org ver)
like "$r" "$QUEUED" "the same domain once verified: accepted"
delivered ver "$r" 2 example.org

# 5. An account without domains may send as nothing.
r=$(send carol@example.com carol@example.com carol@example.com nodom)
is "$r" "550 5.7.1 carol@example.com is not authorised to send as example.com: the account has no sending domains" \
    "account without domains: refused"

# 6. The admin takes example.com away: refused within 5 s.
r=$(send bob@example.com bob@example.org bob@example.com before-deny)
like "$r" "$QUEUED" "envelope example.org, From example.com: accepted (misalignment only logged)"
ctl user deny bob@example.com example.com >>"$T/ctl.out" 2>&1
sleep 5.5
r=$(send bob@example.com bob@example.org bob@example.com after-deny)
is "$r" "550 5.7.1 bob@example.com is not authorised to send as example.com" \
    "user deny: refused within 5 s on the milter"
ctl user allow bob@example.com example.com >>"$T/ctl.out" 2>&1

# 7. The admin's own mail (internal address, no SASL) is not judged.
r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$(msg internal boss@customer2.example.net)" internal)")
like "$r" "$QUEUED" "internal host without SASL: accepted"
delivered internal "$r" 2 customer2.example.net

# 8. Redis unreachable for the milter: never a signature for an unchecked
#    domain.  (policyd keeps its own Redis, so RCPT passes.)
milter "redis_address = unix:$T/nothing.sock"
r=$(send bob@example.com bob@example.com bob@example.com redis-down)
like "$r" '^451 4\.3\.0 cannot check sender authorisation: redis: .*; try again later$' \
    "Redis unreachable, on_error = defer: 451 4.3.0"
milter "redis_address = unix:$T/nothing.sock" "on_error = accept"
r=$(send bob@example.com bob@example.com bob@example.com redis-accept)
like "$r" "$QUEUED" "Redis unreachable, on_error = accept: accepted"
delivered redis-accept "$r" 0
like "$(mlog 'redis-accept')$(mlog 'passed UNSIGNED')" 'passed UNSIGNED \(on_error = accept\)' \
    "on_error = accept: logged as passed unsigned"

# 8b. A Redis without outpost's data (emptied, restarted without
#     persistence; here: another redis_db, empty, while policyd keeps
#     db 0): an outage, not "unknown sending account" for everyone.
milter "redis_db = 1"
r=$(send bob@example.com bob@example.com bob@example.com unmarked)
is "$r" "451 4.3.0 cannot check sender authorisation: sending policy data unavailable (Redis lacks outpost's schema marker); try again later" \
    "empty Redis, on_error = defer: 451 4.3.0, not 550 unknown account"
not_delivered unmarked
r=$(send bob@example.com bob@example.com bob@example.com unmarked2)
like "$r" '^451 4\.3\.0 ' "... the next message too"
is "$(grep -c 'the schema marker outpost:schema is missing: this Redis holds no outpost data' "$T/milter.log")" 1 \
    "the missing marker logged once, not per message"
milter "redis_db = 1" "on_error = accept"
r=$(send bob@example.com bob@example.com bob@example.com unmarked-accept)
like "$r" "$QUEUED" "empty Redis, on_error = accept: accepted, not judged"
delivered unmarked-accept "$r" 0
"$CTL_BIN" -c "$T/milter.conf" init >"$T/init.out" 2>&1
like "$(cat "$T/init.out")" "marked as outpost's: outpost:schema = 2 \\(0 users" \
    "outpostctl init marks the empty db"
sleep 1.1
r=$(send bob@example.com bob@example.com bob@example.com marked-empty)
is "$r" "550 5.7.1 unknown sending account bob@example.com" \
    "marked: judged again (bob is not in that db)"
like "$(mlog 'schema marker')" 'the schema marker outpost:schema is back: judging again \(1 messages answered' \
    "... and its return logged"

# 9. sign_subdomains = yes: a verified domain covers its subdomains,
#    signed with the parent's d= (aligned under relaxed DMARC).
milter "sign_subdomains = yes"
r=$(send bob@example.com bob@example.com news@news.example.com sub2)
like "$r" "$QUEUED" "subdomain, sign_subdomains = yes: accepted"
delivered sub2 "$r" 2 example.com

# 10. authorize_senders = no: the first rule alone.
milter "authorize_senders = no"
r=$(send carol@example.com carol@example.com carol@example.com nodom2)
like "$r" "$QUEUED" "authorize_senders = no: account without domains may send"
delivered nodom2 "$r" 2
r=$(send bob@example.com bob@example.com boss@customer2.example.net cross2)
is "$r" "550 5.7.1 bob@example.com is not authorised to send as customer2.example.net" \
    "authorize_senders = no: another customer's domain still refused"
r=$(send bob@example.com bob@example.com news@news.example.com sub3)
like "$r" "$QUEUED" "authorize_senders = no: allowed subdomain accepted (no keys: unsigned)"

done_testing
