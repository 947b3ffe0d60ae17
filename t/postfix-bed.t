#!/bin/bash
# postfix-bed.t -- the integration test bed itself, with OpenDKIM as the
# milter: every signable corpus message (and a 9 MB one) goes through a
# private Postfix (SASL submission port) to smtp-sink, arrives byte for
# byte with only Received + DKIM-Signature added, and its signature passes
# dkimpy and Mail::DKIM.  Internal (127.0.0.1) mail without AUTH is signed,
# "external" mail from 127.0.0.2 is not, a wrong password gets 535.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
[ -x /usr/sbin/opendkim ] || skip_all "opendkim not installed"
te_tmpdir

K="$T/keys"
te_keygen "$K" example.com tr rsa
te_dns_from_keys "$K" >"$T/dns.txt"
te_opendkim_start "$K"
te_postfix_start
te_sasl_user alice@example.com 'S3cret pw'
mkdir -p "$T/out"

big="$T/big-9mb.eml"
"$TE_PY" "$TE_ROOT/t/lib/bigmsg.py" "$big" || te_fail "bigmsg.py failed"

# Send everything first (the queue works meanwhile), then check each.
declare -A qid
for name in $(te_corpus sign) big-9mb; do
	f="$TE_CORPUS/$name.eml"
	[ "$name" = big-9mb ] && f=$big
	reply=$(te_data_reply "$(te_submit "$f" "$name" alice@example.com 'S3cret pw')")
	like "$reply" '^250 2\.0\.0 Ok: queued as ' "$name: accepted with AUTH"
	qid[$name]=$(te_queue_id "$reply")
done

for name in $(te_corpus sign) big-9mb; do
	f="$TE_CORPUS/$name.eml"
	[ "$name" = big-9mb ] && f=$big
	out="$T/out/$name.eml"
	if ! ok "$name: delivered to the sink" te_fetch "${qid[$name]}" "$name" "$out"; then
		skip 4 "$name not delivered"
		continue
	fi
	ok "$name: arrives unchanged but for Received and DKIM-Signature" \
	    te_same_message "$out" "$f"
	is "$(te_count_sigs "$out")" 1 "$name: one DKIM-Signature"
	ok "$name: dkimpy verifies" te_verify_dkimpy "$out" "$T/dns.txt"
	ok "$name: Mail::DKIM verifies" te_verify_maildkim "$out" "$T/dns.txt"
done

# Internal client without AUTH on the plain port: signed.
reply=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$TE_CORPUS/01-simple.eml" internal)")
like "$reply" '^250 ' "internal 127.0.0.1 without AUTH accepted"
ok "internal: delivered" te_fetch "$(te_queue_id "$reply")" internal "$T/out/internal.eml"
is "$(te_count_sigs "$T/out/internal.eml")" 1 "internal: signed"
ok "internal: dkimpy verifies" te_verify_dkimpy "$T/out/internal.eml" "$T/dns.txt"

# External client (127.0.0.2) on the plain port: passes unsigned.
reply=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$TE_CORPUS/01-simple.eml" \
    external --local-interface 127.0.0.2)")
like "$reply" '^250 ' "external 127.0.0.2 accepted"
ok "external: delivered" te_fetch "$(te_queue_id "$reply")" external "$T/out/external.eml"
is "$(te_count_sigs "$T/out/external.eml")" 0 "external: not signed"
grep -q '^Received: from .*127\.0\.0\.2' "$T/out/external.eml"
is $? 0 "external: Postfix saw client 127.0.0.2"
ok "external: verifiers report no signature" \
    bash -c '! "$0" "$1" "$2"' "$TE_ROOT/t/lib/verify-dkimpy.py" \
    "$T/out/external.eml" "$T/dns.txt"

# The SASL database is really consulted.
tr=$(te_submit "$TE_CORPUS/01-simple.eml" badpw alice@example.com wrong)
like "$tr" '<\*\* +535 ' "wrong password: 535"

ok "sink holds exactly the delivered messages" \
    test "$(find "$T/sink" -type f | wc -l)" = $(( $(te_corpus sign | wc -l) + 3 ))
done_testing
