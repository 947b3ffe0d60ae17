#!/bin/bash
# milter-proto.t -- outpost-milter's decisions over the milter protocol,
# without an MTA: miltertest(8) plays Postfix (t/lib/milter-send.lua) and
# every case checks the exact reply the MTA gets (accept at MAIL FROM,
# accept at end of message, or the reply line, e.g. "550 5.7.1 message
# has no From header"), the DKIM-Signature fields inserted (a=, d=, s=;
# the message as delivered verified by dkimpy, which outpost did not
# write) and the milter's log line.
#
# Five milters run at once on one keys_directory, one per configuration:
#   auto    internal_hosts = 127.0.0.1/32, sign_daemon_name = ORIGINATING
#   sign    milter_mode = sign, sign_subdomains = yes
#   verify  milter_mode = verify
#   accept  on_error = accept, sign_algorithms = rsa-sha256
#   simple  canonicalization = simple/simple
# Domains: example.com (selector s1), broken.example (its RSA key file
# mode 0644), new.example (added while the milters run), nokeys.example
# (no keys at all), sub.example.com (no keys of its own).
#
# Cases: outbound by AUTH, internal address, no address, {daemon_name};
# not outbound (verified, inbound.c; milter-inbound.t checks what); bad From headers (550 5.7.1);
# no keys (unsigned); a broken key (451 4.3.0, other domains still
# signed; on_error = accept passes it UNSIGNED); sign_subdomains;
# sign_algorithms; several messages with an abort on one connection;
# AUTH per message; a domain added while running; SIGHUP (reload, no
# stop); 8 connections x 50 messages at once; simple/simple with and
# without SMFIP_HDR_LEADSPC; a body in 7-byte chunks; -n; SIGTERM.
#
# Sender authorisation (milter-authz.t) is off here: authorize_senders =
# no and the SASL users, made in a private redis-server, have no domain
# set, so they may send as any domain.
#
# Runs as root (the milter drops to "outpost", keys belong to it) or as
# any other user (the milter stays that user).  TEST_KEEP=1 keeps the
# temp dir.
set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
MILTER=$ROOT/milter/outpost-milter
CTL=$ROOT/ctl/outpostctl
DRIVER=$ROOT/t/lib/milter-send.lua
VERIFY=$ROOT/t/lib/verify-dkimpy.py
PY=/usr/bin/python3

. "$ROOT/t/lib/testenv.sh"	# TAP (t/lib/tap.sh), te_tmpdir, te_redis_start

for x in "$MILTER" "$CTL"; do
	[ -x "$x" ] || skip_all "$x not built (run make)"
done
command -v miltertest >/dev/null || skip_all "miltertest not installed"
$PY -c 'import dkim' 2>/dev/null || skip_all "python3-dkim not installed"
if [ "$(id -u)" -eq 0 ]; then
	RUNUSER=outpost
	getent passwd outpost >/dev/null || skip_all "no account outpost"
else
	RUNUSER=$(id -un)
fi

# --- set-up -----------------------------------------------------------
te_tmpdir			# $T, removed at exit unless TEST_KEEP=1
declare -A PID=()
stop_milters() {
	local name
	for name in "${!PID[@]}"; do
		kill -TERM "${PID[$name]}" 2>/dev/null
	done
	for name in "${!PID[@]}"; do
		kill -0 "${PID[$name]}" 2>/dev/null && sleep 1 &&
		    kill -KILL "${PID[$name]}" 2>/dev/null
	done
}
chmod 755 "$T"			# the milter's account must reach keys/
mkdir -m 755 "$T/keys" "$T/msg" "$T/out"
te_redis_start
te_on_exit stop_milters		# runs before the Redis stop

# conf NAME [LINE...]: $T/NAME.conf for the milter NAME.
conf() {
	local name=$1
	shift
	{
		echo "keys_directory = $T/keys"
		echo "user = $RUNUSER"
		echo "milter_socket = unix:$T/$name.sock"
		echo "dns_nameserver = 127.0.0.1@9"
		echo "dns_timeout = 1s"
		echo "log_destination = stderr"
		echo "log_level = info"
		echo "milter_refunds = no"
		echo "redis_address = unix:$T/redis.sock"
		echo "authorize_senders = no"
		echo "require_alignment = no"
		printf '%s\n' "$@"
	} >"$T/$name.conf"
}
conf auto "internal_hosts = 127.0.0.1/32" "sign_daemon_name = ORIGINATING"
conf sign "milter_mode = sign" "sign_subdomains = yes"
conf verify "milter_mode = verify"
conf accept "on_error = accept" "sign_algorithms = rsa-sha256"
conf simple "canonicalization = simple/simple"
for u in alice bob user1 user2 user3 user4 user5 user6 user7 user8; do
	"$CTL" -c "$T/auto.conf" user add "$u@example.com" >>"$T/ctl-users.out" 2>&1 ||
	    bail_out "outpostctl user add $u: $(cat "$T/ctl-users.out")"
done

# domain_add DOMAIN SEL: keys through outpostctl (owned by RUNUSER), and
# their DNS records appended to $T/dns.txt for dkimpy.
domain_add() {
	"$CTL" -c "$T/auto.conf" domain add "$1" --selector "$2" \
	    >"$T/ctl-$1.out" 2>&1 || return 1
	"$CTL" -c "$T/auto.conf" --json domain show "$1" |
	    $PY -c 'import json, sys
for s in json.load(sys.stdin)["selectors"]:
    print(s["dns_name"] + "\t" + s["txt"])' >>"$T/dns.txt"
}
domain_add example.com s1 || bail_out "outpostctl domain add: $(cat "$T/ctl-example.com.out")"
domain_add broken.example b1 || bail_out "outpostctl domain add broken.example"
domain_add bücher.example i1 || bail_out "outpostctl domain add bücher.example"
chmod 644 "$T/keys/broken.example/b1r.key"
BROKEN="key $T/keys/broken.example/b1r.key: mode 0644 is unsafe (want 0600)"

# Messages.  mkmsg NAME FROM-LINE... ; the body names the file, so no two
# messages share a body hash.
mkmsg() {
	local name=$1
	shift
	{
		printf '%s\n' "$@"
		printf 'To: Bob <bob@example.org>\nSubject: test %s\n' "$name"
		printf 'Date: Sat, 28 Nov 2026 10:00:00 +0000\n'
		printf 'Message-ID: <%s@example.com>\n\n' "$name"
		printf 'Hello Bob,\n\nthis is message %s.\n\n\n' "$name"
	} >"$T/msg/$name.eml"
}
mkmsg plain 'From: Alice <alice@example.com>'
mkmsg nofrom
mkmsg twofrom 'From: alice@example.com' 'From: alice@example.com'
mkmsg twoaddr 'From: a@example.com, b@example.com'
mkmsg badfrom 'From: Alice <alice@example.com'
mkmsg noaddr 'From: undisclosed-recipients:;'
mkmsg nokeys 'From: carol@nokeys.example'
mkmsg broken 'From: dave@broken.example'
mkmsg sub 'From: erin@sub.example.com'
mkmsg new 'From: frank@new.example'
mkmsg folded 'From: "Alice, the sender"' '	<alice@example.com>'
mkmsg spaces 'From:  Alice  <alice@example.com>' 'Subject:   three spaces  ' \
    'X-Folded: one,' '    two,' '	three'
mkmsg upper 'From: Alice <alice@EXAMPLE.COM>'
mkmsg idn 'From: Jörg <joerg@Bücher.example>'
for i in 1 2 3 4 5 6 7 8; do
	mkmsg "load$i" "From: user$i@example.com"
done

# start NAME: the milter with $T/NAME.conf, logging to $T/NAME.log.
start() {
	"$MILTER" -f -c "$T/$1.conf" 2>"$T/$1.log" &
	PID[$1]=$!
}
# ready NAME: wait (bounded) until it listens.
ready() {
	local i
	for i in $(seq 300); do
		grep -q 'listening on' "$T/$1.log" 2>/dev/null && [ -S "$T/$1.sock" ] &&
		    return 0
		kill -0 "${PID[$1]}" 2>/dev/null || break
		sleep 0.1
	done
	diag "milter $1 did not come up:"
	sed 's/^/#   /' "$T/$1.log"
	return 1
}

# send MILTER CASE [NAME=VALUE...]: one miltertest connection; results in
# $T/out/CASE (see milter-send.lua), signed messages in $T/out/CASE.eml.N.
# The queue ID is CASE (CASE.N with several messages).
send() {
	local milter=$1 case=$2 a=()
	shift 2
	for kv in "$@"; do
		a+=(-D "$kv")
	done
	miltertest -s "$DRIVER" -D "sock=unix:$T/$milter.sock" \
	    -D "out=$T/out/$case" -D "eml=$T/out/$case.eml" -D "qid=$case" \
	    "${a[@]}" 2>"$T/out/$case.err"
	local rc=$?
	if [ $rc -ne 0 ] || ! grep -qx done "$T/out/$case"; then
		diag "miltertest for $case: exit $rc"
		sed 's/^/#   /' "$T/out/$case" "$T/out/$case.err" 2>/dev/null
	fi
	return $rc
}
# result CASE [N]: the "msg N ..." line without "msg N ".
result() {
	sed -n "s/^msg ${2:-1} //p" "$T/out/$1"
}
# sigs CASE [N]: "a= d= s=" of each signature inserted, top first.
sigs() {
	sed -n "s/^sig ${2:-1} //p" "$T/out/$1" | while read -r v; do
		local a d s
		a=$(printf '%s' "$v" | sed -n 's/.*[; ]a=\([^;]*\);.*/\1/p')
		d=$(printf '%s' "$v" | sed -n 's/.*[; ]d=\([^;]*\);.*/\1/p')
		s=$(printf '%s' "$v" | sed -n 's/.*[; ]s=\([^;]*\);.*/\1/p')
		echo "a=$a d=$d s=$s"
	done
}
# bh CASE [N]: the bh= values of the signatures (one per line).
bh() {
	sed -n "s/^sig ${2:-1} //p" "$T/out/$1" |
	    sed -n 's/.*[; ]bh=\([^;]*\);.*/\1/p' | tr -d ' '
}
# logline MILTER QID: the milter's decision line for that queue ID (other
# lines of the message, e.g. about refunds to outpost-policyd, left out).
logline() {
	grep -F ": $2: " "$T/$1.log" |
	    sed -n "s/^[0-9T:.Z-]* outpost-milter\[[0-9]*\]: [a-z]*: [^ ]*: //p" |
	    grep -E '^(signed|not signed|rejected|deferred|passed UNSIGNED) '
}
# verified CASE [N]: dkimpy's verdicts for the message as delivered.
verified() {
	$PY "$VERIFY" --short "$T/out/$1.eml.${2:-1}" "$T/dns.txt" 2>&1 | tr '\n' ' '
}

SIGS2='a=ed25519-sha256 d=example.com s=s1e
a=rsa-sha256 d=example.com s=s1r'

for m in auto sign verify accept simple; do
	start $m
done
for m in auto sign verify accept simple; do
	ready $m || bail_out "milter $m did not start"
done

# --- auto: which messages are outbound --------------------------------
send auto AUTH1 msg="$T/msg/plain.eml" ip=192.0.2.1 auth=alice@example.com
is "$(result AUTH1)" "mail=c eom=a nsig=2 text=-" \
    "authenticated client: accepted at end of message with 2 signatures"
is "$(sigs AUTH1)" "$SIGS2" "authenticated: ed25519 s=s1e on top of rsa s=s1r, d=example.com"
is "$(verified AUTH1)" "pass pass " "authenticated: dkimpy verifies both signatures"
BH=$(bh AUTH1 | sort -u)
is "$(logline auto AUTH1)" "signed user=alice@example.com client=[192.0.2.1] from_domain=example.com sig=d=example.com,s=s1r,a=rsa-sha256 sig=d=example.com,s=s1e,a=ed25519-sha256 bh=$BH message-id=<plain@example.com>" \
    "authenticated: audit line with user, client, both signatures and the signed bh"
sed 's/this is message plain/this is message PLAIN/' "$T/out/AUTH1.eml.1" >"$T/out/TAMPER.eml.1"
like "$(verified TAMPER)" "^fail: body hash mismatch.*fail: body hash mismatch" \
    "the verifier is real: an altered body fails both"

send auto INT1 msg="$T/msg/plain.eml" ip=127.0.0.1
is "$(result INT1)" "mail=c eom=a nsig=2 text=-" "internal client 127.0.0.1 without AUTH: signed"
is "$(verified INT1)" "pass pass " "internal client: dkimpy verifies both"
like "$(logline auto INT1)" "^signed client=\[127\.0\.0\.1\] from_domain=example\.com " \
    "internal client: logged without a user"

send auto LOCAL1 msg="$T/msg/plain.eml" ip=unspec
is "$(result LOCAL1)" "mail=c eom=a nsig=2 text=-" "no client address (sendmail command): signed"

send auto EXT1 msg="$T/msg/plain.eml" ip=192.0.2.1
is "$(result EXT1)" "mail=c eom=a nsig=0 text=-" "external client without AUTH: verified (inbound), not signed"
send auto EXT2 msg="$T/msg/plain.eml" ip=127.0.0.2
is "$(result EXT2)" "mail=c eom=a nsig=0 text=-" "127.0.0.2 is outside internal_hosts 127.0.0.1/32"
is "$(logline auto EXT1)$(logline auto EXT2)" "" "mail not ours is not logged"

send auto DAEMON1 msg="$T/msg/plain.eml" ip=192.0.2.1 daemon=ORIGINATING
is "$(result DAEMON1)" "mail=c eom=a nsig=2 text=-" "{daemon_name}=ORIGINATING from an external client: signed"
is "$(verified DAEMON1)" "pass pass " "{daemon_name}: dkimpy verifies both"
send auto DAEMON2 msg="$T/msg/plain.eml" ip=192.0.2.1 daemon=mx.example.net
is "$(result DAEMON2)" "mail=c eom=a nsig=0 text=-" "another {daemon_name}: verified, not signed"

send auto FOLD1 msg="$T/msg/folded.eml" auth=alice@example.com
is "$(result FOLD1)" "mail=c eom=a nsig=2 text=-" "folded From with a quoted comma: signed"
is "$(verified FOLD1)" "pass pass " "folded From: dkimpy verifies both"

send auto UPPER1 msg="$T/msg/upper.eml" auth=alice@example.com
is "$(sigs UPPER1)" "$SIGS2" "From domain in upper case: signed with d=example.com"
is "$(verified UPPER1)" "pass pass " "From domain in upper case: dkimpy verifies"

# --- auto: bad From headers -------------------------------------------
# refused MILTER CASE MSG REPLY-TEXT: 550 5.7.1 TEXT, logged as rejected.
refused() {
	send "$1" "$2" msg="$T/msg/$3.eml" auth=alice@example.com \
	    rcode=550 xcode=5.7.1 "rtext=$4"
	is "$(result "$2")" "mail=c eom=y nsig=0 text=yes" "$3: 550 5.7.1 $4"
	is "$(logline "$1" "$2")" \
	    "rejected user=alice@example.com client=[127.0.0.1]: $4" "$3: logged"
}
refused auto NOFROM nofrom "message has no From header"
refused auto TWOFROM twofrom "message has 2 From headers; exactly one is allowed"
refused auto TWOADDR twoaddr "From header lists 2 addresses; exactly one is allowed"
refused auto NOADDR noaddr "From header lists 0 addresses; exactly one is allowed"
# The parser's wording is its own: take it from the log, then check that
# the client got exactly that.
send auto BADFROM0 msg="$T/msg/badfrom.eml" auth=alice@example.com
WHY=$(logline auto BADFROM0 | sed 's/^rejected [^:]*: //')
like "$WHY" "^From header cannot be parsed: .*'>'" "unparsable From: the reason names the missing '>'"
refused auto BADFROM badfrom "$WHY"

# --- auto: keys missing or broken ---------------------------------------
send auto NOKEYS msg="$T/msg/nokeys.eml" auth=alice@example.com
is "$(result NOKEYS)" "mail=c eom=a nsig=0 text=-" "domain without keys: accepted unsigned"
is "$(logline auto NOKEYS)" \
    "not signed user=alice@example.com client=[127.0.0.1] from_domain=nokeys.example: no keys for this domain" \
    "domain without keys: logged as not signed, no keys"
send auto BROKEN msg="$T/msg/broken.eml" auth=alice@example.com \
    rcode=451 xcode=4.3.0 "rtext=cannot sign for broken.example: signing key unusable; try again later"
is "$(result BROKEN)" "mail=c eom=y nsig=0 text=yes" \
    "key file mode 0644: 451 4.3.0 naming the domain and a short reason, no path"
is "$(logline auto BROKEN)" \
    "deferred user=alice@example.com client=[127.0.0.1]: cannot sign for broken.example: $BROKEN" \
    "broken key: logged as deferred with the problem"
send auto AFTERBROKEN msg="$T/msg/plain.eml" auth=alice@example.com
is "$(result AFTERBROKEN)" "mail=c eom=a nsig=2 text=-" "example.com still signed in the same run"
is "$(verified AFTERBROKEN)" "pass pass " "example.com after the broken domain: dkimpy verifies"

send auto SUB0 msg="$T/msg/sub.eml" auth=alice@example.com
is "$(result SUB0)" "mail=c eom=a nsig=0 text=-" "sign_subdomains = no: sub.example.com unsigned"
like "$(logline auto SUB0)" "from_domain=sub\.example\.com: no keys for this domain\$" \
    "sign_subdomains = no: logged as no keys"

# An internationalised From domain is signed with the keys outpostctl
# stored under its A-label, and d= is the A-label.
send auto IDN msg="$T/msg/idn.eml" auth=alice@example.com
is "$(result IDN)" "mail=c eom=a nsig=2 text=-" "IDN From domain: signed"
is "$(sigs IDN)" "a=ed25519-sha256 d=xn--bcher-kva.example s=i1e
a=rsa-sha256 d=xn--bcher-kva.example s=i1r" "IDN From domain: d= is the A-label"
is "$(verified IDN)" "pass pass " "IDN From domain: dkimpy verifies both"

# --- auto: several messages on one connection ---------------------------
# two From (refused), then one From (must not inherit the count), then
# aborted, then no From (must not inherit the aborted message's From),
# then a good one.
send auto MULTI msg="$T/msg/twofrom.eml,$T/msg/plain.eml,$T/msg/folded.eml,$T/msg/nofrom.eml,$T/msg/plain.eml" \
    plan=eom,eom,abort,eom,eom auth=alice@example.com
is "$(sed -n 's/^msg //p' "$T/out/MULTI" | tr '\n' '|')" \
    "1 mail=c eom=y nsig=0 text=-|2 mail=c eom=a nsig=2 text=-|3 mail=c eom=- nsig=0 text=-|4 mail=c eom=y nsig=0 text=-|5 mail=c eom=a nsig=2 text=-|" \
    "one connection: refused, signed, aborted, refused, signed"
like "$(logline auto MULTI.1)" "rejected .*: message has 2 From headers" "message 1: two From"
like "$(logline auto MULTI.4)" "rejected .*: message has no From header" \
    "message 4 after an abort: no From (nothing left from message 3)"
is "$(logline auto MULTI.3)" "" "the aborted message is not logged"
is "$(verified MULTI 2) / $(verified MULTI 5)" "pass pass  / pass pass " \
    "messages 2 and 5: dkimpy verifies both signatures of each"
is "$(bh MULTI 2 | sort -u)" "$BH" "message 2: the same body hash as the same message alone"

# The user is the message's, not the connection's: an authenticated
# message, then one without AUTH from the same external client.
send auto MIXAUTH msg="$T/msg/plain.eml" plan=eom,eom,eom ip=192.0.2.1 \
    auth="alice@example.com,,bob@example.com"
is "$(sed -n 's/^msg //p' "$T/out/MIXAUTH" | tr '\n' '|')" \
    "1 mail=c eom=a nsig=2 text=-|2 mail=c eom=a nsig=0 text=-|3 mail=c eom=a nsig=2 text=-|" \
    "one connection: AUTH signed, no AUTH verified unsigned, AUTH signed"
like "$(logline auto MIXAUTH.3)" "^signed user=bob@example\.com " "message 3 logged with its own user"

# --- auto: key added while running, SIGHUP ----------------------------
domain_add new.example n1 || bail_out "outpostctl domain add new.example"
tries=0
while :; do
	tries=$((tries + 1))
	send auto "NEW$tries" msg="$T/msg/new.eml" auth=alice@example.com
	r=$(result "NEW$tries")
	[ "$r" = "mail=c eom=a nsig=0 text=-" ] || break
	[ $tries -ge 60 ] && break
	sleep 0.5
done
diag "new.example signed at attempt $tries"
is "$r" "mail=c eom=a nsig=2 text=-" "domain added while running: signed without a restart"
is "$(sigs "NEW$tries")" "a=ed25519-sha256 d=new.example s=n1e
a=rsa-sha256 d=new.example s=n1r" "new domain: its own selectors"
is "$(verified "NEW$tries")" "pass pass " "new domain: dkimpy verifies both"

HUPS0=$(grep -c 'SIGHUP: keys will be reloaded' "$T/auto.log")
kill -HUP "${PID[auto]}"
kill -HUP "${PID[auto]}"
for i in $(seq 100); do
	[ "$(grep -c 'SIGHUP: keys will be reloaded' "$T/auto.log")" -gt "$HUPS0" ] && break
	sleep 0.1
done
like "$(grep 'SIGHUP' "$T/auto.log" | head -n 1)" "SIGHUP: keys will be reloaded" \
    "SIGHUP: logged as a reload"
kill -0 "${PID[auto]}" 2>/dev/null
ok_rc $? "SIGHUP: the milter is still running"
send auto HUP1 msg="$T/msg/plain.eml" auth=alice@example.com
is "$(result HUP1)" "mail=c eom=a nsig=2 text=-" "after SIGHUP: signed"
is "$(verified HUP1)" "pass pass " "after SIGHUP: dkimpy verifies"
send auto HUP2 msg="$T/msg/broken.eml" auth=alice@example.com \
    rcode=451 xcode=4.3.0 "rtext=cannot sign for broken.example: signing key unusable; try again later"
is "$(result HUP2)" "mail=c eom=y nsig=0 text=yes" "after SIGHUP: the broken key still answers 451"

# --- auto: 8 connections at once, 50 messages each --------------------
pids=()
for i in 1 2 3 4 5 6 7 8; do
	send auto "LOAD$i" msg="$T/msg/load$i.eml" count=50 summary=1 \
	    auth="user$i@example.com" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
got=""
for i in 1 2 3 4 5 6 7 8; do
	got="$got$(grep '^signed' "$T/out/LOAD$i") "
done
is "$got" "$(printf 'signed 50 %.0s' 1 2 3 4 5 6 7 8)" \
    "8 parallel connections x 50 messages: every message signed"
is "$(grep -Ec ': LOAD[1-8]\.[0-9]+: signed user=user[1-8]@example\.com ' "$T/auto.log")" 400 \
    "400 audit lines"
bad=0
for i in 1 2 3 4 5 6 7 8; do
	grep -q ": LOAD$i\.[0-9]*: signed user=user$i@example\.com .*from_domain=example\.com" \
	    "$T/auto.log" || bad=1
	grep -E ": LOAD$i\.[0-9]+: " "$T/auto.log" | grep -vq "user=user$i@" && bad=1
done
ok_rc $bad "each connection's messages logged with its own user"
# Each connection sent its own message: a signature computed over
# another connection's data would fail here.
$PY "$VERIFY" --short "$T"/out/LOAD*.eml.* "$T/dns.txt" >"$T/out/load.verify" 2>&1
ok_rc $? "dkimpy verifies all 800 signatures of the 400 messages"
is "$(grep -c ': pass$' "$T/out/load.verify")" 800 "800 pass verdicts"

# --- the other configurations -------------------------------------------
send sign SIGN1 msg="$T/msg/plain.eml" ip=192.0.2.1
is "$(result SIGN1)" "mail=c eom=a nsig=2 text=-" "milter_mode = sign: external client without AUTH signed"
is "$(verified SIGN1)" "pass pass " "milter_mode = sign: dkimpy verifies"
send sign SUB1 msg="$T/msg/sub.eml" ip=192.0.2.1
is "$(result SUB1)" "mail=c eom=a nsig=2 text=-" "sign_subdomains = yes: sub.example.com signed"
is "$(sigs SUB1)" "$SIGS2" "sign_subdomains = yes: d=example.com with the parent's selectors"
is "$(verified SUB1)" "pass pass " "sign_subdomains = yes: dkimpy verifies"
like "$(logline sign SUB1)" "^signed client=\[192\.0\.2\.1\] from_domain=sub\.example\.com sig=d=example\.com,s=s1r," \
    "sign_subdomains = yes: logged with the From domain and d=example.com"
send sign SIGNNOKEYS msg="$T/msg/nokeys.eml" ip=192.0.2.1
is "$(result SIGNNOKEYS)" "mail=c eom=a nsig=0 text=-" "milter_mode = sign: no keys still means unsigned"

send verify VER1 msg="$T/msg/plain.eml" auth=alice@example.com ip=127.0.0.1
is "$(result VER1)" "mail=c eom=a nsig=0 text=-" "milter_mode = verify: authenticated internal mail verified, not signed"
send verify VER2 msg="$T/msg/plain.eml" ip=192.0.2.1 daemon=ORIGINATING
is "$(result VER2)" "mail=c eom=a nsig=0 text=-" "milter_mode = verify: nothing signed"

send accept ACC1 msg="$T/msg/broken.eml" auth=alice@example.com
is "$(result ACC1)" "mail=c eom=a nsig=0 text=-" "on_error = accept: broken key passes unsigned"
is "$(logline accept ACC1)" \
    "passed UNSIGNED (on_error = accept) user=alice@example.com client=[127.0.0.1]: cannot sign for broken.example: $BROKEN" \
    "on_error = accept: logged as UNSIGNED with the reason"
send accept ACC2 msg="$T/msg/plain.eml" auth=alice@example.com
is "$(result ACC2)" "mail=c eom=a nsig=1 text=-" "sign_algorithms = rsa-sha256: one signature"
is "$(sigs ACC2)" "a=rsa-sha256 d=example.com s=s1r" "sign_algorithms = rsa-sha256: the RSA selector"
is "$(verified ACC2)" "pass " "sign_algorithms = rsa-sha256: dkimpy verifies"
refused accept ACCNOFROM nofrom "message has no From header"

# simple/simple hashes the fields exactly as the MTA stores them: the
# space after the colon included, whether the MTA passes it
# (SMFIP_HDR_LEADSPC, as Postfix and Sendmail 8.14 do) or strips it and
# puts one back in front of inserted fields (an MTA without the option).
send simple SIMPLE1 msg="$T/msg/spaces.eml" auth=alice@example.com
is "$(result SIMPLE1)" "mail=c eom=a nsig=2 text=-" "simple/simple: signed"
like "$(sed -n 's/^sig 1 //p' "$T/out/SIMPLE1" | head -n 1)" " c=simple/simple; " "simple/simple: c= says so"
is "$(verified SIMPLE1)" "pass pass " "simple/simple, header values with their leading space: dkimpy verifies"
send simple SIMPLE2 msg="$T/msg/spaces.eml" auth=alice@example.com leadspc=0
is "$(result SIMPLE2)" "mail=c eom=a nsig=2 text=-" "simple/simple, MTA without SMFIP_HDR_LEADSPC: signed"
is "$(head -c 20 "$T/out/SIMPLE2.eml.1")" "DKIM-Signature: v=1;" \
    "without SMFIP_HDR_LEADSPC: the MTA's space and no second one"
is "$(verified SIMPLE2)" "pass pass " "simple/simple without SMFIP_HDR_LEADSPC: dkimpy verifies"
send auto RELAXED2 msg="$T/msg/spaces.eml" auth=alice@example.com leadspc=0
is "$(verified RELAXED2)" "pass pass " "relaxed/relaxed without SMFIP_HDR_LEADSPC: dkimpy verifies"
# The body in 7-byte chunks: the same body hash as in one chunk.
send simple CHUNK7 msg="$T/msg/spaces.eml" auth=alice@example.com chunk=7
is "$(bh CHUNK7 | sort -u)" "$(bh SIMPLE1 | sort -u)" "body in 7-byte chunks: the same bh= as in one chunk"
is "$(verified CHUNK7)" "pass pass " "body in 7-byte chunks: dkimpy verifies"

# --- -n ------------------------------------------------------------------
out=$("$MILTER" -n -c "$T/auto.conf" 2>"$T/check.err")
ok_rc $? "-n with a key problem exits 0"
is "$out" "$T/auto.conf: configuration OK; 1 key problem" "-n: summary on stdout"
like "$(cat "$T/check.err")" "keys of broken\.example: key .*/b1r\.key: mode 0644 is unsafe" \
    "-n: the key problem is printed"
# A key readable by its group (which Postfix joins for the socket) is
# warned about, not a problem, for one release.
I1E="$T/keys/xn--bcher-kva.example/i1e.key"
chmod 640 "$I1E"; chgrp "$(id -gn "$RUNUSER")" "$I1E"
out=$("$MILTER" -n -c "$T/auto.conf" 2>"$T/check.err")
is "$out" "$T/auto.conf: configuration OK; 1 key problem" "-n: a 0640 key is no problem"
like "$(cat "$T/check.err")" "keys of xn--bcher-kva\.example: key .*/i1e\.key: mode 0640 lets group .* read the key, and Postfix may be in that group \(accepted for now; chmod 0600\)" \
    "-n: the 0640 key is warned about"
chmod 600 "$I1E"
# Keys the daemon's account cannot read are a problem even when -n runs as
# root: the daemon reads them after dropping privileges.
if [ "$(id -u)" = 0 ]; then
	mkdir -m 700 "$T/rootkeys"
	cp -a "$T/keys/example.com" "$T/rootkeys/"
	sed "s|^keys_directory = .*|keys_directory = $T/rootkeys|" \
	    "$T/auto.conf" >"$T/rootkeys.conf"
	out=$("$MILTER" -n -c "$T/rootkeys.conf" 2>"$T/rootkeys.err")
	is "$out" "$T/rootkeys.conf: configuration OK; 1 key problem" \
	    "-n as root judges the keys as user $RUNUSER would read them"
	like "$(cat "$T/rootkeys.err")" "Permission denied" \
	    "-n: the unreadable keys directory is named"
else
	skip 2 "needs root"
fi
{
	echo "keys_directory = $T/keys"
	echo "# a comment"
	echo "milter_mode = sideways"
} >"$T/bad1.conf"
"$MILTER" -n -c "$T/bad1.conf" >/dev/null 2>"$T/bad1.err"
is "$?" 1 "-n with a bad value exits 1"
like "$(cat "$T/bad1.err")" "^outpost-milter: $T/bad1\.conf:3: .*sideways" "bad value: file:line"
printf 'keys_directory = %s\nno_such_key = 1\n' "$T/keys" >"$T/bad2.conf"
"$MILTER" -n -c "$T/bad2.conf" >/dev/null 2>"$T/bad2.err"
is "$?" 1 "-n with an unknown key exits 1"
like "$(cat "$T/bad2.err")" "$T/bad2\.conf:2: unknown parameter \"no_such_key\"" \
    "unknown key: file:line and the name"

# --- stop -----------------------------------------------------------------
for m in auto sign verify accept simple; do
	kill -TERM "${PID[$m]}"
done
for m in auto sign verify accept simple; do
	for i in $(seq 600); do
		kill -0 "${PID[$m]}" 2>/dev/null || break
		sleep 0.1
	done
	wait "${PID[$m]}"
	rc=$?
	unset "PID[$m]"
	is "$rc" 0 "milter $m: SIGTERM stops it with exit 0"
	like "$(tail -n 1 "$T/$m.log")" "stopped\$" "milter $m: logged stopped"
	! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error' "$T/$m.log"
	ok_rc $? "milter $m: no sanitizer report"
done

[ $_tap_failed -eq 0 ] ||
    diag "$_tap_failed of $_tap_n failed; logs in $T (TEST_KEEP=1 keeps them)"
done_testing
