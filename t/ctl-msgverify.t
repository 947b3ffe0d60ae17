#!/bin/bash
# ctl-msgverify.t -- outpostctl verify FILE...: the compliance check of
# stored messages against a real nsd on loopback.  Messages are signed by
# dkimpy (not by us): RSA, Ed25519, two signers on one message; tampered
# body and header; a selector whose record is gone from DNS (permerror,
# then pass with --key: a PEM public key, a PKCS#1 RSA key, an Ed25519 PEM
# key, a bare TXT text and a zone-file line); no signature; a passing
# signature not aligned with From (another domain; adkim=s with a
# subdomain); several files; standard input; LF and mbox storage; --json
# parsed by Python; a DNS server that never answers (temperror); an
# unreadable file (exit 2, named).
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"
"$TE_PY" -c 'import dkim' 2>/dev/null || skip_all "python3-dkim missing"
CTL="$TE_ROOT/ctl/outpostctl"
[ -x "$CTL" ] || skip_all "ctl/outpostctl not built (make)"
te_tmpdir
K=$T/k
mkdir -p "$K"

conf() {	# conf FILE NAMESERVER
	printf 'user = outpost\nredis_address = unix:%s/no-redis.sock\ndns_nameserver = %s\ndns_timeout = 2s\n' \
	    "$T" "$2" >"$1"
}
run() {	# run ARGS...: outpostctl with $T/c.conf; sets rc, out, err
	"$CTL" -c "$T/c.conf" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
jsonq() {	# jsonq PYTHON-EXPR: evaluated with d = the JSON on stdout
	"$TE_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ('"$1"') else 1)' "$T/out"
}
key() {	# key NAME rsa|ed25519: $K/NAME.key and $K/NAME.pub
	if [ "$2" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
		    -out "$K/$1.key" 2>/dev/null
	else
		openssl genpkey -algorithm ed25519 -out "$K/$1.key" 2>/dev/null
	fi || te_fail "openssl genpkey"
	openssl pkey -in "$K/$1.key" -pubout -out "$K/$1.pub" ||
	    te_fail "openssl pkey -pubout"
}
txt() {	# txt NAME: the DKIM key record text of $K/NAME.key
	if grep -q ED25519 <(openssl pkey -in "$K/$1.key" -noout -text); then
		printf 'v=DKIM1; k=ed25519; p=%s' "$(openssl pkey -in "$K/$1.key" \
		    -pubout -outform DER | tail -c 32 | base64 -w0)"
	else
		printf 'v=DKIM1; k=rsa; p=%s' "$(openssl pkey -in "$K/$1.key" \
		    -pubout -outform DER | base64 -w0)"
	fi
}
zonetxt() {	# zonetxt NAME: the record text as quoted strings of <= 200
	txt "$1" | "$TE_PY" -c 'import sys; t=sys.stdin.read(); print(" ".join("\"%s\"" % t[i:i+200] for i in range(0, len(t), 200)))'
}
msg() {	# msg FILE FROM [SUBJECT]: an unsigned message (LF line ends)
	printf 'From: Alice <%s>\nTo: bob@example.org\nSubject: %s\nDate: Sat, 28 Nov 2026 10:00:00 +0000\nMessage-ID: <%s@test>\n\nHello.\nSecond line.\n' \
	    "$2" "${3:-compliance}" "$(basename "$1")" >"$1"
}
sign() {	# sign KEYNAME DOMAIN SELECTOR IN OUT
	"$TE_PY" "$TE_ROOT/t/lib/sign-dkimpy.py" "$K/$1.key" "$2" "$3" "$4" \
	    "$5" || te_fail "sign-dkimpy $*"
}

# ---- keys and zones
key r1 rsa; key e1 ed25519; key net rsa; key org rsa; key old rsa
key olde ed25519
te_zone "$T/zones" example.com <<Z
r1._domainkey TXT ( $(zonetxt r1) )
e1._domainkey TXT ( $(zonetxt e1) )
_dmarc TXT "v=DMARC1; p=reject"
Z
te_zone "$T/zones" example.net <<Z
n1._domainkey TXT ( $(zonetxt net) )
Z
te_zone "$T/zones" example.org <<Z
o1._domainkey TXT ( $(zonetxt org) )
_dmarc TXT "v=DMARC1; p=quarantine; adkim=s"
mail A 192.0.2.1
Z
te_nsd_start "$T/zones"
conf "$T/c.conf" "$TE_DNS"

# ---- messages
M=$T/m
mkdir -p "$M"
msg "$M/plain" alice@example.com
sign r1 example.com r1 "$M/plain" "$M/rsa.eml"
sign e1 example.com e1 "$M/plain" "$M/ed.eml"
sign e1 example.com e1 "$M/rsa.eml" "$M/two.eml"
sed 's/^Hello\./Hullo./' "$M/rsa.eml" >"$M/body.eml"
sed 's/^Subject: compliance/Subject: complaints/' "$M/rsa.eml" >"$M/hdr.eml"
sign old example.com old "$M/plain" "$M/old.eml"
sign olde example.com olde "$M/plain" "$M/olde.eml"
sign net example.net n1 "$M/plain" "$M/net.eml"
msg "$M/sub" alice@mail.example.org
sign org example.org o1 "$M/sub" "$M/strict.eml"
msg "$M/orgm" alice@example.org
sign org example.org o1 "$M/orgm" "$M/org.eml"

# ---- RSA, Ed25519, two signers
run verify "$M/rsa.eml"
is "$rc" 0 "rsa: exit 0"
like "$out" "^$M/rsa.eml: DKIM d=example.com s=r1 a=rsa-sha256 b=[^ ]{8}: pass \(.*2048-bit key.*; aligned with From example.com\)$" "rsa: one line with domain, selector, algorithm, pass, why"
like "$out" "^$M/rsa.eml: DMARC header.from=example.com: pass \(.*; p=reject at _dmarc.example.com, adkim=r; no SPF data: the result rests on DKIM alone\)$" "rsa: DMARC pass under p=reject, says it rests on DKIM alone"
like "$out" "^$M/rsa.eml: verdict: pass \(d=example.com passes, aligned with From example.com under relaxed alignment\)$" "rsa: verdict pass"
is "$(printf '%s\n' "$out" | wc -l)" 3 "rsa: three lines"

run verify "$M/ed.eml"
is "$rc" 0 "ed25519: exit 0"
like "$out" "DKIM d=example.com s=e1 a=ed25519-sha256 b=[^ ]{8}: pass " "ed25519: pass"

run verify "$M/two.eml"
is "$rc" 0 "two signers: exit 0"
is "$(printf '%s\n' "$out" | grep -c ': DKIM d=example.com s=.*: pass ')" 2 "two signers: two DKIM lines, both pass"
like "$(printf '%s\n' "$out" | grep ': DKIM' | head -1)" "s=e1 a=ed25519-sha256" "two signers: message order (the later signature is on top)"

# ---- tampered
run verify "$M/body.eml"
is "$rc" 1 "tampered body: exit 1"
like "$out" "DKIM d=example.com s=r1 a=rsa-sha256 b=[^ ]{8}: fail \(.*body" "tampered body: fail, the body hash named"
like "$out" "DMARC header.from=example.com: fail \(.*p=reject at _dmarc.example.com" "tampered body: DMARC fail under p=reject"
like "$out" "verdict: fail \(no DKIM signature passes\)" "tampered body: verdict fail"
run verify "$M/hdr.eml"
is "$rc" 1 "tampered header: exit 1"
like "$out" "s=r1 a=rsa-sha256 b=[^ ]{8}: fail \(" "tampered header: fail"
unlike "$out" "fail \(.*body hash" "tampered header: not blamed on the body"

# ---- the record is gone from DNS: permerror, then --key
run verify "$M/old.eml"
is "$rc" 1 "removed record: exit 1"
like "$out" "s=old a=rsa-sha256 b=[^ ]{8}: permerror \(" "removed record: permerror"
run verify --key old._domainkey.example.com="$K/old.pub" "$M/old.eml"
is "$rc" 0 "--key PEM (SubjectPublicKeyInfo): exit 0"
like "$out" "s=old a=rsa-sha256 b=[^ ]{8}: pass \(.*key from --key $K/old.pub" "--key PEM: pass, the key file named"
openssl rsa -pubin -in "$K/old.pub" -RSAPublicKey_out -out "$K/old.pkcs1" 2>/dev/null
run verify --key OLD._domainkey.Example.COM="$K/old.pkcs1" "$M/old.eml"
is "$rc" 0 "--key PEM \"RSA PUBLIC KEY\" (PKCS#1), name in mixed case: exit 0"
txt old >"$K/old.txt"
run verify --key old._domainkey.example.com="$K/old.txt" "$M/old.eml"
is "$rc" 0 "--key TXT record text: exit 0"
like "$out" "pass \(.*key from --key $K/old.txt" "--key TXT: pass"
printf 'old._domainkey.example.com. IN TXT ( %s )\n' "$(zonetxt old)" >"$K/old.zone"
run verify --key old._domainkey.example.com="$K/old.zone" "$M/old.eml"
is "$rc" 0 "--key zone-file line (quoted strings joined): exit 0"
run verify --key olde._domainkey.example.com="$K/olde.pub" "$M/olde.eml"
is "$rc" 0 "--key Ed25519 PEM: exit 0"
like "$out" "s=olde a=ed25519-sha256 b=[^ ]{8}: pass " "--key Ed25519 PEM: pass"
run verify --key old._domainkey.example.com="$K/olde.pub" "$M/old.eml"
is "$rc" 1 "--key of the wrong key: exit 1"
unlike "$out" ": pass \(" "--key of the wrong key: no pass"
run verify --key old._domainkey.example.com="$K/r1.pub" "$M/old.eml"
like "$out" "s=old a=rsa-sha256 b=[^ ]{8}: fail \(" "--key of another RSA key: fail"
run verify --key e1._domainkey.example.com="$K/old.pub" "$M/rsa.eml"
is "$rc" 0 "a --key no signature asks for: the rest still checked"
like "$err" "warning: verify: --key e1._domainkey.example.com: no signature asked for this key" "... and a warning names it"
echo "not a key" >"$K/junk"
run verify --key old._domainkey.example.com="$K/junk" "$M/old.eml"
is "$rc" 2 "--key FILE that is no key: exit 2"
like "$err" "$K/junk: neither a PEM public key nor a DKIM key record" "... said"
run verify --key old.example.com="$K/old.pub" "$M/old.eml"
is "$rc" 2 "--key NAME without ._domainkey.: exit 2"
run verify --key old._domainkey.example.com="$K/nonexistent" "$M/old.eml"
is "$rc" 2 "--key FILE missing: exit 2"
like "$err" "$K/nonexistent: cannot open" "... named"

# ---- no signature, not aligned
run verify "$M/plain"
is "$rc" 1 "no signature: exit 1"
like "$out" "$M/plain: DKIM: none \(no DKIM-Signature field\)" "no signature: said"
like "$out" "DMARC header.from=example.com: fail " "no signature: DMARC fail"
like "$out" "verdict: fail \(no DKIM signature\)" "no signature: verdict"
run verify "$M/net.eml"
is "$rc" 1 "passing signature of another domain: exit 1"
like "$out" "DKIM d=example.net s=n1 a=rsa-sha256 b=[^ ]{8}: pass \(.*; not aligned with From example.com \(relaxed alignment\)\)" "other domain: pass, not aligned"
like "$out" "verdict: fail \(no passing DKIM signature is aligned with From example.com under relaxed alignment\)" "other domain: verdict fail"
run verify "$M/strict.eml"
is "$rc" 1 "adkim=s: d=example.org for From mail.example.org: exit 1"
like "$out" "DMARC header.from=mail.example.org: fail \(.*sp=quarantine at _dmarc.example.org, adkim=s" "adkim=s: DMARC fail, sp= of the organisational domain"
like "$out" "not aligned with From mail.example.org \(strict alignment\)" "adkim=s: not aligned under strict"
run verify "$M/org.eml"
is "$rc" 0 "adkim=s, same domain: exit 0"
like "$out" "verdict: pass \(d=example.org passes, aligned with From example.org under strict alignment\)" "adkim=s, same domain: verdict names strict"

# ---- several files, stdin, LF and mbox storage
run verify "$M/rsa.eml" "$M/ed.eml" "$M/two.eml"
is "$rc" 0 "three good files: exit 0"
is "$(printf '%s\n' "$out" | grep -c ': verdict: pass')" 3 "three good files: three verdicts"
run verify "$M/rsa.eml" "$M/body.eml" "$M/ed.eml"
is "$rc" 1 "one bad among three: exit 1"
like "$out" "$M/ed.eml: verdict: pass" "one bad among three: the file after it still checked"
"$CTL" -c "$T/c.conf" verify <"$M/rsa.eml" >"$T/out" 2>&1
is "$?" 0 "standard input without FILE: exit 0"
like "$(cat "$T/out")" "^stdin: verdict: pass" "standard input: named stdin"
"$CTL" -c "$T/c.conf" verify "$M/ed.eml" - <"$M/body.eml" >"$T/out" 2>&1
is "$?" 1 "FILE and - (a tampered message on stdin): exit 1"
like "$(cat "$T/out")" "^stdin: verdict: fail" "FILE and -: stdin read"
run verify - - </dev/null
is "$rc" 2 "- twice: usage error"
tr -d '\r' <"$M/two.eml" >"$M/lf.eml"
run verify "$M/lf.eml"
is "$rc" 0 "stored with LF line ends: still passes (both signatures)"
is "$(printf '%s\n' "$out" | grep -c ': DKIM .*: pass (')" 2 "LF: two signatures pass"
{ echo "From alice@example.com Sat Nov 28 10:00:01 2026"; cat "$M/lf.eml"; } >"$M/mbox.eml"
run verify "$M/mbox.eml"
is "$rc" 0 "mbox \"From \" line first: skipped, passes"

# ---- --json
run --json verify "$M/two.eml" "$M/net.eml" --key old._domainkey.example.com="$K/old.txt" "$M/old.eml"
is "$rc" 1 "--json, one file not aligned: exit 1"
ok "--json: top level ok false, exit 1, three files in order" jsonq "d['ok'] is False and d['exit'] == 1 and [f['file'] for f in d['files']] == ['$M/two.eml', '$M/net.eml', '$M/old.eml']"
ok "--json: two signers: both pass, ed25519 first, key bits, dns source, aligned" jsonq "
[(s['domain'], s['selector'], s['algorithm'], s['result'], s['key_bits'], s['key_source'], s['aligned'], s['checked'], len(s['b'])) for s in d['files'][0]['signatures']] ==
[('example.com', 'e1', 'ed25519-sha256', 'pass', 256, 'dns', True, True, 8), ('example.com', 'r1', 'rsa-sha256', 'pass', 2048, 'dns', True, True, 8)]"
ok "--json: two signers: pass, from_domain, aligned_domain, why null" jsonq "(f := d['files'][0]) and f['pass'] is True and f['from_domain'] == 'example.com' and f['aligned_domain'] == 'example.com' and f['why'] is None and f['error'] is None and f['alignment'] == 'relaxed'"
ok "--json: DMARC member of a pass" jsonq "(m := d['files'][0]['dmarc']) and m['result'] == 'pass' and m['record'] is True and m['record_domain'] == 'example.com' and m['org_domain'] == 'example.com' and m['policy'] == 'reject' and m['policy_tag'] == 'p' and m['adkim'] == 'r' and m['spf'] == 'none' and 'DKIM alone' in m['note']"
ok "--json: other domain: pass, aligned false, file fails with why" jsonq "(f := d['files'][1]) and (s := f['signatures'][0]) and s['domain'] == 'example.net' and s['result'] == 'pass' and s['aligned'] is False and f['pass'] is False and f['aligned_domain'] is None and f['why'].startswith('no passing DKIM signature is aligned with From example.com') and f['dmarc']['result'] == 'fail'"
ok "--json: --key: key_source is the file, pass" jsonq "(s := d['files'][2]['signatures'][0]) and s['key_source'] == '$K/old.txt' and s['result'] == 'pass' and d['files'][2]['pass'] is True"
run --json verify "$M/body.eml"
ok "--json: tampered body: fail with a why, aligned null" jsonq "(s := d['files'][0]['signatures'][0]) and s['result'] == 'fail' and s['why'] and s['aligned'] is None and d['ok'] is False"

# ---- DNS failure: temperror, never fail or none
te_dns_blackhole BH
conf "$T/bh.conf" "127.0.0.1@$BH"
"$CTL" -c "$T/bh.conf" verify "$M/rsa.eml" >"$T/out" 2>"$T/err"
rc=$?
out=$(cat "$T/out")
is "$rc" 1 "DNS never answers: exit 1"
like "$out" "s=r1 a=rsa-sha256 b=[^ ]{8}: temperror \(" "DNS never answers: DKIM temperror"
like "$out" "DMARC header.from=example.com: temperror \(DNS: " "DNS never answers: DMARC temperror"
"$CTL" -c "$T/bh.conf" --json verify "$M/rsa.eml" >"$T/out" 2>"$T/err"
ok "DNS never answers, --json: temperror in both" jsonq "(f := d['files'][0]) and f['signatures'][0]['result'] == 'temperror' and f['dmarc']['result'] == 'temperror' and f['pass'] is False"
"$CTL" -c "$T/bh.conf" verify --key r1._domainkey.example.com="$K/r1.pub" "$M/rsa.eml" >"$T/out" 2>"$T/err"
is "$?" 0 "DNS never answers, key given: DKIM passes, aligned (same domain, relaxed)"

# ---- unreadable
run verify "$M/nonexistent.eml"
is "$rc" 2 "missing file: exit 2"
like "$err" "^outpostctl: verify: $M/nonexistent.eml: cannot open: No such file or directory$" "missing file: named on stderr"
run verify "$M/rsa.eml" "$M/nonexistent.eml" "$M/ed.eml"
is "$rc" 2 "missing file among good ones: exit 2"
is "$(printf '%s\n' "$out" | grep -c ': verdict: pass')" 2 "... the others still checked"
run verify "$M"
is "$rc" 2 "a directory: exit 2"
like "$err" "verify: $M: read error" "a directory: read error named"
run --json verify "$M/nonexistent.eml" "$M/rsa.eml"
is "$rc" 2 "--json with a missing file: exit 2"
ok "--json: the missing file has error, the other its result" jsonq "d['exit'] == 2 and d['files'][0]['error'].startswith('cannot open') and d['files'][0]['pass'] is False and d['files'][1]['pass'] is True"

# ---- domain verify is a different command, still there
"$CTL" --help >"$T/out" 2>&1
like "$(cat "$T/out")" "^  verify \[--key SEL._domainkey.DOMAIN=FILE\]\.\.\. \[FILE\|-\]\.\.\.$" "usage lists verify"
like "$(cat "$T/out")" "^  domain verify DOMAIN \| --all$" "usage still lists domain verify"

done_testing
