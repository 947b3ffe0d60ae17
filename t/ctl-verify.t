#!/bin/bash
# ctl-verify.t -- outpostctl domain verify against a real nsd on loopback
# and a real redis-server: zones that are right (both DKIM keys, SPF, DMARC
# p=reject), half right (DKIM records holding the public keys of OTHER
# private keys, SPF without the relay address, no DMARC), wrong (nothing
# published), a subdomain governed by its organisational domain's DMARC
# record, and DNS servers that do not answer (DNS error, never "missing";
# a verified domain is not flipped).  Each time the Redis state
# (Pdomain:DOMAIN) and the --json document are checked; --all reports the
# domains whose state changed; domain list/show show the state; user add
# without --domain warns when authorize_senders = yes.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
command -v nsd >/dev/null || skip_all "nsd not installed (make deps)"
CTL="$TE_ROOT/ctl/outpostctl"
[ -x "$CTL" ] || skip_all "ctl/outpostctl not built (make)"
te_tmpdir
te_redis_start
K=$T/keys
RELAY=192.0.2.25

conf() {	# conf FILE KEYSDIR NAMESERVER TIMEOUT [EXTRA LINE]
	printf 'keys_directory = %s\nuser = outpost\nredis_address = unix:%s\ndns_nameserver = %s\ndns_timeout = %s\n%s\n' \
	    "$2" "$T/redis.sock" "$3" "$4" "${5:-}" >"$1"
}
run() {	# run CONF ARGS...: sets rc, out, err
	local c=$1
	shift
	"$CTL" -c "$c" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
jsonq() {	# jsonq PYTHON-EXPR: evaluated with d = the JSON on stdout
	"$TE_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ('"$1"') else 1)' "$T/out"
}
state() { te_redis_cli --raw HGET "outpost:domain:$1" "$2"; }

# TXT value of a selector (as domain show --json prints it), split into
# quoted strings of at most 200 bytes for the zone file.
txt_of() {	# txt_of CONF DOMAIN SELECTOR
	"$CTL" -c "$1" --json domain show "$2" | "$TE_PY" -c '
import json, sys
d = json.load(sys.stdin)
t = [s["txt"] for s in d["selectors"] if s["selector"] == sys.argv[1]][0]
print(" ".join("\"%s\"" % t[i:i + 200] for i in range(0, len(t), 200)))' "$3"
}

# ---- keys: ours, and another set for the half-right zone
te_free_port NOPORT			# nothing listens here
conf "$T/gen.conf" "$K" "127.0.0.1@$NOPORT" 1s
conf "$T/other.conf" "$T/otherkeys" "127.0.0.1@$NOPORT" 1s
for d in example.com mail.example.com example.net example.org; do
	"$CTL" -c "$T/gen.conf" domain add "$d" --selector s1 >/dev/null ||
	    te_fail "domain add $d"
done
"$CTL" -c "$T/other.conf" domain add example.net --selector s1 >/dev/null ||
    te_fail "domain add (other keys)"

te_zone "$T/zones" example.com <<Z
s1r._domainkey TXT ( $(txt_of "$T/gen.conf" example.com s1r) )
s1e._domainkey TXT ( $(txt_of "$T/gen.conf" example.com s1e) )
@ TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc TXT "v=DMARC1; p=reject; sp=quarantine"
s1r._domainkey.mail TXT ( $(txt_of "$T/gen.conf" mail.example.com s1r) )
s1e._domainkey.mail TXT ( $(txt_of "$T/gen.conf" mail.example.com s1e) )
mail A 192.0.2.30
Z
te_zone "$T/zones" example.net <<Z
s1r._domainkey TXT ( $(txt_of "$T/other.conf" example.net s1r) )
s1e._domainkey TXT ( $(txt_of "$T/other.conf" example.net s1e) )
@ TXT "v=spf1 ip4:198.51.100.1 ~all"
Z
te_zone "$T/zones" example.org </dev/null
te_nsd_start "$T/zones"
conf "$T/c.conf" "$K" "$TE_DNS" 2s "relay_addresses = $RELAY"

# ---- right
run "$T/c.conf" domain verify example.com
is "$rc" 0 "right: exit 0 (verified)"
like "$out" "example.com: DKIM +s1r \(rsa\) +ok +s1r._domainkey.example.com publishes the public key of s1r.key" "right: DKIM RSA ok"
like "$out" "example.com: DKIM +s1e \(ed25519\) +ok " "right: DKIM Ed25519 ok"
like "$out" "example.com: SPF +- +ok +\"v=spf1 ip4:192.0.2.0/24 -all\": $RELAY pass$" "right: SPF authorises the relay (pass, by the SPF helper)"
like "$out" "example.com: DMARC +- +ok +p=reject at _dmarc.example.com$" "right: DMARC p=reject at the domain"
like "$out" "^example.com: verified since " "right: verified"
unlike "$out" "publish:" "right: nothing to publish"
is "$(state example.com state)" verified "right: Redis state verified"
is "$(state example.com reasons)" "" "right: no reasons"
since1=$(state example.com since)
ok "right: Redis results hold the checks as JSON" "$TE_PY" -c '
import json, sys
r = json.loads(sys.argv[1])
v = [(c["check"], c["verdict"]) for c in r["checks"]]
sys.exit(0 if ("DKIM", "ok") in v and ("DMARC", "ok") in v else 1)' "$(state example.com results)"
is "$(te_redis_cli --raw SISMEMBER outpost:domains example.com)" 1 "right: in Pdomains"
sleep 1.1
run "$T/c.conf" --json domain verify example.com
is "$rc" 0 "right again, --json: exit 0"
ok "right --json: verified, unchanged, p=reject" jsonq "d['verified'] and d['state'] == 'verified' and not d['changed'] and d['previous'] == 'verified' and d['dmarc_policy'] == 'reject' and [c['verdict'] for c in d['checks'] if c['check'] == 'DKIM'] == ['ok', 'ok']"
is "$(state example.com since)" "$since1" "since unchanged when the state is"

# ---- half right: other keys' records, SPF without the relay, no DMARC
run "$T/c.conf" domain verify example.net
is "$rc" 1 "half right: exit 1"
like "$out" "example.net: DKIM +s1r \(rsa\) +wrong +s1r._domainkey.example.net: k=rsa with the public key of another private key" "half right: RSA record of another key: wrong"
like "$out" "example.net: DKIM +s1e \(ed25519\) +wrong .*another private key" "half right: Ed25519 record of another key: wrong"
like "$out" "publish: s1r._domainkey.example.net. IN TXT \( \"v=DKIM1; k=rsa; p=" "half right: the RSA record to publish"
like "$out" "example.net: SPF +- +wrong +\"v=spf1 ip4:198.51.100.1 ~all\": $RELAY softfail$" "half right: SPF without the relay: softfail"
like "$out" "publish: example.net. IN TXT \"v=spf1 ip4:$RELAY ip4:198.51.100.1 ~all\"" "half right: the SPF record to publish adds the relay"
like "$out" "example.net: DMARC +- +missing +no DMARC record at _dmarc.example.net" "half right: DMARC missing"
like "$out" 'publish: _dmarc.example.net. IN TXT "v=DMARC1; p=none; rua=mailto:dmarc-reports@example.net"' "half right: the DMARC record to publish"
like "$out" "^example.net: not verified since .*: DKIM s1r \(rsa\) wrong; DKIM s1e \(ed25519\) wrong; DMARC - missing$" "half right: not verified, with the reasons"
is "$(state example.net state)" unverified "half right: Redis state unverified"
is "$(state example.net reasons)" "DKIM s1r (rsa) wrong; DKIM s1e (ed25519) wrong; DMARC - missing" "half right: Redis reasons"
run "$T/c.conf" --json domain verify example.net
ok "half right --json: not verified, reasons, publish records" jsonq "not d['verified'] and d['state'] == 'unverified' and 'DMARC - missing' in d['reasons'] and all(c['publish'] for c in d['checks'] if c['verdict'] in ('wrong', 'missing'))"

# ---- wrong: nothing published
run "$T/c.conf" domain verify example.org
is "$rc" 1 "wrong: exit 1"
like "$out" "example.org: DKIM +s1r \(rsa\) +missing +s1r._domainkey.example.org: NXDOMAIN" "wrong: DKIM missing (NXDOMAIN)"
like "$out" "example.org: SPF +- +missing +example.org: no SPF record" "wrong: SPF missing"
like "$out" "publish: example.org. IN TXT \"v=spf1 ip4:$RELAY ~all\"" "wrong: the SPF record to publish names relay_addresses"
like "$out" "example.org: DMARC +- +missing " "wrong: DMARC missing"
is "$(state example.org state)" unverified "wrong: Redis state unverified"

# ---- subdomain: DMARC only at the organisational domain
run "$T/c.conf" --json domain verify mail.example.com
is "$rc" 0 "subdomain: verified through the organisational domain's DMARC"
ok "subdomain --json: sp=quarantine of example.com applies" jsonq "d['verified'] and d['dmarc_policy'] == 'quarantine' and [c['found'] for c in d['checks'] if c['check'] == 'DMARC'][0].startswith('sp=quarantine at _dmarc.example.com (organisational domain)')"
is "$(state mail.example.com state)" verified "subdomain: Redis state verified"

# ---- relay_addresses empty: SPF not checked
conf "$T/norelay.conf" "$K" "$TE_DNS" 2s
run "$T/norelay.conf" domain verify example.com
like "$out" 'example.com: SPF +- +not checked +"v=spf1 ip4:192.0.2.0/24 -all"; relay_addresses is empty: not checked' "no relay_addresses: SPF not checked"
is "$rc" 0 "no relay_addresses: SPF does not decide the state"

# ---- DNS servers that do not answer
conf "$T/dead.conf" "$K" "127.0.0.1@$NOPORT" 1s "relay_addresses = $RELAY"
run "$T/dead.conf" domain verify example.com
is "$rc" 1 "nothing listening: exit 1"
like "$out" "example.com: DKIM +s1r \(rsa\) +DNS error " "nothing listening: DKIM says DNS error"
like "$out" "example.com: DMARC +- +DNS error " "nothing listening: DMARC says DNS error"
like "$out" "example.com: SPF +- +DNS error " "nothing listening: SPF says DNS error"
unlike "$out" "missing" "nothing listening: never 'missing'"
like "$out" "^example.com: state kept: verified since " "nothing listening: the verified state is kept"
is "$(state example.com state)" verified "nothing listening: Redis still verified"
is "$(state example.com since)" "$since1" "nothing listening: since untouched"
run "$T/dead.conf" --json domain verify example.net
ok "nothing listening --json: not verified, DNS error verdicts" jsonq "not d['verified'] and d['state'] == 'unverified' and 'DNS error' in [c['verdict'] for c in d['checks']] and 'missing' not in [c['verdict'] for c in d['checks']]"
is "$(state example.net state)" unverified "nothing listening: an unverified domain is not flipped to verified"
te_dns_blackhole HANG
conf "$T/hang.conf" "$K" "127.0.0.1@$HANG" 1s
start=$SECONDS
run "$T/hang.conf" domain verify example.org
is "$rc" 1 "server that never answers: exit 1"
like "$out" "example.org: DKIM +s1r \(rsa\) +DNS error " "never answers: DNS error, not missing"
[ $((SECONDS - start)) -le 15 ]; ok "never answers: bounded by dns_timeout ($((SECONDS - start))s)" test $? = 0

# ---- list and show
run "$T/c.conf" domain list
like "$out" "^example\.com +s1r,s1e +0 +verified +ok$" "list: example.com verified"
like "$out" "^example\.net +s1r,s1e +0 +not verified +ok$" "list: example.net not verified"
run "$T/c.conf" --json domain list
ok "list --json: verification state per domain" jsonq "{x['domain']: x['verification']['state'] for x in d} == {'example.com': 'verified', 'example.net': 'unverified', 'example.org': 'unverified', 'mail.example.com': 'verified'}"
run "$T/c.conf" domain show example.net
like "$out" "^verified:  no since .* \(checked .*\): DKIM s1r \(rsa\) DNS error; DKIM s1e \(ed25519\) DNS error; DMARC - DNS error$" "show: not verified, when, the last check's reasons"
run "$T/c.conf" --json domain show example.com
ok "show --json: verified with times" jsonq "d['verification']['state'] == 'verified' and d['verification']['since'] and d['verification']['reasons'] == ''"
conf "$T/noredis.conf" "$K" "$TE_DNS" 2s
sed -i "s|^redis_address = .*|redis_address = unix:$T/nothing.sock|" "$T/noredis.conf"
run "$T/noredis.conf" domain list
is "$rc" 0 "list without Redis still lists the keys"
like "$out" "^example\.com +s1r,s1e +0 +unknown +ok$" "list without Redis: state unknown"
like "$err" "warning: .*verification state unknown" "list without Redis: warns"

# ---- --all: a domain whose records disappeared loses its state
te_nsd_stop
te_zone "$T/zones" example.com <<Z
@ TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc TXT "v=DMARC1; p=reject; sp=quarantine"
s1r._domainkey.mail TXT ( $(txt_of "$T/gen.conf" mail.example.com s1r) )
mail A 192.0.2.30
Z
te_nsd_start "$T/zones"
te_redis_cli SADD outpost:domains gone.example.com >/dev/null
run "$T/c.conf" domain verify --all
is "$rc" 1 "--all: exit 1 (not all verified)"
like "$out" "5 domains checked, 1 verified; changed state:" "--all: summary"
like "$out" "^  example.com: verified -> unverified$" "--all: example.com lost its state"
like "$out" "^gone.example.com: DKIM +- +missing +no active key in " "--all: a Pdomains member without keys is checked too"
unlike "$out" "^  gone.example.com" "--all: never checked -> unverified is no change of state"
is "$(state gone.example.com state)" unverified "--all: Redis gone.example.com unverified"
unlike "$out" "^  mail.example.com:" "--all: mail.example.com unchanged (one selector still matches)"
is "$(state example.com state)" unverified "--all: Redis example.com unverified"
run "$T/c.conf" --json domain verify --all
ok "--all --json: nothing changed the second time" jsonq "not d['all_verified'] and d['changed'] == [] and len(d['domains']) == 5"

# ---- usage
run "$T/c.conf" domain verify; is "$rc" 2 "verify without DOMAIN or --all: usage"
run "$T/c.conf" domain verify example.com --all; is "$rc" 2 "DOMAIN and --all: usage"

# ---- user add without --domain warns under authorize_senders = yes
run "$T/c.conf" user add nodomain
is "$rc" 0 "user add without --domain succeeds"
like "$err" "warning: user nodomain has no --domain: with authorize_senders = yes it may send as no From domain" "user add without --domain warns"
# (Other warnings, such as a default_plan that does not exist, are not
# this test's business.)
run "$T/c.conf" user add withdomain --domain example.com
unlike "$err" "no --domain" "user add with --domain: no warning"
conf "$T/noauth.conf" "$K" "$TE_DNS" 2s "authorize_senders = no"
run "$T/noauth.conf" user add nodomain2
unlike "$err" "no --domain" "authorize_senders = no: no warning"

done_testing
