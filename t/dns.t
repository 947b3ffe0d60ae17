#!/bin/bash
# dns.t -- lib/dns (through t/tools/dnsq) against a real nsd on loopback:
# the four outcomes, TXT strings joined, threads sharing one resolver,
# and a server that does not answer giving an error within dns_timeout,
# never "no record".
. "$(dirname "$0")/lib/testenv.sh"
te_tmpdir
DNSQ="$TE_ROOT/t/tools/dnsq"
[ -x "$DNSQ" ] || skip_all "t/tools/dnsq not built (make)"
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"

te_zone "$T/zones" example.com <<'Z'
@ TXT "v=spf1 " "ip4:192.0.2.0/24" " -all"
@ TXT "second record"
@ A 192.0.2.1
@ MX 10 mx.example.com.
mx A 192.0.2.2
mx AAAA 2001:db8::2
only-txt TXT "x"
a.b.deep TXT "leaf"
alias CNAME mx.example.com.
Z
te_nsd_start "$T/zones"
q() { "$DNSQ" -s "$TE_DNS" -t 2000 "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

out=$(q txt example.com)
like "$out" '^example.com ok ' "TXT: found"
like "$out" 'v=spf1 ip4:192.0.2.0/24 -all' "TXT: character-strings joined"
like "$out" 'second record' "TXT: every record"
is "$(q txt nx.example.com)" "nx.example.com NXDOMAIN" "NXDOMAIN"
is "$(q txt mx.example.com)" "mx.example.com no data" "NOERROR without data: no data"
is "$(q txt no-such.com)" "no-such.com NXDOMAIN" "parent zone com: real NXDOMAIN"
is "$(q txt no-such.org)" "no-such.org NXDOMAIN" "parent zone org: real NXDOMAIN"
is "$(q txt x.not-served.example)" "x.not-served.example error SERVFAIL" \
    "a zone nobody serves: error, not NXDOMAIN"
is "$(q a mx.example.com)" "mx.example.com ok 192.0.2.2" "A"
is "$(q aaaa mx.example.com)" "mx.example.com ok 2001:db8::2" "AAAA"
is "$(q mx example.com)" "example.com ok 10 mx.example.com." "MX"
is "$(q a alias.example.com)" "alias.example.com ok 192.0.2.2" "A through a CNAME"
is "$(q exists example.com only-txt.example.com b.deep.example.com nope.example.com)" \
"example.com ok
only-txt.example.com no data
b.deep.example.com no data
nope.example.com NXDOMAIN" "exists: records, other types only, empty non-terminal, nothing"

# Threads: 8 threads x 100 rounds on one struct dns agree with the
# single-threaded answers.
out=$(q -j 8 -n 100 txt example.com nx.example.com mx.example.com no-such.net 2>&1)
like "$out" 'threads=8 lookups=3200 mismatches=0 ' "8 threads share one resolver"

# A server that accepts queries and never answers: an error, within
# dns_timeout, and threads time out side by side, not one after another.
te_dns_blackhole BH
t0=$(ms)
out=$("$DNSQ" -s "127.0.0.1@$BH" -t 700 txt example.com)
t1=$(ms)
is "$out" "example.com error timed out" "no answer: error \"timed out\", not NXDOMAIN"
# Bounds, not timings: not before dns_timeout, and far below what a
# resolver left to its own retries takes (tens of seconds), even on a
# loaded machine or under the sanitizers.
ok "...after dns_timeout (700 ms), took $((t1 - t0)) ms" \
    test $((t1 - t0)) -ge 650 -a $((t1 - t0)) -lt 6000
out=$("$DNSQ" -s "127.0.0.1@$BH" -t 700 -j 8 -n 2 txt example.com)
like "$out" 'threads=8 lookups=16 mismatches=0 ' "8 threads, all timed out"
el=$(printf '%s' "$out" | sed -n 's/.* ms=//p')
ok "...in parallel: 16 timeouts in $el ms (serialised: 11200)" test "$el" -lt 8000

# The server gone: error, not NXDOMAIN.
te_nsd_stop
is "$("$DNSQ" -s "$TE_DNS" -t 500 txt example.com)" "example.com error timed out" \
    "server stopped: error"
# ... and back on the same port.
te_nsd_start "$T/zones"
is "$(q txt nx.example.com)" "nx.example.com NXDOMAIN" "server restarted on $TE_DNS"
is "$("$DNSQ" -s "bad address" txt example.com 2>&1)" \
    'dnsq: dns_nameserver "bad": syntax error' "bad dns_nameserver: clear error"
done_testing
