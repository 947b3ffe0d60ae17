#!/bin/bash
# outpostctl domain, end to end: the real binary with a config whose
# keys_directory is a temporary folder.  add / rotate / activate / retire /
# list / show, their exit codes and files, --json output parsed by Python,
# and the printed DKIM records proved right by dkimpy: a message signed with
# the generated private key verifies against the printed record text used
# as DNS (RSA and Ed25519).
set -u
cd "$(dirname "$0")/.."
CTL=ctl/outpostctl
PY=/usr/bin/python3
T=$(mktemp -d /tmp/outpost-ctl-domain.XXXXXX)
trap 'rm -rf "$T"' EXIT
K=$T/keys
# No Redis here: list and show say the verification state is unknown.
printf 'keys_directory = %s\nuser = outpost\nredis_address = unix:%s/no-redis.sock\n' "$K" "$T" > "$T/outpost.conf"

. t/lib/tap.sh
run() {	# run ARGS...: sets rc, out, err
	"$CTL" -c "$T/outpost.conf" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
is_rc() { [ "$rc" = "$1" ]; ok_rc $? "$2 (exit $rc, want $1)"; [ "$rc" = "$1" ] || sed 's/^/# /' "$T/err"; }
mode_of() { stat -c %a "$1"; }
owner_of() { stat -c %U "$1"; }
json() {	# json PYTHON-EXPR: evaluated with d = the JSON document on stdin
	$PY -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if ('"$1"') else 1)' <"$T/out"
}

# The DKIM check: sign with the key file, verify with the record text as DNS.
cat >"$T/dkimcheck.py" <<'EOF'
import dkim, re, subprocess, sys
keyfile, alg, recfile = sys.argv[1:4]
rec = open(recfile).read().strip()
name = rec.split()[0]
txt = "".join(re.findall(r'"([^"]*)"', rec))
sel, domain = name.rstrip(".").split("._domainkey.")
if alg == "ed25519":
    der = subprocess.run(["openssl", "pkey", "-in", keyfile, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    import base64
    key = base64.b64encode(der[-32:])
else:
    key = open(keyfile, "rb").read()
msg = (b"From: Alice <alice@" + domain.encode() + b">\r\nTo: bob@example.org\r\n"
       b"Subject: key check\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\n"
       b"Message-ID: <k1@" + domain.encode() + b">\r\n\r\nHello.\r\n")
sig = dkim.sign(msg, sel.encode(), domain.encode(), key,
                signature_algorithm=(b"ed25519-sha256" if alg == "ed25519" else b"rsa-sha256"),
                include_headers=[b"from", b"to", b"subject", b"date"])
def dns(qname, timeout=5):
    return txt.encode() if qname.decode().rstrip(".") == name.rstrip(".") else None
good = dkim.verify(sig + msg, dnsfunc=dns)
bad = dkim.verify(sig + msg.replace(b"Hello.", b"Hullo."), dnsfunc=dns)
sys.exit(0 if good and not bad else 1)
EOF
record_of() { grep "^$1\._domainkey\." "$T/out" > "$T/rec.$1"; }
dkim_ok() {	# dkim_ok DOMAIN SEL ALG: with the record saved by record_of
	$PY "$T/dkimcheck.py" "$K/$1/$2.key" "$3" "$T/rec.$2"
}
strings_ok() {	# each quoted string of the record at most 255 bytes
	$PY -c 'import re,sys; s=re.findall(r"\"([^\"]*)\"", open(sys.argv[1]).read()); sys.exit(0 if s and all(len(x) <= 255 for x in s) else 1)' "$1"
}

# --- add ------------------------------------------------------------------
run domain add Example.COM --selector s1
is_rc 0 "add Example.COM --selector s1"
D=$K/example.com
ok "s1r.key and s1e.key written" test -f "$D/s1r.key" -a -f "$D/s1e.key"
[ "$(mode_of "$D/s1r.key")$(mode_of "$D/s1e.key")" = 600600 ]
ok_rc $? "key files mode 0600"
[ "$(mode_of "$K")$(mode_of "$D")" = 750750 ]; ok_rc $? "directories mode 0750"
[ "$(cat "$D/active")" = "$(printf 's1r\ns1e')" ]; ok_rc $? "both selectors active"
if [ "$(id -u)" = 0 ]; then
	[ "$(owner_of "$D/s1r.key")$(owner_of "$D/s1e.key")" = outpostoutpost ]
	ok_rc $? "as root: key files owned by the outpost user (it signs with them)"
	[ "$(stat -c %U:%G "$K") $(stat -c %U:%G "$D") $(stat -c %U:%G "$D/active")" = \
	    "root:outpost root:outpost root:outpost" ]
	ok_rc $? "as root: folders and active file root:outpost (outpost cannot plant a symlink)"
else
	skip 2 "not root: owner check"
fi
ok "no temporary folder left" test -z "$(ls -A "$K" | grep -v '^example.com$')"
record_of s1r; record_of s1e
ok "RSA record printed" grep -q 'IN TXT ( "v=DKIM1; k=rsa; p=MIIB' "$T/rec.s1r"
ok "Ed25519 record printed" grep -q 'IN TXT ( "v=DKIM1; k=ed25519; p=' "$T/rec.s1e"
ok "RSA record split into several strings" grep -qF '" "' "$T/rec.s1r"
ok "RSA record strings <= 255" strings_ok "$T/rec.s1r"
ok "suggested SPF labelled a suggestion" grep -q '^Suggested' "$T/out"
ok "SPF suggestion" grep -qF 'example.com. IN TXT "v=spf1 mx ~all"' "$T/out"
ok "DMARC suggestion" grep -qF '_dmarc.example.com. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.com"' "$T/out"
ok "dkimpy: RSA signature verifies with the printed record" dkim_ok example.com s1r rsa
ok "dkimpy: Ed25519 signature verifies with the printed record" dkim_ok example.com s1e ed25519

run domain add example.com
is_rc 1 "add again is refused"
ok "reason: already has keys" grep -q "already has keys" "$T/err"

# Default selector: today's UTC date, then -2.
today=$(date -u +%Y%m%d)
run --json domain add other.example
is_rc 0 "add other.example (default selector, --json)"
json "d['base'] == '$today' and [s['selector'] for s in d['selectors']] == ['${today}r', '${today}e'] and all(s['state'] == 'active' for s in d['selectors'])"
ok_rc $? "json: selectors ${today}r, ${today}e, active"
json "d['selectors'][1]['algorithm'] == 'ed25519' and d['selectors'][0]['bits'] == 2048 and [x['purpose'] for x in d['suggested']] == ['spf', 'dmarc']"
ok_rc $? "json: algorithms, bits, suggestions"
run domain rotate other.example
is_rc 0 "rotate other.example"
ok "second selector of the day is $today-2" test -f "$K/other.example/${today}-2r.key"
ok "rotate prints the activate command" grep -qF "domain activate other.example ${today}-2" "$T/out"
[ "$(cat "$K/other.example/active")" = "$(printf '%sr\n%se' "$today" "$today")" ]
ok_rc $? "rotate leaves the active selectors alone"

# IDN: the folder is the A-label.
run domain add "Bücher.example" --selector b1
is_rc 0 "add an IDN domain"
ok "folder is the A-label" test -f "$K/xn--bcher-kva.example/b1r.key"

# --- rotate / activate / retire -------------------------------------------
run domain rotate example.com --selector s2
is_rc 0 "rotate example.com --selector s2"
record_of s2r; record_of s2e
ok "new pair pending" test -f "$D/s2r.key" -a -f "$D/s2e.key"
ok "dkimpy: rotated RSA record verifies" dkim_ok example.com s2r rsa
ok "dkimpy: rotated Ed25519 record verifies" dkim_ok example.com s2e ed25519
run domain rotate example.com --selector s2
is_rc 1 "rotate with a selector in use is refused"
run domain rotate nothere.example
is_rc 1 "rotate of an unknown domain is refused"

run domain list
is_rc 0 "list"
echo "$out" | grep -Eq '^example\.com +s1r,s1e +2 +unknown +ok$'; ok_rc $? "list: example.com s1r,s1e 2 unknown ok"
ok "list without Redis warns" grep -q "warning: redis unix:.*verification state unknown" "$T/err"
run --json domain list
json "[x['domain'] for x in d] == ['example.com', 'other.example', 'xn--bcher-kva.example'] and d[0]['active'] == ['s1r', 's1e'] and d[0]['pending'] == 2 and d[0]['status'] == 'ok' and d[0]['verification']['state'] == 'unknown'"
ok_rc $? "list --json"

run domain activate example.com s2
is_rc 0 "activate example.com s2"
[ "$(cat "$D/active")" = "$(printf 's2r\ns2e')" ]; ok_rc $? "active is now s2r, s2e"
run domain activate example.com s1e --json
is_rc 0 "activate a single selector (Ed25519 back to s1e)"
json "d['active'] == ['s2r', 's1e'] and d['previous'] == ['s2r', 's2e']"
ok_rc $? "json: RSA kept, Ed25519 switched"
run domain activate example.com s9
is_rc 1 "activate an unknown selector is refused"

run domain retire example.com s2
is_rc 1 "retire an active pair is refused"
ok "reason: it is active" grep -q "is active" "$T/err"
run domain activate example.com s2
run domain retire example.com s1 --json
is_rc 0 "retire the old pair s1"
json "d['retired'] == ['s1r', 's1e']"; ok_rc $? "json: retired s1r, s1e"
ok "s1 files removed" test ! -e "$D/s1r.key" -a ! -e "$D/s1e.key"

# --- show, and an unsafe key -----------------------------------------------
run --json domain show example.com
is_rc 0 "show --json"
json "d['status'] == 'ok' and [(s['selector'], s['state'], s['bits'], s['safe']) for s in d['selectors']] == [('s2e', 'active', 256, True), ('s2r', 'active', 2048, True)] and d['selectors'][1]['record'].startswith('s2r._domainkey.example.com. IN TXT (')"
ok_rc $? "show: selectors, states, bits, safety, record"
chmod 644 "$D/s2r.key"
run domain show example.com
is_rc 0 "show with an unsafe key"
ok "show names the problem" grep -q "s2r: mode 0644 is unsafe (want 0600)" "$T/out"
ok "show marks it UNSAFE" grep -Eq '^s2r +rsa +2048 +active +UNSAFE' "$T/out"
run domain list
echo "$out" | grep -q "^example.com .*problem: key $D/s2r.key: mode 0644 is unsafe"
ok_rc $? "list: status problem with the milter's reason"
chmod 600 "$D/s2r.key"
# S5: group outpost holds Postfix (socket group): 0640 is warned about.
chmod 640 "$D/s2r.key"; chgrp "$(id -gn outpost)" "$D/s2r.key"
run domain show example.com
is_rc 0 "show with a 0640 key"
ok "show: SAFETY warning" grep -Eq '^s2r +rsa +2048 +active +warning ' "$T/out"
ok "show names the warning" grep -q "s2r: warning: mode 0640 lets group $(id -gn outpost) read the key, and Postfix may be in that group (accepted for now; chmod 0600)" "$T/out"
run domain list
echo "$out" | grep -q "^example.com .* ok, warning: key $D/s2r.key: mode 0640 lets group"
ok_rc $? "list: ok, with the warning"
run --json domain list
json "d[0]['status'] == 'ok' and 'mode 0640' in d[0]['warning'] and d[0]['problem'] is None"
ok_rc $? "list --json: status ok, warning named"
chgrp root "$D/s2r.key"
run domain show example.com
ok "0640 with another group is UNSAFE" grep -q "s2r: mode 0640 with group root is unsafe (want 0600)" "$T/out"
chmod 600 "$D/s2r.key"; chgrp "$(id -gn outpost)" "$D/s2r.key"
run domain rotate example.com --selector s3
chmod 644 "$D/s3e.key"
run domain activate example.com s3
is_rc 1 "activating an unsafe key is refused"
ok "reason names the file" grep -q "refusing to activate s3e: key $D/s3e.key: mode 0644" "$T/err"
run domain show nothere.example
is_rc 1 "show of an unknown domain"

# --- usage and refusals ----------------------------------------------------
run domain; is_rc 2 "domain without verb"
run domain frob; is_rc 2 "unknown verb"
run domain add; is_rc 2 "add without domain"
run domain add a.example b.example; is_rc 2 "add with two domains"
run domain add a.example --bogus; is_rc 2 "unknown option"
run domain activate example.com; is_rc 2 "activate without selector"
run domain add "a/b.example"; is_rc 1 "a domain with / is refused"
ok "reason names the domain" grep -q 'domain "a/b.example"' "$T/err"
run domain add x.example --selector "../s"; is_rc 2 "a bad selector is a usage error"
if [ "$(id -u)" = 0 ]; then
	printf 'keys_directory = %s\nuser = no-such-user-x\n' "$K" > "$T/nouser.conf"
	"$CTL" -c "$T/nouser.conf" domain add y.example >/dev/null 2>"$T/err"
	rc=$?
	is_rc 1 "as root, a missing user is refused"
	ok "reason names the user" grep -q 'user "no-such-user-x" (config key user) does not exist' "$T/err"
	ok "nothing written for it" test ! -e "$K/y.example"
else
	skip 3 "not root"
fi

# --- S3: the outpost account must not steer root through a symlink --------
# Older versions left the folders owned by outpost, so that account could
# swap a folder for a symlink while root worked in it.  Now every folder is
# opened O_NOFOLLOW and, as root, taken over (root:outpost 0750).
if [ "$(id -u)" = 0 ]; then
	K2=$T/legacy; V=$T/victim
	mkdir -p "$K2/old.example" "$V"
	cp -p "$D/s2r.key" "$D/s2e.key" "$V/"; printf 's2r\ns2e\n' > "$V/active"
	chown -R outpost:outpost "$K2"; chmod 750 "$K2" "$K2/old.example"
	ln -s "$V" "$K2/victim.example"; chown -h outpost "$K2/victim.example"
	printf 'keys_directory = %s\nuser = outpost\nredis_address = unix:%s/no-redis.sock\n' "$K2" "$T" > "$T/legacy.conf"
	lrun() { "$CTL" -c "$T/legacy.conf" "$@" >"$T/out" 2>"$T/err"; rc=$?; }
	before=$(ls -l --time-style=+ "$V" | md5sum)
	lrun domain rotate victim.example --selector evil
	is_rc 1 "rotate through a symlinked domain folder is refused"
	ok "reason: a symbolic link" grep -q "victim.example: a symbolic link" "$T/err"
	lrun domain activate victim.example s2r
	is_rc 1 "activate through a symlinked domain folder is refused"
	[ "$before" = "$(ls -l --time-style=+ "$V" | md5sum)" ] && test ! -e "$V/evilr.key"
	ok_rc $? "the symlink's target is untouched (no key, no active, no chown)"
	lrun domain add old.example --selector o1
	is_rc 0 "add into an outpost-owned legacy folder"
	[ "$(stat -c %U:%G:%a "$K2") $(stat -c %U:%G:%a "$K2/old.example")" = \
	    "root:outpost:750 root:outpost:750" ]
	ok_rc $? "legacy folders taken over: root:outpost 0750"
	[ "$(stat -c %U:%a "$K2/old.example/o1r.key")" = outpost:600 ]
	ok_rc $? "its keys: outpost 0600"
	chown nobody "$K2/old.example"
	lrun domain rotate old.example --selector o2
	is_rc 1 "a folder owned by another account is refused"
else
	skip 7 "not root"
fi

# --- one contract for every group: refusals under --json, usage text ------
run --json domain add example.com
is_rc 1 "--json: a refused add"
json "d == {'ok': False, 'error': d['error']} and 'already has keys' in d['error']"
ok_rc $? "--json refusal: {\"ok\":false,\"error\":...} on stdout"
ok "--json refusal: the reason on stderr too" grep -q "already has keys" "$T/err"
run domain show nothere.example --json
json "d['ok'] is False and 'no such domain' in d['error']"
ok_rc $? "--json after the verb: show of an unknown domain"
run --json domain add "a/b.example"
is_rc 1 "--json: a bad domain is refused"
json "d['ok'] is False and 'a/b.example' in d['error']"
ok_rc $? "--json: the bad domain's refusal as JSON"
run --json domain add; is_rc 2 "--json: a usage error stays exit 2"
[ -z "$out" ]; ok_rc $? "usage error: nothing on stdout"
ok "usage error names the verb's usage" grep -qx "usage: outpostctl domain add DOMAIN \[--selector SEL\]" "$T/err"
run --help; is_rc 0 "--help"
for v in "domain add DOMAIN" "domain show DOMAIN" "config \[--all\]" \
    "user deny NAME DOMAIN \[--any\]" "plan set PLAN LIMIT" \
    "suppress import FILE|- \[--user NAME\]"; do
	grep -q "^  $v" "$T/err"; ok_rc $? "--help lists: $v"
done

done_testing
