#!/bin/bash
# milter-align.t -- will outbound mail pass DMARC at its receivers?  The
# milter's prediction (lib/dmarc, our own rules) behind a real private
# Postfix, with a real nsd serving the test zones and the isolated SPF
# helper checking relay_addresses.  Mail comes from the internal address
# (the admin's own mail is predicted too).
#
# Zones: example.com  keys published, p=reject, SPF allows the relay
#        example.net  no keys here, p=quarantine, SPF allows the relay
#        example.org  p=none, SPF without the relay
# require_alignment = yes, relay_addresses = 192.0.2.25, sign_subdomains:
#   From example.com, signed d=example.com            250 (no DNS needed)
#   From sub.example.com, signed d=example.com         250 (relaxed, via
#                                                      the tree walk)
#   From example.net, unsigned, envelope example.net  250 (SPF aligned)
#   the same with envelope example.org                550 5.7.1 would fail
#   the same with the null sender <>                  550 5.7.1 (DKIM only)
#   From example.org (p=none), not aligned            250, logged
# require_alignment = warn: the 550 case passes, logged.
# A DNS server that never answers: 451 4.4.3 (dns_error_action =
# tempfail), or accepted (accept).  The SPF helper runs as nobody in an
# empty root and comes back after kill -9.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
MILTER="$TE_ROOT/milter/outpost-milter"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
for b in "$MILTER" "$CTL_BIN"; do
	[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
done
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"

te_tmpdir
CONF="$T/outpost.conf"
mkdir -p "$T/out" "$T/msg"
cat >"$CONF" <<EOF
user = outpost
log_destination = stderr
keys_directory = $T/keys
milter_socket = unix:$T/run/milter.sock
internal_hosts = 127.0.0.1/32
milter_refunds = no
sign_subdomains = yes
relay_addresses = 192.0.2.25
require_alignment = yes
dns_timeout = 1s
EOF
"$CTL_BIN" -c "$CONF" domain add example.com --selector t >"$T/ctl.out" 2>&1 ||
    te_fail "outpostctl domain add: $(cat "$T/ctl.out")"
te_dns_from_keys "$T/keys" >"$T/dns.txt"

{
	awk -F'\t' '{ sub(/\.example\.com$/, "", $1); printf "%s TXT (", $1; v = $2
	    while (length(v) > 0) { printf " \"%s\"", substr(v, 1, 255); v = substr(v, 256) }
	    print " )" }' "$T/dns.txt"
	echo '@ TXT "v=spf1 ip4:192.0.2.25 -all"'
	echo '_dmarc TXT "v=DMARC1; p=reject"'
	echo 'sub A 192.0.2.80'
} | te_zone "$T/zones" example.com
te_zone "$T/zones" example.net <<'Z'
@ TXT "v=spf1 ip4:192.0.2.25 -all"
_dmarc TXT "v=DMARC1; p=quarantine"
Z
te_zone "$T/zones" example.org <<'Z'
@ TXT "v=spf1 ip4:198.51.100.1 -all"
_dmarc TXT "v=DMARC1; p=none"
Z
te_nsd_start "$T/zones"
te_dns_blackhole BH

# milter [KEY = VALUE...] -- (re)start the milter with $CONF, those keys
# replaced or added.
milter() {
	local l keys="dns_nameserver"
	te_bg_alive milter && te_bg_stop milter
	for l in "$@"; do keys="$keys|${l%% =*}"; done
	{
		grep -Ev "^($keys) =" "$CONF"
		printf '%s\n' "dns_nameserver = $TE_DNS" "$@" | awk -F' = ' '
		    { v[$1] = $0; if (!($1 in seen)) { seen[$1] = 1; k[n++] = $1 } }
		    END { for (i = 0; i < n; i++) print v[k[i]] }'
	} >"$T/milter.conf"
	rm -f "$T/run/milter.sock"
	te_bg milter "$MILTER" -f -c "$T/milter.conf"
	te_wait test -S "$T/run/milter.sock" ||
	    te_fail "outpost-milter did not start: $(tail -20 "$T/milter.log")"
}
milter
TE_MILTER="unix:$T/run/milter.sock"
te_postfix_start
diag "test dir $T, nsd $TE_DNS"

# send TOKEN ENVFROM FROM -- from the internal address; the final reply.
send() {
	printf 'From: <%s>\nTo: <rcpt@example.org>\nSubject: %s\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@align.test>\n\nHello.\n' \
	    "$3" "$1" "$1" >"$T/msg/$1.eml"
	te_data_reply "$(te_send "$TE_PORT_SMTP" "$T/msg/$1.eml" "$1" --from "$2")"
}

QUEUED='^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'

# sigs TOKEN REPLY -- "d=... d=..." of the delivered message's signatures.
sigs() {
	local out="$T/out/$1.eml"
	te_fetch "$(te_queue_id "$2")" "$1" "$out" || { echo "not delivered"; return; }
	awk '/^\r?$/ { exit } tolower($0) ~ /^dkim-signature:/ { print }' "$out" |
	    grep -o ' d=[^;]*' | tr -d ' ' | sort | tr '\n' ' '
}

mlog() { grep -F "$1" "$T/milter.log" | tail -1; }

r=$(send own a@example.com a@example.com)
like "$r" "$QUEUED" "From example.com signed with its own d=: accepted"
is "$(sigs own "$r")" "d=example.com d=example.com " "own: two signatures d=example.com"

r=$(send sub a@example.com news@sub.example.com)
like "$r" "$QUEUED" "From sub.example.com signed d=example.com: relaxed alignment, accepted"
is "$(sigs sub "$r")" "d=example.com d=example.com " "sub: signed with the parent's d="

r=$(send spfok bounces@example.net a@example.net)
like "$r" "$QUEUED" "unsigned, envelope aligned and SPF passes the relay: accepted"
is "$(sigs spfok "$r")" "" "spfok: unsigned"

r=$(send spfbad bounces@example.org a@example.net)
is "$r" "550 5.7.1 message would fail DMARC at example.net (p=quarantine): no DKIM signature, SPF not aligned (envelope domain example.org)" \
    "unsigned, envelope not aligned, p=quarantine: 550 5.7.1 saying why"
like "$(mlog 'refused: would fail')" 'dmarc from_domain=example\.net env_domain=example\.org: refused' \
    "the refusal is logged with both domains"

r=$(send nullsender '<>' a@example.net)
like "$r" '^550 5\.7\.1 message would fail DMARC at example\.net \(p=quarantine\): no DKIM signature, null envelope sender: judged on DKIM alone$' \
    "null sender, unsigned: judged on DKIM alone, refused"

r=$(send pnone a@example.com a@example.org)
like "$r" "$QUEUED" "p=none: accepted although not aligned"
like "$(mlog 'from_domain=example.org env_domain=example.com')" 'would fail DMARC at example\.org \(p=none\)' \
    "p=none: the predicted failure is logged"

milter "require_alignment = warn"
r=$(send warn bounces@example.org a@example.net)
like "$r" "$QUEUED" "require_alignment = warn: accepted"
like "$(mlog 'from_domain=example.net env_domain=example.org')" 'would fail DMARC at example\.net \(p=quarantine\)' \
    "warn: logged"

milter "dns_nameserver = 127.0.0.1@$BH"
r=$(send dnsdown bounces@example.net a@example.net)
like "$r" '^451 4\.4\.3 cannot check the DMARC policy of example\.net: .*; try again later$' \
    "DNS not answering, dns_error_action = tempfail: 451 4.4.3"
r=$(send dnsown a@example.com a@example.com)
like "$r" "$QUEUED" "DNS not answering: mail signed with its own d= needs no DNS"

milter "dns_nameserver = 127.0.0.1@$BH" "dns_error_action = accept"
r=$(send dnsaccept bounces@example.net a@example.net)
like "$r" "$QUEUED" "DNS not answering, dns_error_action = accept: accepted"
like "$(mlog 'dns_error_action = accept')" 'cannot predict' "accept: logged"

# The SPF helper: forked before the privilege drop, running as nobody in
# an empty root, restarted when it dies; only a message in flight fails.
milter
sup=$(pgrep -P "$(cat "$T/milter.pid")" | head -1)
worker=$(pgrep -P "$sup" | head -1)
is "$(ps -o user= -p "$sup") $(ps -o user= -p "$worker")" "nobody nobody" \
    "the milter's SPF supervisor and worker run as nobody"
is "$(ls -A "/proc/$worker/root/" 2>&1 | wc -l)" 0 "the SPF worker's root is empty"
kill -9 "$worker"
for i in 1 2 3; do
	r=$(send "afterkill$i" bounces@example.net a@example.net)
	[ "${r%% *}" = 250 ] && break
	sleep 0.5
done
like "$r" "$QUEUED" "SPF worker killed: a new one answers (attempt $i)"
isnt_same() { [ "$1" != "$2" ]; }
ok "the worker was replaced" isnt_same "$(pgrep -P "$sup" | head -1)" "$worker"

done_testing
