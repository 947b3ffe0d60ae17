#!/bin/bash
# ctl-log -- outpostctl log, stats and the feedback part of user show /
# resume against a real redis-server, with events written by lib/dlog's
# one writer (t/tools/dlogput): every filter of log and its ordering,
# --limit (and its default), --since/--until as durations and as ISO 8601
# times or dates, paging past the first page of a filtered search, --json
# field by field (Python's json), stats sums and rates over the period
# and the top senders, user show's pause rates, user resume clearing the
# rate window -- and INFO commandstats proving that none of it SCANs.
. "$(dirname "$0")/lib/testenv.sh"
CTL="$TE_ROOT/ctl/outpostctl"
PUT="$TE_ROOT/t/tools/dlogput"
[ -x "$CTL" ] && [ -x "$PUT" ] || skip_all "outpostctl or t/tools/dlogput not built"
te_redis_start
printf 'redis_address = unix:%s/redis.sock\nbounce_min_sample = 3\n' "$T" >"$T/outpost.conf"

run() {	# run ARGS...: sets rc, out, err
	"$CTL" -c "$T/outpost.conf" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
js() {	# js PYTHON-EXPR: printed, with d = the JSON document of the last run
	"$TE_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print('"$1"')' "$T/out"
}
qids() { js '",".join((e["qid"] or "-") for e in d)'; }
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

run init
run user add alice
run user add bob
LONG=$(printf 'x%.0s' $(seq 1 1990))
TAB=$'\t'
# One event per line (TAB-separated), ago = seconds before now.
ev() { local IFS=$TAB; printf '%s\n' "$*"; }
{
ev ago=600 host=mta1 qid=Q1 who=alice client=192.0.2.1 from=alice@example.com rcpt=bob@example.net status=delivered dsn=2.0.0 code=250 "reply=250 2.0.0 Ok: queued as X1" relay=mx.example.net relay_ip=198.51.100.7 delay=1.25 category=delivered class=delivered
ev ago=1800 host=mta1 qid=Q1 who=alice client=192.0.2.1 from=alice@example.com rcpt=carol@example.org status=bounced dsn=5.1.1 code=550 "reply=550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown" relay=mx.example.org relay_ip=198.51.100.8 delay=0.5 category=hard class=user-unknown rule=bounce-rules:12 msgid=m1@example.com
ev ago=10800 host=mta2 qid=Q2 who=alice from=alice@example.com rcpt=dave@example.net status=deferred dsn=4.2.2 code=452 "reply=452 4.2.2 mailbox full" category=soft class=mailbox-full
ev ago=172800 host=mta1 qid=Q3 who=alice from=alice@example.com rcpt=bob@example.net status=bounced dsn=5.7.1 code=554 "reply=554 5.7.1 blocked for reputation" category=block class=reputation
ev ago=300 host=mta1 qid=Q4 who=bob from=bob@example.com rcpt=bob@example.net status=delivered dsn=2.0.0 code=250 "reply=250 ok" category=delivered
ev ago=6000 host=mta1 who=bob from=bob@example.com rcpt=erin@example.net status=refused "reply=550 5.1.1 <erin@example.net>: recipient suppressed for this account: hard-bounce since 2026-11-01" category=refused class=suppressed
ev ago=60 host=mta1 qid=Q5 "who=[192.0.2.9]" client=192.0.2.9 from=app@example.com rcpt=frank@example.net status=delivered category=delivered
ev ago=100 host=mta1 qid=Q6 who=alice from=alice@example.com rcpt=gina@example.net status=bounced dsn=5.1.1 code=550 "reply=550 5.1.1 $LONG" category=hard class=user-unknown
ev ago=5000 host=mta1 qid=Q7 who=alice from=alice@example.com rcpt=henry@example.net status=expired category=expired class=expired
} >"$T/events"
"$PUT" "$T/outpost.conf" <"$T/events" >"$T/eids" 2>&1
ok "dlogput wrote 9 events" test "$(wc -l <"$T/eids")" = 9
echo "count alice 200 complaint" | "$PUT" "$T/outpost.conf"
ok "dlogput counted a complaint" test $? = 0
# 600 events of one user, the oldest refused: a filtered search pages.
{
ev ago=9000 host=mta1 qid=B0 who=bulk from=b@example.com rcpt=old@example.net status=refused category=refused class=limit "reply=450 4.7.1 sending limit reached"
for i in $(seq 1 600); do
	ev ago=$((8000 - i)) host=mta1 qid=B$i who=bulk from=b@example.com rcpt=r$i@example.net status=delivered category=delivered
done
} | "$PUT" "$T/outpost.conf" >/dev/null
# Written last (later writes trim older members): an event of January.
ev t=1768478400000 host=mta1 qid=J1 who=olduser from=o@example.com rcpt=jan@example.net status=delivered category=delivered |
    "$PUT" "$T/outpost.conf" >/dev/null

te_redis_cli CONFIG RESETSTAT >/dev/null

# ---- log: filters and ordering
run --json log --user alice
is "$rc" 0 "log --user: exit 0"
is "$(qids)" "Q6,Q1,Q1,Q7,Q2,Q3" "log --user: the user's events, newest first"
is "$(js '",".join(e["rcpt"] for e in d)')" \
    "gina@example.net,bob@example.net,carol@example.org,henry@example.net,dave@example.net,bob@example.net" \
    "log --user: recipients in time order"
run --json log --user alice --limit 2
is "$(qids)" "Q6,Q1" "--limit 2: the two newest"
run --json log --rcpt 'Bob@EXAMPLE.net'
is "$(qids)" "Q4,Q1,Q3" "--rcpt: normalised (case), every sender's events to it"
run --json log --rcpt bob@example.net --user alice
is "$(qids)" "Q1,Q3" "--rcpt with --user: both filters"
run --json log --from BOB@example.com
is "$(qids)" "Q4,-" "--from: normalised, the sender's events (refusal without queue ID too)"
run --json log --queue-id Q1
is "$(js '",".join(e["rcpt"] for e in d)')" "bob@example.net,carol@example.org" "--queue-id: both recipients of the message"
run --json log --status refused --limit 100
is "$(qids)" "-,B0" "--status refused: only refusals, through every event"
run --json log --user bulk --status refused
is "$(qids)" "B0" "--user --status: found past the first page (600 newer events)"
run --json log --user bulk
is "$(js 'len(d)')" 50 "--limit defaults to 50"
is "$(js 'd[0]["qid"] + "," + d[49]["qid"]')" "B600,B551" "the 50 newest of bulk, in order"
run --json log --user '[192.0.2.9]'
is "$(qids)" "Q5" "--user [IP]: the pseudo-user of mail without SASL"

# ---- --since / --until, both syntaxes
run --json log --user alice --since 1h
is "$(qids)" "Q6,Q1,Q1" "--since 1h"
run --json log --user alice --until 1h
is "$(qids)" "Q7,Q2,Q3" "--until 1h"
run --json log --since 2h --until 20m
is "$(js '",".join(e["rcpt"] for e in d)')" "carol@example.org,henry@example.net,erin@example.net" \
    "--since 2h --until 20m: the events between, all senders"
now=$(date +%s)
run --json log --since "$(iso $((now - 7200)))" --until "$(iso $((now - 1200)))"
is "$(js '",".join(e["rcpt"] for e in d)')" "carol@example.org,henry@example.net,erin@example.net" \
    "--since/--until as ISO 8601 times: the same"
run --json log --user olduser --since 2026-01-15 --until 2026-01-16
is "$(qids)" "J1" "dates: the day of the event"
run --json log --user olduser --since 2026-01-16
is "$(js 'len(d)')" 0 "--since the next day: nothing"
run --json log --user olduser --until 2026-01-15
is "$(js 'len(d)')" 0 "--until the day (its midnight): nothing"
run --json log --user olduser --since 2026-01-15T11:59:59Z --until 2026-01-15T12:00:01Z
is "$(qids)" "J1" "ISO times around the event"

# ---- --json: every field of one event
run --json log --queue-id Q1 --rcpt carol@example.org
cat >"$T/check.py" <<'EOF'
import json, sys, time
d = json.load(open(sys.argv[1]))
e = d[0]
want = {"host": "mta1", "qid": "Q1", "who": "alice", "client": "192.0.2.1",
        "from": "alice@example.com", "rcpt": "carol@example.org",
        "orig_to": None, "status": "bounced", "dsn": "5.1.1", "code": 550,
        "reply": "550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown",
        "relay": "mx.example.org", "relay_ip": "198.51.100.8", "delay": 0.5,
        "category": "hard", "class": "user-unknown", "rule": "bounce-rules:12",
        "msgid": "m1@example.com"}
bad = [k for k in want if e.get(k, "ABSENT") != want[k]]
age = time.time() - e["t"] / 1000.0
iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(e["t"] // 1000))
if len(d) != 1 or bad or not 1790 < age < 1900 or e["time"] != iso or not e["id"].isdigit():
    print("mismatch:", bad, e)
    sys.exit(1)
EOF
ok "--json: every field of the event, by value" "$TE_PY" "$T/check.py" "$T/out"
run --json log --queue-id Q6
is "$(js 'len(d[0]["reply"])')" 2000 "--json: a long reply whole"

# ---- text output
run log --queue-id Q1 --rcpt carol@example.org
like "$out" "bounced  hard/user-unknown" "text: status, category/class"
like "$out" "reply  550 5.1.1 <carol@example.org>: Recipient address rejected: User unknown" "text: the reply"
like "$out" "relay  mx.example.org \[198.51.100.8\]  delay 0.5s  dsn 5.1.1" "text: relay, delay, dsn"
like "$out" "queue  Q1 on mta1  client 192.0.2.1" "text: queue ID, host, client"
run log --user nobody
is "$rc|$out" "0|no events" "text: no events"

# ---- refusals
run log --status sent
is "$rc" 2 "--status sent: usage error"
run log --since yesterday
is "$rc" 2 "--since yesterday: usage error"
run log --limit 0
is "$rc" 2 "--limit 0: usage error"
run log --since 1h --until 2h
is "$rc" 2 "--since after --until: usage error"
run log --rcpt 'no address'
is "$rc" 2 "--rcpt not an address: usage error"

# ---- stats
run --json stats --user alice
cat >"$T/stats.py" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = dict(x.split("=") for x in sys.argv[2].split(","))
t = d["total"]
bad = [k for k in want if str(t.get(k)) != want[k]]
if bad:
    print("mismatch:", bad, t)
    sys.exit(1)
EOF
ok "stats --user: sums of the last 24 hours" "$TE_PY" "$T/stats.py" "$T/out" \
    sent=4,delivered=1,deferred=1,hard=2,soft=0,block=0,expired=1,complaint=1,refused=0
is "$(js 'd["total"]["hard_bounce_rate"]')" 0.5 "stats: hard-bounce rate = hard / sent"
is "$(js 'd["total"]["complaint_rate"] == 1.0')" True "stats: complaint rate = complaint / delivered"
run --json stats --user alice --since 3d
ok "stats --since 3d: the block of two days ago counts" "$TE_PY" "$T/stats.py" "$T/out" \
    sent=5,hard=2,block=1
is "$(js 'd["total"]["hard_bounce_rate"]')" 0.4 "stats --since 3d: rate 2/5"
run --json stats --user bob
ok "stats --user bob: refused counted, not sent" "$TE_PY" "$T/stats.py" "$T/out" \
    sent=1,delivered=1,refused=1
# Plog:who (written with every event) names the senders of the period;
# without it, stats falls back to the users of Pusers.
te_redis_cli RENAME outpost:{log}:who outpost:{log}:who.saved >/dev/null
run --json stats
ok "stats: totals over Pusers (Plog:who absent)" "$TE_PY" "$T/stats.py" "$T/out" \
    sent=5,delivered=2,refused=1,hard=2
is "$(js '",".join(u["user"] for u in d["users"])')" "alice,bob" "stats: users by sent"
te_redis_cli RENAME outpost:{log}:who.saved outpost:{log}:who >/dev/null
run --json stats --top 2
ok "stats with Plog:who: bulk and the [IP] sender in the total" "$TE_PY" "$T/stats.py" "$T/out" \
    sent=606,delivered=603,refused=2
is "$(js '",".join(u["user"] for u in d["users"])')" "bulk,alice" "stats --top 2: the two biggest senders"
is "$(js 'd["senders"]')" 4 "stats: senders of the period only (olduser, trimmed from Plog:who, not)"
run stats --user alice
like "$out" "^alice +4 +1 +1 +2 +0 +0 +1 +1 +0 +50.000% +100.000%$" "stats text: the user's row"
run stats --top 0
is "$rc" 2 "--top 0: usage error"

# ---- user show: the pause rates; user resume: a fresh window
run --json user show alice
cat >"$T/fb.py" <<'EOF'
import json, sys
f = json.load(open(sys.argv[1]))["feedback"]
want = {"attempts": 5, "hard": 2, "delivered": 1, "complaint": 1,
        "hard_bounce_rate": 0.4, "complaint_rate": 1.0, "min_sample": 3,
        "judged": True, "bounce_pause_rate": 0.1, "complaint_pause_rate": 0.005,
        "window": 604800}
bad = [k for k in want if f.get(k) != want[k]]
if bad:
    print("mismatch:", bad, f)
    sys.exit(1)
EOF
ok "user show --json: rates over bounce_window from rt:H" "$TE_PY" "$T/fb.py" "$T/out"
run user show alice
like "$out" "hard-bounce rate 40.000% \(2 of 5 attempts in 7d; pauses at 10.000%\)" "user show: the hard-bounce rate"
like "$out" "complaint rate 100.000% \(1 of 1 delivered in 7d; pauses at 0.500%\)" "user show: the complaint rate"
run user suspend alice --reason "hard-bounce rate 40.0% over 7d (2/5)"
te_redis_cli HSET 'outpost:{u:alice}:acct' paused_by feedback >/dev/null
run user show alice
like "$out" "paused:   by outpost-feedback" "user show: paused by outpost-feedback"
like "$out" "suspended since .*\(hard-bounce rate 40.0% over 7d \(2/5\)\)" "user show: the reason"

# ---- no SCAN, no KEYS: every search above read indexes
stats=$(te_redis_cli INFO commandstats)
unlike "$stats" "cmdstat_(scan|keys):" "no SCAN or KEYS was issued by log, stats or user show"
like "$stats" "cmdstat_zrevrangebyscore:" "log read its indexes with ZREVRANGEBYSCORE"

run user resume alice
is "$rc" 0 "user resume: exit 0"
is "$(te_redis_cli EXISTS 'outpost:{log}:rt:alice')" 0 "user resume: the rate window is gone"
ok "user resume: the hourly figures stay" test "$(te_redis_cli --scan --pattern 'outpost:{log}:st:alice:*' | wc -l)" -gt 0
is "$(te_redis_cli HGET 'outpost:{u:alice}:acct' paused_by)" "" "user resume: paused_by removed"
run --json user show alice
is "$(js 'd["feedback"]["attempts"]')" 0 "user show after resume: a fresh window"
is "$(js 'd["paused_by"]')" None "user show after resume: not paused"
run --json stats --user alice
ok "stats unchanged by resume" "$TE_PY" "$T/stats.py" "$T/out" sent=4,hard=2
done_testing
