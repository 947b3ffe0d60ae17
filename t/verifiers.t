#!/bin/bash
# verifiers.t -- the independent verifiers (t/lib/verify-dkimpy.py,
# t/lib/verify-maildkim.pl) accept good signatures made by OpenDKIM (a
# stored message) and by dkimpy (RSA and Ed25519, made here), and refuse
# tampered bodies and headers, missing and wrong keys, unsigned mail, and
# a message where only one of two signatures is good.  Needs no root.
. "$(dirname "$0")/lib/testenv.sh"
te_tmpdir
S="$TE_CORPUS/signed"
K="$T/keys"
W="$T/wrongkeys"

te_keygen "$K" example.com tr rsa
te_keygen "$K" example.com te ed25519
te_keygen "$W" example.com tr rsa
te_keygen "$W" example.com te ed25519
te_dns_from_keys "$K" >"$T/dns.txt"
te_dns_from_keys "$W" >"$T/wrong.txt"
grep -v '^te\.' "$T/dns.txt" >"$T/nokey-te.txt"

sign() {	# SEL IN OUT
	"$TE_PY" "$TE_ROOT/t/lib/sign-dkimpy.py" "$K/example.com/$1.key" \
	    example.com "$1" "$2" "$3" || te_fail "dkimpy could not sign $2"
}
# tamper FILE OUT SED-EXPR -- OUT is FILE with one edit that must apply.
tamper() {
	sed "$3" "$1" >"$2"
	! cmp -s "$1" "$2" || te_fail "tamper: '$3' changed nothing in $1"
}
run() {	# VERIFIER FILE DNS -> "rc=N" line + the verifier's lines
	local out rc
	out=$("te_verify_$1" "$2" "$3" 2>&1)
	rc=$?
	printf 'rc=%s\n%s' "$rc" "$out"
}

# 1. OpenDKIM's RSA signature (stored message, its public key).
r=$(run dkimpy "$S/opendkim-rsa.eml" "$S/opendkim-rsa.dns")
is "$r" "rc=0
i=0 a=rsa-sha256 d=example.com s=tr result=pass" "dkimpy: OpenDKIM rsa passes"
r=$(run maildkim "$S/opendkim-rsa.eml" "$S/opendkim-rsa.dns")
is "$r" "rc=0
i=0 a=rsa-sha256 d=example.com s=tr result=pass" "Mail::DKIM: OpenDKIM rsa passes"

tamper "$S/opendkim-rsa.eml" "$T/body.eml" 's/^This is a multi-part message/This is a multi-part massage/'
r=$(run dkimpy "$T/body.eml" "$S/opendkim-rsa.dns")
like "$r" '^rc=1
i=0 a=rsa-sha256 d=example.com s=tr result=fail .*body hash' "dkimpy: altered body fails"
r=$(run maildkim "$T/body.eml" "$S/opendkim-rsa.dns")
like "$r" '^rc=1
i=0 .* result=fail .*body has been altered' "Mail::DKIM: altered body fails"

tamper "$S/opendkim-rsa.eml" "$T/subj.eml" 's/^Subject: attachment/Subject: attachmend/'
r=$(run dkimpy "$T/subj.eml" "$S/opendkim-rsa.dns")
like "$r" '^rc=1
i=0 .* result=fail' "dkimpy: altered signed header fails"
r=$(run maildkim "$T/subj.eml" "$S/opendkim-rsa.dns")
like "$r" '^rc=1
i=0 .* result=fail' "Mail::DKIM: altered signed header fails"

# Relaxed canonicalization: re-folding whitespace must still pass.
tamper "$S/opendkim-rsa.eml" "$T/ws.eml" 's/^Subject: attachment/Subject:   attachment/'
r=$(run dkimpy "$T/ws.eml" "$S/opendkim-rsa.dns")
like "$r" '^rc=0' "dkimpy: relaxed header whitespace change still passes"

r=$(run dkimpy "$S/opendkim-rsa.eml" "$T/dns.txt")
like "$r" '^rc=1
i=0 .* result=fail' "dkimpy: another key in DNS fails"
r=$(run maildkim "$S/opendkim-rsa.eml" "$T/dns.txt")
like "$r" '^rc=1
i=0 .* result=fail' "Mail::DKIM: another key in DNS fails"
: >"$T/empty.txt"
r=$(run dkimpy "$S/opendkim-rsa.eml" "$T/empty.txt")
like "$r" '^rc=1
i=0 .* result=fail' "dkimpy: no key in DNS fails"
r=$(run maildkim "$S/opendkim-rsa.eml" "$T/empty.txt")
like "$r" '^rc=1
i=0 .* result=(fail|invalid) .*(no key|not available)' "Mail::DKIM: no key in DNS fails"

# 2. dkimpy's own signatures: rsa, then ed25519 on top.
sign tr "$TE_CORPUS/16-mime-mixed-base64.eml" "$T/r.eml"
sign te "$T/r.eml" "$T/er.eml"
r=$(run dkimpy "$T/er.eml" "$T/dns.txt")
is "$r" "rc=0
i=0 a=ed25519-sha256 d=example.com s=te result=pass
i=1 a=rsa-sha256 d=example.com s=tr result=pass" "dkimpy: ed25519 + rsa pass"
r=$(run maildkim "$T/er.eml" "$T/dns.txt")
like "$r" '^rc=0
i=0 a=ed25519-sha256 d=example.com s=te result=skipped.*
i=1 a=rsa-sha256 d=example.com s=tr result=pass$' "Mail::DKIM: rsa passes, ed25519 skipped"

sign te "$TE_CORPUS/05-utf8-body.eml" "$T/e.eml"
r=$(run dkimpy "$T/e.eml" "$T/dns.txt")
is "$r" "rc=0
i=0 a=ed25519-sha256 d=example.com s=te result=pass" "dkimpy: ed25519 alone passes"
r=$(run maildkim "$T/e.eml" "$T/dns.txt")
like "$r" '^rc=1
i=0 a=ed25519-sha256 .* result=skipped' "Mail::DKIM: ed25519 alone is no pass (nothing checked)"
tamper "$T/e.eml" "$T/e-body.eml" 's/Köln/Koln/'
r=$(run dkimpy "$T/e-body.eml" "$T/dns.txt")
like "$r" '^rc=1
i=0 a=ed25519-sha256 .* result=fail' "dkimpy: ed25519 altered body fails"
r=$(run dkimpy "$T/e.eml" "$T/wrong.txt")
like "$r" '^rc=1
i=0 a=ed25519-sha256 .* result=fail' "dkimpy: ed25519 under another key fails"

# One good and one bad signature: the message as a whole fails.
r=$(run dkimpy "$T/er.eml" "$T/nokey-te.txt")
like "$r" '^rc=1
i=0 a=ed25519-sha256 .* result=fail.*
i=1 a=rsa-sha256 .* result=pass$' "dkimpy: one bad signature of two fails the message"
tamper "$T/er.eml" "$T/er-to.eml" 's/^To: Bob/To: Rob/'
r=$(run maildkim "$T/er-to.eml" "$T/dns.txt")
like "$r" '^rc=1
i=0 .* result=skipped.*
i=1 a=rsa-sha256 .* result=fail' "Mail::DKIM: altered To fails rsa"

# 3. Unsigned mail.
r=$(run dkimpy "$TE_CORPUS/01-simple.eml" "$T/dns.txt")
is "$r" "rc=1
no signatures" "dkimpy: unsigned message fails"
r=$(run maildkim "$TE_CORPUS/01-simple.eml" "$T/dns.txt")
is "$r" "rc=1
no signatures" "Mail::DKIM: unsigned message fails"
done_testing
