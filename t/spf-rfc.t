#!/bin/bash
# spf-rfc.t -- the corners of RFC 7208 through the SPF helper
# (lib/spfhelper -> lib/spfeval -> libspf2, driven by t/tools/spfcheck)
# against a real nsd: the void lookup limit (4.6.4), the limit of ten
# DNS-querying terms (4.6.4), several records (4.5), syntax errors (4.6),
# include loops, DNS failures (temperror, never none or fail), the seven
# result names, and the HELO identity for the null sender (2.4).
# Each case names the exact result a correct implementation returns.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
te_tmpdir
S="$TE_ROOT/t/tools/spfcheck"
[ -x "$S" ] || skip_all "t/tools/spfcheck not built (make)"
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"

terms() {	# PREFIX N -- " PREFIXh1.example.org ... PREFIXhN.example.org"
	local i s=""
	for ((i = 1; i <= $2; i++)); do s="$s $1h$i.example.org"; done
	printf '%s' "$s"
}
te_zone "$T/zones" example.org <<Z
$(for i in 1 2 3 4 5 6 7 8 9 10 11; do echo "h$i A 198.51.100.$i"; done)
Z
te_zone "$T/zones" example.com <<Z
; void lookups: NXDOMAIN and NODATA answers to a, mx, exists
void2 TXT "v=spf1 a:nx1.example.com a:nx2.example.com -all"
void3 TXT "v=spf1 a:nx1.example.com a:nx2.example.com a:nx3.example.com -all"
voidnodata TXT "v=spf1 a:txtonly.example.com mx:txtonly.example.com exists:nx1.example.com -all"
txtonly TXT "no address here"
voidinc TXT "v=spf1 include:voidpart.example.com a:nx3.example.com -all"
voidpart TXT "v=spf1 a:nx1.example.com a:nx2.example.com ?all"
voidlate TXT "v=spf1 ip4:192.0.2.9 a:nx1.example.com a:nx2.example.com a:nx3.example.com -all"
voidmx TXT "v=spf1 mx -all"
voidmx MX 10 nx1.example.com.
voidmx MX 20 nx2.example.com.
voidmx MX 30 nx3.example.com.
; ten DNS-querying terms are allowed, eleven are not; includes count
ten TXT "v=spf1$(terms a: 10) -all"
eleven TXT "v=spf1$(terms a: 11) -all"
incten TXT "v=spf1 include:inc5.example.com$(terms a: 5) -all"
inc5 TXT "v=spf1$(terms a: 4) ?all"
incmany TXT "v=spf1 include:inc5.example.com$(terms a: 6) -all"
redir TXT "v=spf1$(terms a: 9) redirect=redir2.example.com"
redir2 TXT "v=spf1 a:h10.example.org -all"
redirmany TXT "v=spf1$(terms a: 9) redirect=redir3.example.com"
redir3 TXT "v=spf1 a:h10.example.org a:h11.example.org -all"
ipnocount TXT "v=spf1 ip4:203.0.113.1 ip4:203.0.113.2 ip4:203.0.113.3 ip4:203.0.113.4 ip4:203.0.113.5 ip4:203.0.113.6 ip4:203.0.113.7 ip4:203.0.113.8 ip4:203.0.113.9 ip4:203.0.113.10 ip4:203.0.113.11 all"
; several records, syntax errors
two TXT "v=spf1 -all"
two TXT "v=spf1 +all"
twoplus TXT "v=spf1 ip4:192.0.2.9 -all"
twoplus TXT "v=spf10 +all"
twoplus TXT "spf1 +all"
badmech TXT "v=spf1 foo:bar -all"
badip TXT "v=spf1 ip4:192.0.2.300 -all"
badcidr TXT "v=spf1 ip4:192.0.2.0/33 -all"
badqual TXT "v=spf1 ip4:192.0.2.9 *all"
badmacro TXT "v=spf1 a:%{z}.example.com -all"
dupredir TXT "v=spf1 redirect=a.example.com redirect=b.example.com"
incbad TXT "v=spf1 include:badmech.example.com -all"
redirnone TXT "v=spf1 redirect=nx9.example.com"
; include loops
loopa TXT "v=spf1 include:loopb.example.com -all"
loopb TXT "v=spf1 include:loopa.example.com -all"
loopself TXT "v=spf1 include:loopself.example.com -all"
redirloop TXT "v=spf1 redirect=redirloop.example.com"
; DNS failure inside evaluation: SERVFAIL (a zone nsd cannot load) and
; REFUSED (a name under no zone nsd serves)
incsf TXT "v=spf1 include:x.sf.example.net -all"
asf TXT "v=spf1 a:x.sf.example.net -all"
mxsf TXT "v=spf1 mx:x.sf.example.net -all"
existssf TXT "v=spf1 exists:x.sf.example.net -all"
increfused TXT "v=spf1 include:x.unserved.example -all"
; the seven results
pass TXT "v=spf1 ip4:192.0.2.0/24 -all"
fail TXT "v=spf1 -all"
soft TXT "v=spf1 ~all"
neutral TXT "v=spf1 ?all"
nospf TXT "v=spf2.0/pra -all"
; HELO identity: the local part of the null sender is postmaster
helo TXT "v=spf1 exists:%{l}.lp.example.com -all"
postmaster.lp A 127.0.0.2
helomf TXT "v=spf1 ip4:192.0.2.7 -all"
Z
# A zone file nsd cannot load: nsd answers SERVFAIL for the zone.
printf 'this is not a zone file\n' >"$T/zones/sf.example.net.zone"
te_nsd_start "$T/zones"

spf() { "$S" -s "$TE_DNS" -t 1000 "$@" | tail -1; }
# verdict DOMAIN [IP] -- "RESULT DOMAIN IDENTITY" for a@DOMAIN
verdict() { spf "${2:-192.0.2.9}" mx.example.net "a@$1" | cut -d' ' -f1-3; }
# check NAME DOMAIN WANT [IP]
check() {
	local got
	got=$(spf "${4:-192.0.2.9}" mx.example.net "a@$2")
	is "$(printf '%s' "$got" | cut -d' ' -f1-3)" "$3 $2 mailfrom" "$1"
	[ "$(printf '%s' "$got" | cut -d' ' -f1)" = "$3" ] || diag "$got"
	LAST=$got
}

# --- (a) void lookups (RFC 7208 4.6.4): at most two per check
check "two void lookups are allowed: fail" void2.example.com fail
check "a third void lookup: permerror" void3.example.com permerror
like "$LAST" '\| more than 2 void DNS lookups \(RFC 7208 4\.6\.4\): nx3\.example\.com has no record$' \
    "...and the explanation says so"
check "NODATA counts as void as NXDOMAIN does (a, mx, exists)" voidnodata.example.com permerror
check "void lookups are counted across include" voidinc.example.com permerror
check "a match before the voids: pass" voidlate.example.com pass
check "MX hosts without address are no void terms (the mx term had data): fail" \
    voidmx.example.com fail

# --- (b) ten DNS-querying terms
check "ten DNS terms: evaluated (fail)" ten.example.com fail
check "ten DNS terms, the last one matches: pass" ten.example.com pass 198.51.100.10
check "eleven DNS terms: permerror" eleven.example.com permerror
check "eleven DNS terms, the eleventh would match: permerror (libspf2: pass)" \
    eleven.example.com permerror 198.51.100.11
like "$LAST" '\| more than 10 DNS-querying terms \(RFC 7208 4\.6\.4\) at h11\.example\.org$' \
    "...and the explanation says so"
check "include + 4 inside + 5 after = 10: fail" incten.example.com fail
check "include + 4 inside + 6 after = 11: permerror (libspf2: fail)" incmany.example.com permerror
check "9 + redirect + 1 = 11... redirect counts: permerror" redir.example.com permerror
check "ip4 terms do not count: pass via all" ipnocount.example.com pass

# --- (c), (d) several records, syntax errors
check "two v=spf1 records: permerror" two.example.com permerror
check "one v=spf1 among look-alikes: used (pass)" twoplus.example.com pass
check "unknown mechanism: permerror" badmech.example.com permerror
check "bad ip4 address: permerror" badip.example.com permerror
check "ip4 prefix over 32: permerror" badcidr.example.com permerror
check "bad qualifier: permerror" badqual.example.com permerror
check "unknown macro letter: permerror" badmacro.example.com permerror
check "redirect given twice: permerror" dupredir.example.com permerror
check "syntax error inside an include: permerror" incbad.example.com permerror
check "redirect to a domain without a record: permerror" redirnone.example.com permerror

# --- (e) loops
check "include loop a -> b -> a: permerror" loopa.example.com permerror
check "include of itself: permerror" loopself.example.com permerror
check "redirect to itself: permerror" redirloop.example.com permerror

# --- (f) DNS failures: temperror
check "include target SERVFAIL: temperror" incsf.example.com temperror
check "a: target SERVFAIL: temperror" asf.example.com temperror
check "mx: target SERVFAIL: temperror" mxsf.example.com temperror
check "exists: target SERVFAIL: temperror" existssf.example.com temperror
check "the record itself SERVFAIL: temperror" x.sf.example.net temperror
check "include target REFUSED: temperror" increfused.example.com temperror
check "the record itself REFUSED: temperror" x.unserved.example temperror
te_dns_blackhole BH
got=$("$S" -s "127.0.0.1@$BH" -t 300 192.0.2.9 mx.example.net a@pass.example.com | tail -1)
is "$(printf '%s' "$got" | cut -d' ' -f1-3)" "temperror pass.example.com mailfrom" \
    "server that never answers: temperror"

# --- (g) the seven results, by distinct names
check "pass" pass.example.com pass
check "fail" fail.example.com fail
check "softfail" soft.example.com softfail
check "neutral" neutral.example.com neutral
check "none (only a v=spf2.0 record)" nospf.example.com none
check "temperror" x.unserved.example temperror
check "permerror" two.example.com permerror

# --- (h) null sender: postmaster@HELO
is "$(spf 192.0.2.9 helo.example.com '' | cut -d' ' -f1-3)" "pass helo.example.com helo" \
    "MAIL FROM:<>: HELO checked, local part postmaster (%{l})"
is "$(spf 192.0.2.9 helo.example.com '<>' | cut -d' ' -f1-3)" "pass helo.example.com helo" \
    "'<>' likewise"
is "$(spf 192.0.2.9 mx.example.net 'someone@helo.example.com' | cut -d' ' -f1-3)" \
    "fail helo.example.com mailfrom" "a real sender is checked with its own local part"
is "$(spf 192.0.2.8 helomf.example.com '' | cut -d' ' -f1-3)" "fail helomf.example.com helo" \
    "null sender, HELO policy excludes the client: fail"
done_testing
