#!/bin/bash
# postfix-snippets.t -- etc/postfix/ as an admin uses it on Debian 12.
#
# The three snippets appended to Debian's stock configuration -- the
# main.cf the postfix package writes at install for "Internet Site"
# (built here the way its postinst does: main.cf.debian, main.cf.tls,
# then postconf -e of what debconf answered), and master.cf.dist with its
# chrooted smtpd -- give no warning at all from postconf -n, -M and -P
# (no syntax error, no "overriding earlier entry").
#
# A private Postfix built from exactly those files (only what a private
# instance needs edited in place with postconf -e / -P: queue directory,
# loopback ports, the smtp-sink next hop, a test TLS key), its smtpd and
# cleanup chrooted as Debian has them, starts, and through the snippets'
# own socket lines reaches outpost-milter and outpost-policyd, both on
# their default-style paths under the queue directory
# (QUEUE/outpost/milter.sock, QUEUE/outpost/policy.sock):
#   - submission (TLS + AUTH, daemon name ORIGINATING): signed, passes
#     dkimpy, counted by policyd;
#   - a message with a 1,500-character line: delivered with the line
#     unfolded, both signatures pass dkimpy (smtp_line_length_limit = 0);
#   - the sendmail command (pickup, chrooted cleanup, non_smtpd_milters):
#     delivered, so cleanup reached the milter too;
#   - an unknown SASL user: policyd's 554 (policyd was asked);
#   - mail on port 25 from 127.0.0.2 without AUTH: delivered unsigned.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
MILTER="$TE_ROOT/milter/outpost-milter"
POLICYD="$TE_ROOT/policyd/outpost-policyd"
CTL="$TE_ROOT/ctl/outpostctl"
STOCK=/usr/share/postfix
for f in "$STOCK/main.cf.debian" "$STOCK/main.cf.tls" "$STOCK/master.cf.dist"; do
	[ -f "$f" ] || skip_all "$f missing (make deps installs postfix)"
done
for p in "$MILTER" "$POLICYD" "$CTL"; do
	[ -x "$p" ] || skip_all "$p not built"
done
plan 18

te_tmpdir
PW='S3cret pw'
CONF="$T/outpost.conf"
ctl() { "$CTL" -c "$CONF" "$@"; }

# debian_main_cf DIR -- the main.cf of a fresh "Internet Site" install of
# mx.outpost.test, as postfix.postinst writes it (snakeoil key present).
debian_main_cf() {
	cp "$STOCK/main.cf.debian" "$1/main.cf"
	cat "$STOCK/main.cf.tls" >>"$1/main.cf"
	postconf -c "$1" -e \
	    "smtpd_relay_restrictions=permit_mynetworks permit_sasl_authenticated defer_unauth_destination" \
	    "myhostname=mx.outpost.test" \
	    "alias_maps=hash:/etc/aliases" \
	    "alias_database=hash:/etc/aliases" \
	    "myorigin=/etc/mailname" \
	    "mydestination=\$myhostname, mx.outpost.test, localhost.outpost.test, , localhost" \
	    "relayhost=" \
	    "mynetworks=127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128" \
	    "mailbox_size_limit=0" \
	    "recipient_delimiter=+" \
	    "inet_interfaces=all" \
	    "inet_protocols=all"
}

# 1. Stock files + snippets: postconf says nothing but the settings.
A="$T/admin"
mkdir -p "$A"
debian_main_cf "$A"
cp "$STOCK/master.cf.dist" "$A/master.cf"
cat "$TE_ROOT/etc/postfix/main.cf.snippet" "$TE_ROOT/etc/postfix/main.cf.policyd" >>"$A/main.cf"
cat "$TE_ROOT/etc/postfix/master.cf.snippet" >>"$A/master.cf"
for opt in -n -M -P; do
	is "$(postconf -c "$A" $opt 2>&1 >/dev/null)" "" "postconf $opt: no warning"
done
is "$(postconf -c "$A" -P submission/inet/milter_macro_daemon_name 2>&1)" \
    "submission/inet/milter_macro_daemon_name = ORIGINATING" \
    "submission sets milter_macro_daemon_name = ORIGINATING"
is "$(postconf -c "$A" -hx smtpd_milters non_smtpd_milters smtp_line_length_limit 2>&1)" \
    "unix:outpost/milter.sock
unix:outpost/milter.sock
0" "milters on the relative socket path, long lines unfolded"
is "$(postconf -c "$A" -M smtp/inet submission/inet | awk '{ print $1, $5 }')" \
    "smtp y
submission y" "smtpd chrooted on both services, as Debian ships it"

# 2. The daemons, on their sockets under the private queue directory
# (what /var/spool/postfix/outpost is to the system Postfix).
Q="$T/spool"
mkdir -p "$Q"
te_redis_start
cat >"$CONF" <<EOF
redis_address = unix:$T/redis.sock
user = outpost
log_destination = stderr
log_level = debug
keys_directory = $T/keys
milter_socket = unix:$Q/outpost/milter.sock
dns_nameserver = 127.0.0.1@9
dns_timeout = 1s
policyd_listen = unix:$Q/outpost/policy.sock
internal_hosts = 127.0.0.9/32
sign_daemon_name = ORIGINATING
authorize_senders = no
require_alignment = no
EOF
ctl domain add example.com --selector t >"$T/ctl.out" 2>&1 &&
    ctl plan set small messages=10/1h >>"$T/ctl.out" 2>&1 &&
    ctl user add alice@example.com --plan small >>"$T/ctl.out" 2>&1 ||
    te_fail "outpostctl: $(cat "$T/ctl.out")"
te_dns_from_keys "$T/keys" >"$T/dns.txt"
te_bg policyd "$POLICYD" -f -c "$CONF"
te_bg milter "$MILTER" -f -c "$CONF"
te_wait test -S "$Q/outpost/policy.sock" ||
    te_fail "outpost-policyd: no socket: $(tail -20 "$T/policyd.log")"
te_wait test -S "$Q/outpost/milter.sock" ||
    te_fail "outpost-milter: no socket: $(tail -20 "$T/milter.log")"

# 3. A private Postfix from the admin's files, edited in place.
te_sink_start
te_free_port TE_PORT_SMTP
te_free_port TE_PORT_SUBMIT
E="$T/etc"
mkdir -p "$E/sasl" "$T/data" "$Q/etc"
chown postfix "$T/data"
cp "$A/main.cf" "$A/master.cf" "$E/"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=mx.outpost.test \
    -keyout "$T/tls.key" -out "$T/tls.pem" >/dev/null 2>&1 ||
    te_fail "openssl req failed"
postconf -c "$E" -e \
    "queue_directory=$Q" "data_directory=$T/data" \
    "maillog_file=$T/maillog" "maillog_file_prefixes=$T" \
    "myorigin=\$myhostname" "mydestination=" "alias_maps=" "alias_database=" \
    "inet_interfaces=127.0.0.1" "inet_protocols=ipv4" \
    "relayhost=[127.0.0.1]:$TE_PORT_SINK" "smtp_dns_support_level=disabled" \
    "smtpd_tls_cert_file=$T/tls.pem" "smtpd_tls_key_file=$T/tls.key" \
    "smtp_tls_security_level=none" || te_fail "postconf -e failed"
# The services on loopback ports, columns (chroot "y") untouched.
sed -i -e "s/^smtp\( \+inet \)/127.0.0.1:$TE_PORT_SMTP\1/" \
    -e "s/^submission\( \+inet \)/127.0.0.1:$TE_PORT_SUBMIT\1/" "$E/master.cf"
# The chrooted smtpd opens the sasldb inside its chroot.
cat >"$E/sasl/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: /etc/sasldb2
EOF
printf '%s' "$PW" | saslpasswd2 -p -f "$Q/etc/sasldb2" -c -u example.com alice &&
    printf '%s' "$PW" | saslpasswd2 -p -f "$Q/etc/sasldb2" -c -u example.com mallory ||
    te_fail "saslpasswd2 failed"
chown root:postfix "$Q/etc/sasldb2"
chmod 640 "$Q/etc/sasldb2"
postfix -c "$E" start >"$T/postfix-start.log" 2>&1 ||
    te_fail "postfix start failed: $(cat "$T/postfix-start.log")"
te_on_exit "postfix -c $E stop"
te_wait test -s "$Q/pid/master.pid" ||
    te_fail "postfix did not start: $(tail -5 "$T/maillog")"
te_wait te_listening "$TE_PORT_SUBMIT" && te_wait te_listening "$TE_PORT_SMTP" ||
    te_fail "postfix is not listening: $(tail -5 "$T/maillog")"
diag "test dir $T"

WANT_SIGS="a=ed25519-sha256 d=example.com s=te result=pass
a=rsa-sha256 d=example.com s=tr result=pass"
QUEUED='^250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$'
mkdir -p "$T/out" "$T/msg"

# message FILE TOKEN [LINE] -- a small message from alice@example.com.
message() {
	printf 'From: Alice <alice@example.com>\r\nTo: rcpt-%s@example.org\r\nSubject: snippets %s\r\nDate: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <%s@example.com>\r\n\r\nHello.\r\n%s\r\n' \
	    "$2" "$2" "$2" "${3:-}" >"$1"
}

# submit TOKEN FILE USER -- TLS + AUTH on the submission port; the reply
# (swaks marks lines read under TLS "<~", errors "<~*").
submit() {
	te_data_reply "$(te_send "$TE_PORT_SUBMIT" "$2" "$1" --tls \
	    --auth PLAIN --auth-user "$3" --auth-password "$PW" |
	    sed -e 's/^<~\* /<** /' -e 's/^<~ /<- /')"
}

# 4. Submission: signed, both signatures pass.
message "$T/msg/sub.eml" sub
r=$(submit sub "$T/msg/sub.eml" alice@example.com)
like "$r" "$QUEUED" "submission (chrooted smtpd, TLS, AUTH): queued"
if te_fetch "$(te_queue_id "$r")" sub "$T/out/sub.eml"; then
	is "$(te_verify_dkimpy "$T/out/sub.eml" "$T/dns.txt" |
	    sed 's/^i=[0-9]* //' | sort)" "$WANT_SIGS" \
	    "submission: signed through unix:outpost/milter.sock, dkimpy passes both"
else
	ok_rc 1 "submission: delivered"
fi
is "$(ctl --json user show alice@example.com | "$TE_PY" -c '
import json, sys
print([l["used"] for l in json.load(sys.stdin)["limits"]])')" "[1]" \
    "policyd counted it through unix:outpost/policy.sock"

# 5. A 1,500-character line: unfolded, signatures intact.
long=$(printf 'x%.0s' $(seq 1500))
message "$T/msg/long.eml" long "$long"
r=$(submit long "$T/msg/long.eml" alice@example.com)
like "$r" "$QUEUED" "1,500-character line: queued"
if te_fetch "$(te_queue_id "$r")" long "$T/out/long.eml"; then
	is "$(grep -c "^$long"$'\r'"\$" "$T/out/long.eml")" 1 \
	    "1,500-character line: arrives as one line"
	is "$(te_verify_dkimpy "$T/out/long.eml" "$T/dns.txt" |
	    sed 's/^i=[0-9]* //' | sort)" "$WANT_SIGS" \
	    "1,500-character line: dkimpy passes both signatures"
else
	ok_rc 1 "1,500-character line: delivered"
	skip 1 "not delivered"
fi

# 6. The sendmail command: pickup, chrooted cleanup, non_smtpd_milters.
message "$T/msg/local.eml" local
n=$(_te_sent_count)
sendmail -C "$E" -f alice@example.com rcpt-local@example.org <"$T/msg/local.eml"
ok "sendmail command: delivered (cleanup reached the milter)" te_sink_wait $((n + 1))
ok "sendmail command: no milter error in the log" \
    bash -c "! grep -q 'milter.*\(connect\|unavailable\|No such file\)' '$T/maillog'"

# 7. An unknown SASL user: policyd was asked and said no.
message "$T/msg/mal.eml" mal
like "$(submit mal "$T/msg/mal.eml" mallory@example.com)" \
    '^554 5\.7\.1 .*unknown sending account' \
    "unknown SASL user: outpost-policyd's 554"

# 8. Port 25 from outside, no AUTH: delivered unsigned.
message "$T/msg/in.eml" in
r=$(te_data_reply "$(te_send "$TE_PORT_SMTP" "$T/msg/in.eml" in \
    --local-interface 127.0.0.2)")
like "$r" "$QUEUED" "port 25 (chrooted smtpd), no AUTH: queued"
if te_fetch "$(te_queue_id "$r")" in "$T/out/in.eml"; then
	is "$(te_count_sigs "$T/out/in.eml")" 0 "port 25, no AUTH: unsigned"
else
	ok_rc 1 "port 25: delivered"
fi
unlike "$(grep -E 'warning|fatal|panic' "$T/maillog" | grep -v 'dict_nis\|sasl')" \
    '.' "maillog: no warning"
done_testing
