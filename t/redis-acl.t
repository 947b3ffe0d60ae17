#!/bin/bash
# redis-acl.t -- the protected setup of README "Running Redis for outpost":
# a real redis-server with etc/redis/outpost.acl (default user off), each
# program with its own ACL user and its password in a root-only
# redis_password_file.  Behind a private Postfix, outpost-policyd counts
# and enforces suppressions and outpost-milter authorises, signs and
# refunds, each with its own user and no NOPERM in its log; outpostctl with
# a daemon's credentials cannot change policy, without credentials it is
# refused, and an account that cannot read the admin's password file
# (nobody) cannot use it.  Then the rules of redis_password_file itself.
. "$(dirname "$0")/lib/testenv.sh"
te_need_root
POLICYD="$TE_ROOT/policyd/outpost-policyd"
MILTER="$TE_ROOT/milter/outpost-milter"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
for b in "$POLICYD" "$MILTER" "$CTL_BIN"; do
	[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
done
command -v redis-server >/dev/null || skip_all "redis-server not installed"
te_tmpdir
PW='S3cret pw'
mkdir -p "$T/out"

# The shipped ACL file with fresh passwords, as the README says.
sha() { printf %s "$1" | sha256sum | cut -d' ' -f1; }
sed_args=()
for who in admin policyd milter; do
	pw=$(openssl rand -hex 24)
	printf '%s\n' "$pw" >"$T/$who.pw"
	chmod 600 "$T/$who.pw"
	up=$(echo "$who" | tr a-z A-Z)
	sed_args+=(-e "s/@${up}_SHA256@/$(sha "$pw")/")
done
sed "${sed_args[@]}" "$TE_ROOT/etc/redis/outpost.acl" >"$T/outpost.acl"
te_redis_start --aclfile "$T/outpost.acl"
rcli() {	# rcli WHO ARGS...
	local who=$1; shift
	redis-cli -s "$T/redis.sock" --no-auth-warning --user "outpost-$who" \
	    --pass "$(cat "$T/$who.pw")" "$@"
}
te_wait rcli admin ping || te_fail "redis-server: $(tail -5 "$T/redis.log")"

# policyd where the shipped main.cf.policyd looks: outpost/ in the spool.
PSOCK="$T/spool/outpost/policy.sock"
mkdir -p "$T/spool"
base() {	# base WHO: a config for that program's user
	cat <<EOF
redis_address = unix:$T/redis.sock
redis_username = outpost-$1
redis_password_file = $T/$1.pw
redis_timeout = 1s
user = outpost
log_destination = stderr
keys_directory = $T/keys
milter_socket = unix:$T/run/milter.sock
dns_nameserver = 127.0.0.1@9
dns_timeout = 1s
internal_hosts = 127.0.0.1/32
policyd_listen = unix:$PSOCK
require_alignment = no
EOF
}
for who in admin policyd milter; do base "$who" >"$T/$who.conf"; done
chmod 644 "$T"/*.conf
ctl() { "$CTL_BIN" -c "$T/admin.conf" "$@"; }

# --- outpostctl as the administrator ---------------------------------------
for c in "domain add example.com --selector t" \
    "domain add other.example --selector t" \
    "plan set std messages=100/1h" \
    "user add bob@example.com --plan std --domain example.com" \
    "suppress add dead@example.org"; do
	# shellcheck disable=SC2086
	ctl $c >>"$T/ctl.out" 2>&1 || te_fail "outpostctl $c: $(cat "$T/ctl.out")"
done
ok "outpostctl (outpost-admin) set up plan, user, suppression" true
rcli admin hset outpost:domain:example.com state verified checked "$(date +%s)" >/dev/null
rcli admin sadd outpost:domains example.com >/dev/null
te_dns_from_keys "$T/keys" >"$T/dns.txt"

# --- others cannot change policy -------------------------------------------
out=$("$CTL_BIN" -c "$T/milter.conf" suppress add x@example.org 2>&1)
is "$?" 1 "outpostctl with the milter's credentials: suppress add refused"
like "$out" "NOPERM" "... by Redis (NOPERM)"
out=$("$CTL_BIN" -c "$T/policyd.conf" user add mallory@example.com 2>&1)
is "$?" 1 "outpostctl with policyd's credentials: user add refused"
like "$out" "NOPERM|can't run this command" "... by Redis: $(echo "$out" | head -1)"
out=$("$CTL_BIN" -c "$T/policyd.conf" user suspend bob@example.com 2>&1)
is "$?" 1 "outpostctl with policyd's credentials: user suspend refused"
out=$("$CTL_BIN" -c "$T/milter.conf" suppress del dead@example.org 2>&1)
is "$?" 1 "outpostctl with the milter's credentials: suppress del refused"
grep -v '^redis_username\|^redis_password_file' "$T/admin.conf" >"$T/anon.conf"
out=$("$CTL_BIN" -c "$T/anon.conf" suppress add y@example.org 2>&1)
is "$?" 1 "outpostctl without credentials refused (default user off)"
like "$out" "NOAUTH|WRONGPASS|NOPERM|disabled" "... by Redis: $(echo "$out" | head -1)"
out=$(su nobody -s /bin/sh -c "'$CTL_BIN' -c '$T/admin.conf' suppress add z@example.org" 2>&1)
is "$?" 1 "nobody cannot use the admin's config (the password file is root's)"
like "$out" "redis_password_file $T/admin\.pw: Permission denied" "... and is told why"
is "$(ctl --json suppress check z@example.org | "$TE_PY" -c 'import json,sys; print(json.load(sys.stdin)["suppressed"])')" \
    False "nothing was added by the refused attempts"

# --- the daemons, each with its own user ------------------------------------
te_bg policyd "$POLICYD" -f -c "$T/policyd.conf"
te_wait test -S "$PSOCK" ||
    te_fail "outpost-policyd did not listen: $(tail -20 "$T/policyd.log")"
mkdir -p "$T/run"
te_bg milter "$MILTER" -f -c "$T/milter.conf"
te_wait test -S "$T/run/milter.sock" ||
    te_fail "outpost-milter did not start: $(tail -20 "$T/milter.log")"
TE_MILTER="unix:$T/run/milter.sock"
te_postfix_start "$(cat "$TE_ROOT/etc/postfix/main.cf.policyd")"
te_sasl_user bob@example.com "$PW"

used() {
	ctl --json user show bob@example.com | "$TE_PY" -c '
import json, sys
print(" ".join(str(l["used"]) for l in json.load(sys.stdin)["limits"] if l["limit"] == "messages=100/1h"))'
}
msg() {
	printf 'From: Bob <%s>\nTo: <rcpt@example.org>\nSubject: %s\nDate: Wed, 02 Dec 2026 10:00:00 +0000\nMessage-ID: <%s@acl.test>\n\nHello.\n' \
	    "$2" "$1" "$1" >"$T/$1.eml"
	echo "$T/$1.eml"
}
send() {	# send TOKEN FROM [SWAKS ARGS]
	local tok=$1 from=$2; shift 2
	te_data_reply "$(te_submit "$(msg "$tok" "$from")" "$tok" \
	    bob@example.com "$PW" --from bob@example.com "$@")"
}

r=$(send ok1 bob@example.com)
like "$r" '^250 2\.0\.0 Ok: queued as ' "bob's message accepted (policyd and milter authorised)"
if ok "ok1 delivered" te_fetch "$(te_queue_id "$r")" ok1 "$T/out/ok1.eml"; then
	is "$(te_count_sigs "$T/out/ok1.eml")" 2 "signed twice by the milter"
else
	skip 1 "not delivered"
fi
is "$(used)" 1 "policyd counted it (EVALSHA as outpost-policyd)"
r=$(send cross boss@other.example)
is "$r" "550 5.7.1 bob@example.com is not authorised to send as other.example" \
    "the milter's authorisation check (its own user)"
is "$(used)" 1 "the refused message was refunded (refund script as outpost-milter)"
r=$(te_submit "$(msg dead bob@example.com)" dead bob@example.com "$PW" \
    --from bob@example.com --to dead@example.org)
like "$r" "<\*\* +5[0-9][0-9] .*dead@example\.org" "policyd refuses the suppressed recipient"
ok "no NOPERM in policyd's log" bash -c "! grep -Ei \"noperm|can't run\" '$T/policyd.log'"
ok "no NOPERM in the milter's log" bash -c "! grep -Ei \"noperm|can't run\" '$T/milter.log'"

# --- redis_password_file's rules -----------------------------------------
chmod 644 "$T/admin.pw"
out=$(ctl config 2>&1)
is "$?" 1 "a password file readable by others is refused"
like "$out" "redis_password_file $T/admin\.pw: mode 0644 lets others read it" "... naming file and mode"
chmod 600 "$T/admin.pw"
{ cat "$T/admin.conf"; echo "redis_password = also"; } >"$T/both.conf"
out=$("$CTL_BIN" -c "$T/both.conf" config 2>&1)
like "$out" "redis_password and redis_password_file are both set" "both set: refused"
out=$(ctl config)
like "$out" "redis_password_file = $T/admin\.pw" "config shows the file's path"
unlike "$out" "$(cat "$T/admin.pw")" "... and never the password"
err=$("$POLICYD" -n -c "$T/policyd.conf" 2>&1 >/dev/null)
unlike "$err" "readable by others" "a 0644 config without a password in it: no warning"

done_testing
