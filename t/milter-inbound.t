#!/bin/bash
# milter-inbound.t -- inbound mail verified by outpost-milter behind a real
# private Postfix (XCLIENT presents the client address and HELO), a real
# nsd serving the test zones, the isolated SPF helper: the exact
# Authentication-Results text for a table of SPF, DKIM and DMARC cases,
# signatures by dkimpy, Mail::DKIM and outpost itself, forged A-R fields
# removed, dmarc_enforce (550, hold queue, 451), max_signatures, bad input.
#
# Zones: example.com  SPF ip4:192.0.2.10 -all, DMARC p=reject sp=quarantine,
#                     keys py (dkimpy), pl (Mail::DKIM), t + ed (outpost);
#                     soft. ~all, neutral. ?all, perm. a syntax error,
#                     mail. (HELO) ip4:192.0.2.10
#        example.net  SPF ip4:192.0.2.10 -all, DMARC p=quarantine adkim=s
#                     aspf=s, key py
#        example.org  no SPF, no DMARC
#        example.info not served: every lookup is a DNS error
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
MILTER="$TE_ROOT/milter/outpost-milter"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
for b in "$MILTER" "$CTL_BIN"; do
	[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
done
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"
perl -MMail::DKIM::Signer -e1 2>/dev/null || skip_all "Mail::DKIM not installed"

te_tmpdir
CONF="$T/outpost.conf"
mkdir -p "$T/out" "$T/msg" "$T/ext"
cat >"$CONF" <<EOF
user = outpost
log_destination = stderr
keys_directory = $T/keys
milter_socket = unix:$T/run/milter.sock
internal_hosts = 127.0.0.1/32
milter_refunds = no
require_alignment = no
dns_timeout = 1s
EOF
"$CTL_BIN" -c "$CONF" domain add example.com --selector t >"$T/ctl.out" 2>&1 ||
    te_fail "outpostctl domain add: $(cat "$T/ctl.out")"
te_keygen "$T/ext" example.com py rsa
te_keygen "$T/ext" example.com pl rsa
cp "$T/ext/example.com/py.key" "$T/py.key"
mkdir -p "$T/ext/example.net" && cp "$T/py.key" "$T/ext/example.net/py.key"
{ te_dns_from_keys "$T/keys"; te_dns_from_keys "$T/ext"; } >"$T/dns.txt"

# zone_keys DOMAIN -- the key records of DOMAIN as zone lines.
zone_keys() {
	awk -F'\t' -v d="$1" '$1 ~ "\\." d "$" { n = $1; sub("\\." d "$", "", n)
	    printf "%s TXT (", n; v = $2
	    while (length(v) > 0) { printf " \"%s\"", substr(v, 1, 255); v = substr(v, 256) }
	    print " )" }' "$T/dns.txt"
}
{
	zone_keys example.com
	cat <<'Z'
@ TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc TXT "v=DMARC1; p=reject; sp=quarantine"
sub A 192.0.2.80
soft TXT "v=spf1 ~all"
neutral TXT "v=spf1 ?all"
perm TXT "v=spf1 foo"
mail TXT "v=spf1 ip4:192.0.2.10 -all"
Z
} | te_zone "$T/zones" example.com
{
	zone_keys example.net
	cat <<'Z'
@ TXT "v=spf1 ip4:192.0.2.10 -all"
_dmarc TXT "v=DMARC1; p=quarantine; adkim=s; aspf=s"
mail A 192.0.2.81
Z
} | te_zone "$T/zones" example.net
te_zone "$T/zones" example.org <<'Z'
@ A 192.0.2.82
Z
te_nsd_start "$T/zones"

# milter [KEY = VALUE...] -- (re)start the milter with $CONF plus lines.
milter() {
	te_bg_alive milter && te_bg_stop milter
	{ cat "$CONF"; echo "dns_nameserver = $TE_DNS"; printf '%s\n' "$@"; } >"$T/milter.conf"
	rm -f "$T/run/milter.sock"
	te_bg milter "$MILTER" -f -c "$T/milter.conf"
	te_wait test -S "$T/run/milter.sock" ||
	    te_fail "outpost-milter did not start: $(tail -20 "$T/milter.log")"
}
milter
TE_MILTER="unix:$T/run/milter.sock"
te_postfix_start "relay_domains = example.org" \
    "smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination"
diag "test dir $T, nsd $TE_DNS"

# msg TOKEN FROM [HEADER...] -- a plain message file $T/msg/TOKEN.eml.
msg() {
	local tok=$1 from=$2 h
	shift 2
	{
		for h in "$@"; do printf '%s\n' "$h"; done
		[ -n "$from" ] && printf 'From: <%s>\n' "$from"
		printf 'To: <rcpt@example.org>\nSubject: %s\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@inbound.test>\n\nHello.\n' "$tok" "$tok"
	} >"$T/msg/$tok.eml"
}

# inbound TOKEN FILE IP HELO ENVFROM -- send FILE as from IP; final reply.
inbound() {
	te_data_reply "$(te_send "$TE_PORT_SMTP" "$2" "$1" --from "$5" \
	    --helo "$4" --xclient-addr "$3" --xclient-name "[UNAVAILABLE]")"
}

# ar TOKEN REPLY -- the A-R fields of the delivered message, unfolded
# (each fold becomes one space), one per line, in order.
ar() {
	local out="$T/out/$1.eml"
	te_fetch "$(te_queue_id "$2")" "$1" "$out" || { echo "not delivered"; return; }
	"$TE_PY" - "$out" <<'PY'
import re, sys
head = open(sys.argv[1], "rb").read().split(b"\r\n\r\n", 1)[0].decode()
for f in re.split(r"\r\n(?![ \t])", head):
    if f.lower().startswith("authentication-results:"):
        print(re.sub(r"\r?\n[ \t]", " ", f))
PY
}

# longest TOKEN -- the longest line of the delivered message's header.
longest() {
	awk '/^\r?$/ { exit } { sub(/\r$/, ""); if (length($0) > m) m = length($0) } END { print m }' "$T/out/$1.eml"
}

# b8 FILE [N] -- first 8 characters of b= of the Nth DKIM-Signature.
b8() {
	"$TE_PY" - "$1" "${2:-1}" <<'PY'
import re, sys
head = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode()
sigs = [f for f in re.split(r"\n(?![ \t])", head) if f.lower().startswith("dkim-signature:")]
v = re.sub(r"\s", "", sigs[int(sys.argv[2]) - 1].split(":", 1)[1])
b = [t[2:] for t in v.split(";") if t.startswith("b=")][0]
q = b[:8]
print(q if re.fullmatch(r"[A-Za-z0-9+]+", q) else '"%s"' % q)
PY
}

QUEUED='^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
ID="Authentication-Results: mx.outpost.test;"
GOOD=192.0.2.10
BAD=198.51.100.9

# check TOKEN FILE IP HELO ENVFROM EXPECTED-A-R NAME
check() {
	local r
	r=$(inbound "$1" "$2" "$3" "$4" "$5")
	if ! like "$r" "$QUEUED" "$7: queued"; then
		diag "$(tail -5 "$T/milter.log")"
		return
	fi
	is "$(ar "$1" "$r")" "$6" "$7"
}

# ---- signatures by others and by us
msg py a@example.com
"$TE_PY" "$TE_ROOT/t/lib/sign-dkimpy.py" "$T/py.key" example.com py "$T/msg/py.eml" "$T/msg/py.s.eml" || te_fail "dkimpy"
check py "$T/msg/py.s.eml" $GOOD mail.example.com a@example.com \
    "$ID spf=pass smtp.mailfrom=a@example.com; dkim=pass header.d=example.com header.s=py header.a=rsa-sha256 header.b=$(b8 "$T/msg/py.s.eml"); dmarc=pass (p=reject dis=none) header.from=example.com" \
    "dkimpy signature, SPF pass: all pass"
like "$(longest py)" '^([0-9]|[1-6][0-9]|7[0-8])$' "no header line over 78"

msg pl a@example.com
perl "$TE_ROOT/t/lib/sign-maildkim.pl" "$T/ext/example.com/pl.key" example.com pl "$T/msg/pl.eml" "$T/msg/pl.s.eml" || te_fail "Mail::DKIM"
check pl "$T/msg/pl.s.eml" $BAD mail.example.com b@example.org \
    "$ID spf=none smtp.mailfrom=b@example.org; dkim=pass header.d=example.com header.s=pl header.a=rsa-sha256 header.b=$(b8 "$T/msg/pl.s.eml"); dmarc=pass (p=reject dis=none) header.from=example.com" \
    "Mail::DKIM signature, SPF none: DMARC passes via DKIM"

# Our own signer: mail from the internal address is signed, then comes
# back in from outside.
msg own a@example.com
r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$T/msg/own.eml" own --from a@example.com)")
te_fetch "$(te_queue_id "$r")" own "$T/msg/own.s.eml" || te_fail "own signing"
check own2 "$T/msg/own.s.eml" $BAD mail.example.com a@example.com \
    "$ID spf=fail smtp.mailfrom=a@example.com; dkim=pass header.d=example.com header.s=te header.a=ed25519-sha256 header.b=$(b8 "$T/msg/own.s.eml" 1); dkim=pass header.d=example.com header.s=tr header.a=rsa-sha256 header.b=$(b8 "$T/msg/own.s.eml" 2); dmarc=pass (p=reject dis=none) header.from=example.com" \
    "outpost's two signatures, SPF fail: DMARC passes via DKIM"

# ---- SPF table (From example.org: no DMARC record)
spf() {
	msg "$1" a@example.org
	check "$1" "$T/msg/$1.eml" "$2" mail.example.com "$3" \
	    "$ID spf=$4 smtp.mailfrom=$3; dkim=none; dmarc=none header.from=example.org" "SPF $4"
}
spf spfpass $GOOD a@example.com "pass"
spf spffail $BAD a@example.com "fail"
spf spfsoft $GOOD a@soft.example.com "softfail"
spf spfneutral $GOOD a@neutral.example.com "neutral"
spf spfnone $GOOD a@example.org "none"
msg spftemp a@example.org
r=$(inbound spftemp "$T/msg/spftemp.eml" $GOOD mail.example.com a@x.example.info)
like "$(ar spftemp "$r")" "^$ID spf=temperror \(.*\) smtp\.mailfrom=a@x\.example\.info; dkim=none; dmarc=none header\.from=example\.org\$" "SPF temperror (DNS error)"
msg spfperm a@example.org
r=$(inbound spfperm "$T/msg/spfperm.eml" $GOOD mail.example.com a@perm.example.com)
like "$(ar spfperm "$r")" "^$ID spf=permerror \(.*\) smtp\.mailfrom=a@perm\.example\.com; dkim=none; dmarc=none header\.from=example\.org\$" "SPF permerror (syntax error)"
msg null a@example.org
check null "$T/msg/null.eml" $GOOD mail.example.com '<>' \
    "$ID spf=pass smtp.helo=mail.example.com; dkim=none; dmarc=none header.from=example.org" \
    "null sender: the HELO identity"

# ---- DMARC table
msg viaspf a@example.com
check viaspf "$T/msg/viaspf.eml" $GOOD mail.example.com b@example.com \
    "$ID spf=pass smtp.mailfrom=b@example.com; dkim=none; dmarc=pass (p=reject dis=none) header.from=example.com" \
    "DMARC pass via aligned SPF"
msg dfail a@example.com
check dfail "$T/msg/dfail.eml" $BAD mail.example.com b@example.com \
    "$ID spf=fail smtp.mailfrom=b@example.com; dkim=none; dmarc=fail (p=reject dis=none) header.from=example.com" \
    "DMARC fail at p=reject (not enforced)"
msg dsub a@sub.example.com
check dsub "$T/msg/dsub.eml" $BAD mail.example.com b@example.com \
    "$ID spf=fail smtp.mailfrom=b@example.com; dkim=none; dmarc=fail (p=reject sp=quarantine dis=none) header.from=sub.example.com" \
    "subdomain: sp= applies"
msg strict a@mail.example.net
"$TE_PY" "$TE_ROOT/t/lib/sign-dkimpy.py" "$T/py.key" example.net py "$T/msg/strict.eml" "$T/msg/strict.s.eml" || te_fail "dkimpy"
check strict "$T/msg/strict.s.eml" $GOOD mail.example.com a@example.net \
    "$ID spf=pass smtp.mailfrom=a@example.net; dkim=pass header.d=example.net header.s=py header.a=rsa-sha256 header.b=$(b8 "$T/msg/strict.s.eml"); dmarc=fail (p=quarantine dis=none) header.from=mail.example.net" \
    "adkim=s aspf=s: organisational alignment is not enough"
msg dtemp a@x.example.info
r=$(inbound dtemp "$T/msg/dtemp.eml" $GOOD mail.example.com a@example.com)
like "$(ar dtemp "$r")" "^$ID spf=pass smtp\.mailfrom=a@example\.com; dkim=none; dmarc=temperror \(.+\) header\.from=x\.example\.info\$" \
    "DMARC record lookup fails: temperror"

# ---- bad input
msg nofrom ""
check nofrom "$T/msg/nofrom.eml" $GOOD mail.example.com a@example.com \
    "$ID spf=pass smtp.mailfrom=a@example.com; dkim=none; dmarc=permerror (no From field)" "no From: permerror"
msg twofrom a@example.com "From: <b@example.com>"
check twofrom "$T/msg/twofrom.eml" $GOOD mail.example.com a@example.com \
    "$ID spf=pass smtp.mailfrom=a@example.com; dkim=none; dmarc=permerror (2 From fields)" "two From: permerror, never pass"
msg garbage a@example.com "DKIM-Signature: garbage" "ARC-Seal: x"
r=$(inbound garbage "$T/msg/garbage.eml" $GOOD mail.example.com a@example.com)
like "$(ar garbage "$r")" "^$ID spf=pass smtp\.mailfrom=a@example\.com; dkim=permerror \(.+\); dmarc=pass \(p=reject dis=none\) header\.from=example\.com\$" \
    "garbage DKIM-Signature and ARC-Seal: dkim=permerror"

# ---- forged A-R fields of our id, at two positions, go; another stays
msg forged a@example.org \
    "Authentication-Results: mx.outpost.test; dkim=pass header.d=example.org" \
    "Authentication-Results: other.example; spf=pass smtp.mailfrom=x@example.org" \
    "X-Between: 1" \
    "Authentication-Results: (comment) MX.OUTPOST.TEST; dmarc=pass"
check forged "$T/msg/forged.eml" $GOOD mail.example.com a@example.com \
    "$ID spf=pass smtp.mailfrom=a@example.com; dkim=none; dmarc=none header.from=example.org
Authentication-Results: other.example; spf=pass smtp.mailfrom=x@example.org" \
    "both forged fields of our id removed, the other id kept"
like "$(grep -F 'forged_ar=2' "$T/milter.log")" 'inbound client=192\.0\.2\.10 helo=mail\.example\.com spf=pass dkim=none dmarc=none from_domain=example\.org action=accept forged_ar=2' \
    "the log line says it"

# ---- max_signatures: 10 signatures, 8 checked
cp "$T/msg/py.s.eml" "$T/msg/ten.eml"
for i in 2 3 4 5 6 7 8 9 10; do
	"$TE_PY" "$TE_ROOT/t/lib/sign-dkimpy.py" "$T/py.key" example.com py "$T/msg/ten.eml" "$T/msg/ten.n.eml" &&
	    mv "$T/msg/ten.n.eml" "$T/msg/ten.eml"
done
r=$(inbound ten "$T/msg/ten.eml" $GOOD mail.example.com a@example.com)
a=$(ar ten "$r")
is "$(grep -o 'dkim=pass' <<<"$a" | wc -l)" 8 "10 signatures: 8 checked and pass"
is "$(grep -o 'dkim=policy (not checked[^)]*)' <<<"$a" | wc -l)" 2 "  2 dkim=policy, not checked"

# ---- a thousand signatures after a good one, and a header block of
# 2 MB: one bounded A-R
"$TE_PY" - "$T/msg/py.s.eml" "$T/msg/k.eml" "$T/msg/huge.eml" "$T/msg/kbad.eml" <<'PY'
import sys
src = open(sys.argv[1], "rb").read().replace(b"\r\n", b"\n")
head, body = src.split(b"\n\n", 1)
bh = b"A" * 43 + b"="
extra = b"".join(b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s%d;"
                 b" h=from; bh=%s; b=BBBB%04d\n" % (i, bh, i) for i in range(1000))
open(sys.argv[2], "wb").write(head + b"\n" + extra + b"\n" + body)
bad = b"".join(b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s%d;"
               b" h=from; bh=AAAA; b=BBBB\n" % i for i in range(1000))
open(sys.argv[4], "wb").write(head + b"\n" + bad + b"\n" + body)
filler = b"".join(b"X-Filler-%d: %s\n" % (i, b"y" * 990) for i in range(2100))
open(sys.argv[3], "wb").write(filler + head + b"\n\n" + body)
PY
r=$(inbound k "$T/msg/k.eml" $GOOD mail.example.com a@example.com)
a=$(ar k "$r")
is "$(grep -c '^Authentication-Results: mx\.outpost\.test;' <<<"$a")" 1 "1000 signatures: one A-R of ours"
like "$a" 'dkim=pass header\.d=example\.com header\.s=py' "  the good signature among them is checked and passes"
like "$a" 'dkim=policy \([0-9]+ more signatures not checked\)' "  the rest summed up in one dkim=policy"
is "$(grep -o 'dkim=' <<<"$a" | wc -l)" 13 "  8 checked + 4 listed + 1 summary: 13 dkim= results"
like "$a" 'dmarc=pass' "  DMARC passes on the good signature"
r=$(inbound kbad "$T/msg/kbad.eml" $GOOD mail.example.com a@example.com)
a=$(ar kbad "$r")
like "$a" 'dkim=pass header\.d=example\.com header\.s=py.*dkim=permerror \(malformed signature' \
    "1000 malformed signatures: the good one passes, malformed ones are permerror"
is "$(grep -o 'dkim=' <<<"$a" | wc -l)" 6 "  1 checked + 4 listed + 1 summary: 6 dkim= results"
r=$(inbound huge "$T/msg/huge.eml" $GOOD mail.example.com a@example.com)
like "$r" "$QUEUED" "2 MB of header fields: queued"
like "$(ar huge "$r")" '^Authentication-Results: mx\.outpost\.test; spf=pass .* dkim=pass .* dmarc=pass' \
    "  and verified"
te_bg_alive milter
ok_rc $? "the milter survived both"

# ---- dmarc_enforce = yes
milter "dmarc_enforce = yes"
r=$(inbound efail "$T/msg/dfail.eml" $BAD mail.example.com b@example.com)
is "$r" "550 5.7.1 rejected by the DMARC policy of example.com (p=reject)" "enforced p=reject: 550 5.7.1"
r=$(inbound equar "$T/msg/dsub.eml" $BAD mail.example.com b@example.com)
like "$r" "$QUEUED" "enforced sp=quarantine: accepted"
qid=$(te_queue_id "$r")
te_wait sh -c "postqueue -c '$T/etc' -j | grep -q '\"queue_id\": \"$qid\".*\"queue_name\": \"hold\"\\|\"queue_name\": \"hold\".*\"queue_id\": \"$qid\"'"
like "$(postqueue -c "$T/etc" -j | grep "$qid")" '"queue_name": "hold"' "  and held in the hold queue"
like "$(postcat -c "$T/etc" -hq "$qid" 2>/dev/null | tr -d '\n' | tr '\t' ' ')" 'dmarc=fail \(p=reject sp=quarantine dis=quarantine\) header\.from=sub\.example\.com' \
    "  with dis=quarantine in its A-R"
r=$(inbound etemp "$T/msg/dtemp.eml" $GOOD mail.example.com a@example.com)
like "$r" '^451 4\.4\.3 cannot check the DMARC policy of x\.example\.info: .*; try again later$' \
    "enforced, DMARC temperror: 451 4.4.3"
milter "dmarc_enforce = yes" "dns_error_action = accept"
r=$(inbound eacc "$T/msg/dtemp.eml" $GOOD mail.example.com a@example.com)
like "$r" "$QUEUED" "dns_error_action = accept: accepted"

done_testing
