#!/bin/bash
# outpostctl config: the settings in effect that differ from the defaults,
# every setting with --all, JSON with --json, and the loader's errors.
CTL=ctl/outpostctl
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
. t/lib/tap.sh

cat >"$T/a.conf" <<X
# a comment
milter_mode = sign
internal_hosts = 10.0.0.0/8,
    ::1
redis_password = hunter2
log_level = info
X
is "$($CTL -c "$T/a.conf" config)" "redis_password = (set, not shown)
milter_mode = sign
internal_hosts = 10.0.0.0/8, ::1" "config prints only non-defaults, password masked"

all=$($CTL -c "$T/a.conf" config --all)
is "$(printf '%s\n' "$all" | grep -c ' = ')" \
    "$(grep -c '^	{ "' lib/conf.c)" "config --all prints one line per key of the table"
is "$(printf '%s\n' "$all" | grep '^redis_timeout')" "redis_timeout = 2s" \
    "config --all shows defaults"

json=$($CTL -c "$T/a.conf" --json config)
is "$(printf '%s' "$json" | /usr/bin/python3 -c 'import json,sys
d = json.load(sys.stdin)
print(d["milter_mode"], d["internal_hosts"], sorted(d))')" \
    "sign 10.0.0.0/8, ::1 ['internal_hosts', 'milter_mode', 'redis_password']" \
    "--json: one object of the non-default settings"

printf 'milter_mode = sign\nsign_subdomain = yes\n' >"$T/bad.conf"
err=$($CTL -c "$T/bad.conf" config 2>&1 >/dev/null); rc=$?
is "$rc" 1 "unknown key: exit 1"
is "$err" "outpostctl: $T/bad.conf:2: unknown parameter \"sign_subdomain\"" \
    "unknown key: file:line: reason"

err=$($CTL -c "$T/missing.conf" config 2>&1 >/dev/null); rc=$?
is "$rc" 1 "missing explicit file: exit 1"
is "$err" "outpostctl: $T/missing.conf: No such file or directory" \
    "missing explicit file: named"

err=$(OUTPOST_CONF="$T/a.conf" $CTL config)
is "$err" "$($CTL -c "$T/a.conf" config)" "OUTPOST_CONF names the file"

$CTL -c "$T/a.conf" config --bogus >/dev/null 2>&1
is "$?" 2 "usage error: exit 2"

done_testing
