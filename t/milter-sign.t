#!/bin/bash
# milter-sign.t -- outpost-milter signing through a private Postfix.
#
# Every signable corpus message (t/corpus/MANIFEST "sign") and a 9 MB one,
# submitted with SASL AUTH and again from the internal address 127.0.0.1
# without AUTH, reaches smtp-sink unchanged but for the added headers,
# with one rsa-sha256 (s=tr) and one ed25519-sha256 (s=te) signature for
# d=example.com that pass dkimpy (both) and Mail::DKIM (rsa).  Mail from
# 127.0.0.2 on the plain port passes unsigned.  Bad input gets its reply:
# From missing, doubled, listing two addresses, empty or without address
# -> 550 5.7.1 naming the problem; a domain without keys (or a subdomain
# of one that has them) -> delivered unsigned; a domain whose key file is
# mode 0644 -> 451 4.3.0 naming the problem, while example.com mail
# keeps being signed.
#
# The SASL user alice may send as any domain (no domain set, and
# authorize_senders = no): sender authorisation has its own test,
# milter-authz.t.
#
# TE_SIGNER=opendkim runs the same transcript against OpenDKIM (rsa only;
# the bad-input replies are outpost's own and are skipped): the proof
# that the bed, not the milter, is right.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
SIGNER=${TE_SIGNER:-outpost}
MILTER_BIN="$TE_ROOT/milter/outpost-milter"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
case $SIGNER in
outpost)
	[ -x "$MILTER_BIN" ] || skip_all "milter/outpost-milter not built"
	WANT_SIGS="a=ed25519-sha256 d=example.com s=te result=pass
a=rsa-sha256 d=example.com s=tr result=pass" ;;
opendkim)
	WANT_SIGS="a=rsa-sha256 d=example.com s=tr result=pass" ;;
*)	skip_all "TE_SIGNER must be outpost or opendkim" ;;
esac
NSIGS=$(printf '%s\n' "$WANT_SIGS" | wc -l)

# What each bad message must get (EXPECT reject/tempfail): reply ERE.
declare -A WANT_REPLY=(
	[b01-no-from]='^550 5\.7\.1 message has no From header$'
	[b02-two-from]='^550 5\.7\.1 message has 2 From headers; exactly one is allowed$'
	[b03-from-two-addresses]='^550 5\.7\.1 From header lists 2 addresses; exactly one is allowed$'
	[b04-from-empty]='^550 5\.7\.1 From header cannot be parsed: no address in value$'
	[b05-from-no-address]='^550 5\.7\.1 From header cannot be parsed: expected .@. or .<., found end of value at offset [0-9]+$'
	[b08-from-badperm-domain]='^451 4\.3\.0 cannot sign for badperm\.example\.com: signing key unusable; try again later$'
)

te_tmpdir
te_redis_start
K="$T/keys"
PW='S3cret pw'
mkdir -p "$T/out"

cat >"$T/outpost.conf" <<EOF
milter_socket = unix:$T/run/milter.sock
dns_nameserver = 127.0.0.1@9
dns_timeout = 1s
keys_directory = $K
user = outpost
log_destination = stderr
log_level = debug
internal_hosts = 127.0.0.1/32
sign_daemon_name = ORIGINATING
milter_refunds = no
redis_address = unix:$T/redis.sock
authorize_senders = no
# no DNS in this test: the DMARC prediction has its own (milter-align.t)
require_alignment = no
EOF
"$CTL_BIN" -c "$T/outpost.conf" user add alice@example.com >"$T/ctl-user.out" 2>&1 ||
    te_fail "outpostctl user add: $(cat "$T/ctl-user.out")"

# Keys: outpostctl once its "domain add" exists, else the same layout
# made with openssl (te_keygen).  badperm.example.com: a key file 0644.
make_keys() {
	if [ -x "$CTL_BIN" ] &&
	    ! "$CTL_BIN" -c "$T/outpost.conf" domain add 2>&1 |
	    grep -q 'not yet implemented'; then
		"$CTL_BIN" -c "$T/outpost.conf" domain add example.com \
		    --selector t >"$T/ctl-example.out" 2>&1 &&
		"$CTL_BIN" -c "$T/outpost.conf" domain add \
		    badperm.example.com --selector b >"$T/ctl-badperm.out" 2>&1 ||
		te_fail "outpostctl domain add: $(cat "$T"/ctl-*.out)"
		KEYS_BY=outpostctl
	else
		te_keygen "$K" example.com tr rsa
		te_keygen "$K" example.com te ed25519
		te_keygen "$K" badperm.example.com br rsa
		te_keygen "$K" badperm.example.com be ed25519
		chown -R outpost:outpost "$K"
		chmod 700 "$K" "$K"/*
		KEYS_BY=openssl
	fi
	chmod 0644 "$K/badperm.example.com/br.key"
	te_dns_from_keys "$K" >"$T/dns.txt"
}

start_signer() {
	if [ "$SIGNER" = opendkim ]; then
		te_opendkim_start "$K"
		return
	fi
	te_bg milter "$MILTER_BIN" -f -c "$T/outpost.conf"
	te_wait test -S "$T/run/milter.sock" ||
	    te_fail "outpost-milter did not create its socket: $(tail -20 "$T/milter.log")"
	TE_MILTER="unix:$T/run/milter.sock"
}

make_keys
start_signer
te_postfix_start
te_sasl_user alice@example.com "$PW"
diag "signer $SIGNER, keys made by $KEYS_BY, test dir $T"

if [ "$KEYS_BY" = outpostctl ]; then
	is "$(stat -c '%U %a' "$K/example.com/tr.key" "$K/example.com/te.key")" \
	    "outpost 600
outpost 600" "outpostctl: key files owned by outpost, mode 0600"
	is "$(sort "$K/example.com/active" | tr '\n' ' ')" "te tr " \
	    "outpostctl: selectors tr and te active"
fi

big="$T/big-9mb.eml"
"$TE_PY" "$TE_ROOT/t/lib/bigmsg.py" "$big" || te_fail "bigmsg.py failed"
msgfile() { if [ "$1" = big-9mb ]; then echo "$big"; else echo "$TE_CORPUS/$1.eml"; fi; }

# check_signed NAME TOKEN QID -- delivered unchanged, NSIGS signatures,
# all passing dkimpy, the rsa one passing Mail::DKIM.
check_signed() {
	local name=$1 tok=$2 out="$T/out/$2.eml" got
	if ! ok "$tok: delivered" te_fetch "$3" "$tok" "$out"; then
		skip 4 "$tok not delivered"
		return
	fi
	ok "$tok: unchanged but for Received and DKIM-Signature" \
	    te_same_message "$out" "$(msgfile "$name")"
	is "$(te_count_sigs "$out")" "$NSIGS" "$tok: $NSIGS DKIM-Signature header(s)"
	got=$(te_verify_dkimpy "$out" "$T/dns.txt" | sed 's/^i=[0-9]* //' | sort)
	is "$got" "$WANT_SIGS" "$tok: dkimpy passes every signature"
	ok "$tok: Mail::DKIM passes rsa-sha256" \
	    te_verify_maildkim "$out" "$T/dns.txt"
}

# check_unsigned TOKEN QID
check_unsigned() {
	local out="$T/out/$1.eml"
	if ok "$1: delivered" te_fetch "$2" "$1" "$out"; then
		is "$(te_count_sigs "$out")" 0 "$1: not signed"
	else
		skip 1 "$1 not delivered"
	fi
}

# 1. Every signable message, with AUTH and from 127.0.0.1 without AUTH.
#    All are sent first (the queue delivers meanwhile), then checked.
declare -A qid
for name in $(te_corpus sign) big-9mb; do
	r=$(te_data_reply "$(te_submit "$(msgfile "$name")" "$name-auth" \
	    alice@example.com "$PW")")
	like "$r" '^250 2\.0\.0 Ok: queued as ' "$name-auth: accepted"
	qid[$name-auth]=$(te_queue_id "$r")
	r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$(msgfile "$name")" \
	    "$name-int")")
	like "$r" '^250 2\.0\.0 Ok: queued as ' "$name-int: accepted"
	qid[$name-int]=$(te_queue_id "$r")
done
for name in $(te_corpus sign) big-9mb; do
	check_signed "$name" "$name-auth" "${qid[$name-auth]}"
	check_signed "$name" "$name-int" "${qid[$name-int]}"
done

# 2. External client 127.0.0.2, plain port, no AUTH: passes unsigned.
r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$TE_CORPUS/01-simple.eml" \
    ext --local-interface 127.0.0.2)")
like "$r" '^250 ' "ext (127.0.0.2): accepted"
check_unsigned ext "$(te_queue_id "$r")"

# 3. Bad input, with AUTH.
for name in $(te_corpus unsigned); do
	r=$(te_data_reply "$(te_submit "$(msgfile "$name")" "$name" \
	    alice@example.com "$PW")")
	like "$r" '^250 ' "$name: accepted"
	check_unsigned "$name" "$(te_queue_id "$r")"
done
for name in $(te_corpus reject) $(te_corpus tempfail); do
	r=$(te_data_reply "$(te_submit "$(msgfile "$name")" "$name" \
	    alice@example.com "$PW")")
	if [ "$SIGNER" = opendkim ]; then
		skip 2 "$name: outpost's own reply"
		continue
	fi
	like "$r" "${WANT_REPLY[$name]}" "$name: $r"
	ok "$name: nothing queued, nothing delivered" \
	    bash -c '! grep -rqF -e "<rcpt-$0@" "$1"' "$name" "$T/sink"
done

# The reply above named no server path; the log keeps it for the admin.
if [ "$SIGNER" = outpost ]; then
	like "$(grep 'deferred' "$T/milter.log")" \
	    'cannot sign for badperm\.example\.com: key [^ ]*/badperm\.example\.com/br\.key: mode 0644 is unsafe \(want 0600\)' \
	    "b08: the log names the key file and the problem"
else
	skip 1 "b08: outpost's own log"
fi

# 4. A broken key costs only its own domain.
r=$(te_data_reply "$(te_submit "$TE_CORPUS/01-simple.eml" after-badperm \
    alice@example.com "$PW")")
like "$r" '^250 ' "after-badperm: example.com still accepted"
check_signed 01-simple after-badperm "$(te_queue_id "$r")"

if [ "$SIGNER" = outpost ]; then
	ok "outpost-milter still running" te_bg_alive milter
	te_bg_alive milter || diag "$(tail -20 "$T/milter.log")"
	te_postfix_stop
	te_bg_stop milter
	is "$TE_BG_STATUS" 0 "outpost-milter exits 0 on SIGTERM"
	unlike "$(grep -E 'Sanitizer|runtime error:' "$T/milter.log")" . \
	    "no sanitizer report in the milter's log"
fi
done_testing
