#!/bin/bash
# metrics.t -- GET /metrics of outpost-policyd, outpost-milter and
# outpost-feedback behind a real private Postfix, scraped with curl and by
# a real Prometheus (Debian's prometheus) on loopback.
#
# Mail flows: three messages of alice accepted (two delivered, one hard
# bounced by the scripted receiver t/lib/replysink.py), one refused at
# RCPT (a suppressed recipient: 550), one deferred at RCPT (alice's
# message limit, 3/1h: 450).  Then each daemon's counters must have moved
# by exactly that: policyd dunno 6 (RCPT + END-OF-MESSAGE of three
# messages), reject 1, defer 1, error 0, six latency observations...; the
# milter 3 outbound accepted, 3 RSA and 3 Ed25519 signatures; feedback 2
# delivered, 1 hard bounce, 1 suppression (hard-bounce).  The text passes
# promtool check metrics (Prometheus's own parser and linter); /other is
# 404, POST 405.  Three inbound messages from outside (XCLIENT, DNS from
# nsd) move outpost_auth_results_total by their verdicts exactly (spf,
# dkim, dmarc: one pass, fail, none each, dkim none twice).  Prometheus,
# scraping every second, answers the same numbers through /api/v1/query.
# outpost_users_paused: two users suspended, one resumed, 1 (policyd's
# gauge, curl and Prometheus); the alert on it by promtool test rules.
. "$(dirname "$0")/lib/outpostenv.sh"
te_outpost_need "$POLICYD" "$MILTER" "$FB" "$CTL_BIN"
command -v curl >/dev/null || skip_all "curl not installed"
command -v swaks >/dev/null || skip_all "swaks not installed"

te_tmpdir

# Inbound mail needs DNS: nsd serves example.net (SPF for 192.0.2.10,
# DMARC p=none, the key of selector py, which dkimpy signs with).
DNS=127.0.0.1@9
if command -v nsd >/dev/null; then
	mkdir -p "$T/ext"
	te_keygen "$T/ext" example.net py rsa
	{
		te_dns_from_keys "$T/ext" | sed 's/\._domainkey\.example\.net\t/._domainkey\t/' |
		    awk -F'\t' '{ printf "%s TXT (", $1; v = $2
			while (length(v) > 0) { printf " \"%s\"", substr(v, 1, 255); v = substr(v, 256) }
			print " )" }'
		printf '@ TXT "v=spf1 ip4:192.0.2.10 -all"\n_dmarc TXT "v=DMARC1; p=none"\n'
	} | te_zone "$T/zones" example.net
	te_nsd_start "$T/zones"
	DNS=$TE_DNS
fi

te_redis_start
te_free_port TE_PORT_SINK
te_bg sink "$TE_PY" "$TE_ROOT/t/lib/replysink.py" 127.0.0.1 "$TE_PORT_SINK"
te_wait te_listening "$TE_PORT_SINK" "$(cat "$T/sink.pid")" ||
    te_fail "replysink did not listen: $(cat "$T/sink.log")"
te_free_port PM; te_free_port MM; te_free_port FM
te_outpost_conf <<EOF
milter_socket = unix:$T/run/milter.sock
dns_nameserver = $DNS
dns_timeout = 1s
internal_hosts = 127.0.0.1/32
sign_daemon_name = ORIGINATING
authorize_senders = no
require_alignment = no
feedback_log = $T/maillog
bounce_rules = $TE_ROOT/etc/bounce-rules
bounce_rules_local = $T/no-such-rules
pid_file =
policyd_metrics_listen = inet:127.0.0.1:$PM
milter_metrics_listen = inet:127.0.0.1:$MM
feedback_metrics_listen = inet:[::1]:$FM
EOF
te_ctl_setup "domain add example.com --selector t" \
    "plan set small messages=3/1h" \
    "user add alice@example.com --plan small --domain example.com" \
    "suppress add bounce@example.org --reason hard-bounce"

# -- a bad listener is refused at start, naming the key -------------------
printf 'policyd_metrics_listen = unix:%s/m.sock\n' "$T" >"$T/bad.conf"
out=$("$POLICYD" -n -c "$T/bad.conf" 2>&1)
like "$out" "metrics are served over TCP" "unix: metrics address refused: $out"

te_policyd_start
te_milter_start
te_postfix_policyd \
    "queue_run_delay = 3600s" "minimal_backoff_time = 3600s" \
    "relay_domains = example.org" \
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination"
te_sasl_users alice@example.com
te_bg feedback "$FB" -c "$CONF" -f --from-start
te_wait grep -q "following" "$T/feedback.log" || te_fail "$(cat "$T/feedback.log")"
for p in $PM $MM $FM; do
	te_wait te_listening "$p" || te_fail "nothing listens on metrics port $p"
done

# scrape PORT [HOST] -- the page
scrape() { curl -sf "http://${2:-127.0.0.1}:$1/metrics"; }
# val PORT SERIES -- the value of one exact series line (0 when absent)
val() {
	local host=127.0.0.1
	[ "$1" = "$FM" ] && host='[::1]'
	scrape "$1" "$host" | awk -v s="$2" '$1 == s { print $2; f = 1 } END { if (!f) print 0 }'
}
submit() { te_submit_reply alice@example.com "$2" --to "$1"; }
# series_are -- for each "PORT SERIES WANT" line of stdin, one assertion:
# the exact series SERIES on PORT's page has the value WANT.
series_are() {
	local port series want
	while read -r port series want; do
		is "$(val "$port" "$series")" "$want" "$series = $want"
	done
}

# -- the HTTP side ---------------------------------------------------------
ct=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$PM/metrics")
is "$ct" "200 text/plain; version=0.0.4; charset=utf-8" "GET /metrics: 200, format 0.0.4"
is "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MM/other")" 404 "GET /other: 404"
is "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$PM/metrics")" 405 "POST: 405"
is "$(curl -s -D - -o /dev/null -X DELETE "http://127.0.0.1:$MM/metrics" | tr -d '\r' | grep -i '^allow:')" \
    "Allow: GET, HEAD" "405 names the methods allowed"
is "$(val "$PM" 'outpost_policy_decisions_total{action="dunno"}')" 0 "policyd: nothing decided yet"

# -- mail ------------------------------------------------------------------
r1=$(submit ok1@example.org m1); like "$r1" '^250 ' "ok1 accepted: $r1"
r2=$(submit bounce@example.org m2); like "$r2" '^550 5\.1\.1' "suppressed: $r2"
r3=$(submit unknown1@example.org m3); like "$r3" '^250 ' "unknown1 accepted: $r3"
r4=$(submit ok2@example.org m4); like "$r4" '^250 ' "ok2 accepted: $r4"
r5=$(submit ok3@example.org m5); like "$r5" '^450 4\.7\.1' "over the limit: $r5"

delivered_all() { [ "$(val "$FM" 'outpost_deliveries_total{category="delivered"}')" -ge 2 ] &&
    [ "$(val "$FM" 'outpost_deliveries_total{category="hard"}')" -ge 1 ]; }
te_wait delivered_all || diag "feedback saw: $(scrape "$FM" '[::1]' | grep deliveries)"

series_are <<LIST
$PM outpost_policy_decisions_total{action="dunno"} 6
$PM outpost_policy_decisions_total{action="reject"} 1
$PM outpost_policy_decisions_total{action="defer"} 1
$PM outpost_policy_decisions_total{action="error"} 0
$PM outpost_policy_latency_seconds_count 8
$PM outpost_redis_errors_total{program="policyd"} 0
$MM outpost_milter_messages_total{direction="outbound",result="accept"} 3
$MM outpost_milter_messages_total{direction="outbound",result="tempfail"} 0
$MM outpost_dkim_signatures_total{alg="rsa-sha256"} 3
$MM outpost_dkim_signatures_total{alg="ed25519-sha256"} 3
$FM outpost_deliveries_total{category="delivered"} 2
$FM outpost_deliveries_total{category="hard"} 1
$FM outpost_suppressions_added_total{reason="hard-bounce"} 1
$FM outpost_users_paused_total 0
LIST
# -- outpost_users_paused: the suspended users now, fleet-wide -------------
# policyd reads the index's SCARD at most once a second on a scrape (and
# every 15 s): a scrape more than a second after the last one is current.
is "$(val "$PM" outpost_users_paused)" 0 "users paused: none yet"
for u in p1 p2; do
	ctl user add "$u@example.com" >>"$T/ctl.out" 2>&1 || te_fail "user add $u"
	ctl user suspend "$u@example.com" >>"$T/ctl.out" 2>&1 || te_fail "suspend $u"
done
sleep 1.1
is "$(val "$PM" outpost_users_paused)" 2 "users paused: two suspended"
ctl user resume p2@example.com >>"$T/ctl.out" 2>&1 || te_fail "resume p2"
sleep 1.1
is "$(val "$PM" outpost_users_paused)" 1 "users paused: two suspended, one resumed"

# -- inbound: outpost_auth_results_total moved by what was received -------
# Three messages from outside (XCLIENT), From example.net or example.org:
#   signed by dkimpy, from 192.0.2.10: spf pass, dkim pass, dmarc pass
#   unsigned, from 198.51.100.9:       spf fail, dkim none, dmarc fail
#   From example.org (no records):      spf none, dkim none, dmarc none
# policyd is asked at RCPT and END-OF-MESSAGE and does not judge mail
# without SASL: 2 more dunno each.
if te_bg_alive nsd; then
	inmsg() {	# TOKEN FROM-DOMAIN
		printf 'From: <a@%s>\nTo: <rcpt-%s@example.org>\nSubject: %s\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@inbound.test>\n\nHello.\n' \
		    "$2" "$1" "$1" "$1" >"$T/$1.eml"
	}
	inbound() {	# TOKEN FILE IP ENVFROM
		te_data_reply "$(te_send "$TE_PORT_SMTP" "$2" "$1" --from "$4" \
		    --helo mail.example.net --xclient-addr "$3" \
		    --xclient-name "[UNAVAILABLE]")"
	}
	d0=$(val "$PM" 'outpost_policy_decisions_total{action="dunno"}')
	inmsg in1 example.net
	"$TE_PY" "$TE_ROOT/t/lib/sign-dkimpy.py" "$T/ext/example.net/py.key" \
	    example.net py "$T/in1.eml" "$T/in1.s.eml" || te_fail "dkimpy"
	like "$(inbound in1 "$T/in1.s.eml" 192.0.2.10 a@example.net)" '^250 ' "inbound 1 (all pass) queued"
	inmsg in2 example.net
	like "$(inbound in2 "$T/in2.eml" 198.51.100.9 b@example.net)" '^250 ' "inbound 2 (fail) queued"
	inmsg in3 example.org
	like "$(inbound in3 "$T/in3.eml" 192.0.2.10 a@example.org)" '^250 ' "inbound 3 (none) queued"
	series_are <<-LIST
	$MM outpost_milter_messages_total{direction="inbound",result="accept"} 3
	$MM outpost_auth_results_total{method="spf",result="pass"} 1
	$MM outpost_auth_results_total{method="spf",result="fail"} 1
	$MM outpost_auth_results_total{method="spf",result="none"} 1
	$MM outpost_auth_results_total{method="spf",result="temperror"} 0
	$MM outpost_auth_results_total{method="dkim",result="pass"} 1
	$MM outpost_auth_results_total{method="dkim",result="none"} 2
	$MM outpost_auth_results_total{method="dkim",result="fail"} 0
	$MM outpost_auth_results_total{method="dmarc",result="pass"} 1
	$MM outpost_auth_results_total{method="dmarc",result="fail"} 1
	$MM outpost_auth_results_total{method="dmarc",result="none"} 1
	$MM outpost_auth_results_total{method="dmarc",result="temperror"} 0
	$MM outpost_milter_messages_total{direction="outbound",result="accept"} 3
	LIST
	is "$(scrape "$MM" | awk '/^outpost_auth_results_total/ { s += $2 } END { print s + 0 }')" 9 \
	    "auth results: 9 in all (3 methods x 3 messages, one DKIM verdict each)"
	is "$(val "$PM" 'outpost_policy_decisions_total{action="dunno"}')" $((d0 + 6)) \
	    "policyd: inbound RCPT and END-OF-MESSAGE are dunno (not judged)"
	INDUNNO=6 INAUTH=9
else
	skip 18 "nsd not installed: no inbound mail"
	INDUNNO=0 INAUTH=0
fi

for p in $PM $MM; do
	like "$(scrape "$p")" 'outpost_build_info\{version="[^"]+"\} 1' "build_info on $p"
	ok "process basics on $p" bash -c "curl -sf http://127.0.0.1:$p/metrics | grep -q '^process_open_fds [0-9]'"
done

# -- the format, judged by Prometheus's own tools --------------------------
if command -v promtool >/dev/null; then
	for p in $PM $MM; do
		scrape "$p" >"$T/m$p.txt"
		ok "promtool check metrics: port $p" promtool check metrics <"$T/m$p.txt"
	done
	scrape "$FM" '[::1]' >"$T/mf.txt"
	ok "promtool check metrics: feedback" promtool check metrics <"$T/mf.txt"
	ok "promtool test rules: OutpostUserPaused on the gauge" \
	    promtool test rules "$TE_ROOT/t/metrics-rules.yml"
else
	skip 4 "promtool not installed"
fi

# -- a real Prometheus -----------------------------------------------------
if ! command -v prometheus >/dev/null; then
	skip 5 "prometheus not installed"
	done_testing
	exit
fi
te_free_port PP
sed -e "s/127.0.0.1:9141/127.0.0.1:$PM/; s/127.0.0.1:9142/127.0.0.1:$MM/; s/127.0.0.1:9143/[::1]:$FM/" \
    -e 's/scrape_interval: .*/scrape_interval: 1s/' \
    "$TE_ROOT/etc/prometheus/outpost.yml" >"$T/prometheus.yml"
cp "$TE_ROOT/etc/prometheus/outpost-rules.yml" "$T/"
ok "promtool check config (with the shipped rules)" promtool check config "$T/prometheus.yml"
te_bg prometheus prometheus --config.file="$T/prometheus.yml" \
    --storage.tsdb.path="$T/tsdb" --web.listen-address="127.0.0.1:$PP"
# pq QUERY -- the value Prometheus answers (one series), or nothing
pq() {
	curl -sf "http://127.0.0.1:$PP/api/v1/query" --data-urlencode "query=$1" |
	    "$TE_PY" -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r)==1 else "")'
}
pq_is() { [ "$(pq "$1")" = "$2" ]; }
while read -r q want; do
	te_wait pq_is "$q" "$want"
	is "$(pq "$q")" "$want" "prometheus: $q = $want"
done <<LIST
outpost_policy_decisions_total{action="defer"} 1
sum(outpost_policy_decisions_total) $((8 + INDUNNO))
outpost_milter_messages_total{direction="outbound",result="accept"} 3
outpost_deliveries_total{category="hard"} 1
count(up{job=~"outpost-.*"}==1) 3
sum(outpost_auth_results_total) $INAUTH
max(outpost_users_paused) 1
LIST
done_testing
