#!/bin/bash
# spf-helper.t -- the SPF helper (lib/spfhelper, through t/tools/spfcheck)
# against a real nsd: every RFC 7208 result, the worker isolated from the
# key files, killed mid-load and restarted, and a DNS server that does not
# answer giving temperror, not none.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
te_tmpdir
S="$TE_ROOT/t/tools/spfcheck"
[ -x "$S" ] || skip_all "t/tools/spfcheck not built (make)"
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"

# 11 DNS-querying mechanisms: one more than RFC 7208 allows.
many=""
for i in 1 2 3 4 5 6 7 8 9 10 11; do many="$many a:h$i.example.org"; done
te_zone "$T/zones" example.com <<Z
pass TXT "v=spf1 ip4:192.0.2.0/24 -all"
fail TXT "v=spf1 ip4:198.51.100.1 -all"
soft TXT "v=spf1 ip4:198.51.100.1 ~all"
neutral TXT "v=spf1 ?all"
nospf TXT "not an spf record"
syntax TXT "v=spf1 ip4:300.1.1.1 -all"
two TXT "v=spf1 -all"
two TXT "v=spf1 +all"
toomany TXT "v=spf1$many -all"
viamx TXT "v=spf1 mx -all"
viamx MX 10 mx.example.com.
mx A 192.0.2.9
inc TXT "v=spf1 include:x.unserved.example -all"
incnx TXT "v=spf1 include:missing.example.net -all"
six TXT "v=spf1 ip6:2001:db8::/32 -all"
helo TXT "v=spf1 ip4:192.0.2.7 -all"
Z
te_nsd_start "$T/zones"
spf() { "$S" -s "$TE_DNS" -t 1000 "$@" | tail -1; }
verdict() { spf 192.0.2.9 mx.example.net "a@$1" | cut -d' ' -f1-3; }

is "$(verdict pass.example.com)" "pass pass.example.com mailfrom" "ip4 match: pass"
is "$(verdict fail.example.com)" "fail fail.example.com mailfrom" "-all: fail"
is "$(verdict soft.example.com)" "softfail soft.example.com mailfrom" "~all: softfail"
is "$(verdict neutral.example.com)" "neutral neutral.example.com mailfrom" "?all: neutral"
is "$(verdict nospf.example.com)" "none nospf.example.com mailfrom" "no SPF record: none"
is "$(verdict nx.example.com)" "none nx.example.com mailfrom" "no such domain: none"
is "$(verdict syntax.example.com)" "permerror syntax.example.com mailfrom" \
    "syntax error in the record: permerror (libspf2 said INVALID)"
is "$(verdict two.example.com)" "permerror two.example.com mailfrom" "two records: permerror"
is "$(verdict toomany.example.com)" "permerror toomany.example.com mailfrom" \
    "11 DNS mechanisms: permerror"
is "$(verdict viamx.example.com)" "pass viamx.example.com mailfrom" "mx mechanism through MX + A: pass"
is "$(verdict x.unserved.example)" "temperror x.unserved.example mailfrom" \
    "DNS error (SERVFAIL) on the record: temperror"
is "$(verdict inc.example.com)" "temperror inc.example.com mailfrom" \
    "DNS error inside include: temperror"
is "$(verdict incnx.example.com)" "permerror incnx.example.com mailfrom" \
    "include of a domain without a record: permerror"
is "$(spf 2001:db8::5 mx.example.net a@six.example.com | cut -d' ' -f1)" pass "IPv6 client: pass"
is "$(spf 192.0.2.7 helo.example.com '' | cut -d' ' -f1-3)" "pass helo.example.com helo" \
    "null sender: the HELO identity is checked"
is "$(spf 192.0.2.7 helo.example.com '<>' | cut -d' ' -f1-3)" "pass helo.example.com helo" \
    "<> sender: likewise"
like "$(spf 300.1.2.3 mx.example.net a@pass.example.com)" '^error: not an IP address' \
    "bad client address: error, no verdict"

# A DNS server that never answers: temperror within the budget
# (2 x dns_timeout), never "none".
te_dns_blackhole BH
t0=$(date +%s%N)
out=$("$S" -s "127.0.0.1@$BH" -t 500 192.0.2.9 mx.example.net a@pass.example.com | tail -1)
t1=$(date +%s%N)
like "$out" '^temperror pass.example.com ' "server does not answer: temperror"
el=$(((t1 - t0) / 1000000))
ok "...within 2 x dns_timeout + start-up (took $el ms)" test "$el" -lt 2500

# Isolation: a key file like the milter's (0600, owned by outpost).
mkdir -p "$T/keys/example.com"
echo "-----BEGIN PRIVATE KEY-----" >"$T/keys/example.com/s1.key"
chmod 600 "$T/keys/example.com/s1.key"
chown outpost "$T/keys/example.com/s1.key" 2>/dev/null
key="$T/keys/example.com/s1.key"
out=$("$S" -s "$TE_DNS" -p "$key")
is "$(printf '%s\n' "$out" | head -1)" "isolated=1" "started by root: isolated"
probe=$(printf '%s\n' "$out" | sed -n 2p)
like "$probe" "uid=65534 gid=65534 " "worker runs as nobody"
like "$probe" " root=0 " "worker's / is empty"
unlike "$probe" "open=ok" "worker cannot open the key file ($(printf '%s' "$probe" | sed 's/.*open=//'))"
ok "nobody cannot read the key outside the chroot either" \
    sh -c "! setpriv --reuid=65534 --regid=65534 --clear-groups cat '$key'"

# The live worker, seen from outside: uid, empty deleted root, limits.
# Long enough that a loaded machine still kills it mid-run.
"$S" -s "$TE_DNS" -d 10000 -j 8 192.0.2.1 mx.example.net a@pass.example.com >"$T/load.out" &
lp=$!
te_wait grep -q '^pass ' "$T/load.out"
sup=$(ps -o pid= --ppid "$lp" | tr -d ' ' | head -1)
wk=$(ps -o pid= --ppid "$sup" | tr -d ' ' | head -1)
like "$(grep '^Uid:' "/proc/$wk/status")" '^Uid:[[:space:]]+65534[[:space:]]+65534' "worker pid $wk: Uid nobody"
like "$(grep '^Uid:' "/proc/$sup/status")" '^Uid:[[:space:]]+65534' "supervisor pid $sup: Uid nobody"
like "$(readlink "/proc/$wk/root")" '^/tmp/outpost-spf\..* \(deleted\)$' "worker's root: a deleted empty directory"
like "$(grep '^NoNewPrivs:' "/proc/$wk/status")" '1$' "worker: no_new_privs"
like "$(grep 'Max file size' "/proc/$wk/limits")" 'Max file size +0 +0 ' "worker: RLIMIT_FSIZE 0"
like "$(grep 'Max core file size' "/proc/$wk/limits")" 'size +0 +0 ' "worker: RLIMIT_CORE 0"
if grep -q __asan_init "$S"; then
	skip 1 "AddressSanitizer build: RLIMIT_AS is not set"
else
	like "$(grep 'Max address space' "/proc/$wk/limits")" 'space +536870912 ' "worker: RLIMIT_AS 512 MB"
fi

# Killed mid-load: the requests in flight fail, the next ones pass again.
sleep 1
kill -0 "$wk" 2>/dev/null || diag "worker $wk gone before the kill: $(cat "$T/load.out")"
kill -9 "$wk"
t0=$SECONDS
wait "$lp"
rc=$?
is "$rc" 0 "load run finished"
ok "...without hanging ($((SECONDS - t0)) s after the kill)" test $((SECONDS - t0)) -le 12
res=$(head -3 "$T/load.out" | grep '^ok=')
like "$res" ' wrong=0 ' "no wrong verdict ($res)"
like "$res" ' failed=[1-9]' "requests in flight failed"
like "$res" ' ok_after_failure=[1-9]' "later requests got a verdict from the new worker"
like "$(grep '^error:' "$T/load.out")" 'died with the request in flight' \
    "the failure says why"
unlike "$(grep '^error:' "$T/load.out")" 'no answer within' "nothing waited for the deadline"
kill -0 "$wk" 2>/dev/null
is $? 1 "old worker gone"

# Helper ends with its caller: no process left as nobody from this run.
ok "supervisor gone after the caller" sh -c "! kill -0 $sup 2>/dev/null"
done_testing
