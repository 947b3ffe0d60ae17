#!/bin/bash
# web.t -- outpost-web in a real browser (headless Chromium driven by
# Selenium, t/lib/webdrive.py) and a plain HTTP client (curl), against a
# real Redis, outpost-policyd behind a private Postfix and accounts made
# with outpost-web --add-admin.
#
# What an operator does: log in; find a user and see its state and usage;
# send mail through Postfix until the user's message limit refuses it and
# see the count on the user's page; remove a suppression in the browser
# (with its confirm()) and see the next RCPT to that address accepted.
# What must not happen: a wrong password logs in; a POST without the CSRF
# token changes anything; a read-only admin changes anything; a page needs
# JavaScript (removal works without it); an inline script or style is
# allowed by the CSP; a sixth failed login within a minute is tried.  The
# charts: tooltips, the hover read-out and the legend of the script; the
# 30 days from the daily fleet hashes and, without them, from the hours.  And the
# trusted header: a second console with web_trusted_header names the admin
# by the header with the proxy's secret, and refuses the header without it.  Screenshots go to $WEB_SHOTS when it is set (the
# README's copies in doc/ are made that way).
. "$(dirname "$0")/lib/outpostenv.sh"
te_outpost_need "$WEB" "$POLICYD" "$CTL_BIN"
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] ||
    skip_all "chromium / chromium-driver not installed"
"$TE_PY" -c 'import selenium' 2>/dev/null || skip_all "python3-selenium not installed"
command -v curl >/dev/null || skip_all "curl not installed"

drive() { "$TE_PY" "$TE_ROOT/t/lib/webdrive.py" "$@"; }
submit() { te_submit_reply "$@"; }

te_redis_start
te_free_port TE_PORT_WEB
te_free_port TE_PORT_WEB2
te_outpost_conf <<EOF
redis_timeout = 1s
log_level = info
authorize_senders = no
web_listen = inet:127.0.0.1:$TE_PORT_WEB
web_admins = $T/web-admins
EOF
te_ctl_setup "init" "plan set small messages=3/1h" "plan set big messages=100/1h" \
    "user add alice@example.com --plan small" \
    "user add bob@example.com --plan big" \
    "user add albert@example.com --plan big" \
    "suppress add bounce@example.org --reason hard-bounce"

# 1. Accounts: --add-admin reads the password from stdin.
printf '%s\n' 'root pw 1' | "$WEB" -c "$CONF" --add-admin root >/dev/null ||
    te_fail "--add-admin root failed"
printf '%s\n' 'viewer pw' | "$WEB" -c "$CONF" --add-admin viewer --read-only \
    >/dev/null || te_fail "--add-admin viewer failed"
is "$(stat -c %a "$T/web-admins")" 640 "the accounts file is written 0640"
is "$(stat -c %G "$T/web-admins")" "$(id -gn outpost 2>/dev/null || echo root)" \
    "... with the group of the conf's user (outpost), when it exists"
chown nobody "$T/web-admins"
chmod 0644 "$T/web-admins"
printf '%s\n' 'x pw' | "$WEB" -c "$CONF" --add-admin tmp2 >/dev/null
is "$(stat -c '%U %a' "$T/web-admins")" "nobody 644" \
    "--add-admin (as root) keeps the old file's owner and mode"
sed -i '/^tmp2:/d' "$T/web-admins"
chown root "$T/web-admins"
chmod 0640 "$T/web-admins"
like "$(cat "$T/web-admins")" '^root:\$y\$[^:]+:admin$' \
    "root's line: a yescrypt hash, role admin"
like "$(grep '^viewer:' "$T/web-admins")" '^viewer:\$y\$[^:]+:read-only$' \
    "viewer's line: role read-only"
ok "outpost-web -n accepts the config and the accounts" "$WEB" -n -c "$CONF"
sum=$(md5sum <"$T/web-admins")
out=$(head -c 1100 /dev/zero | tr '\0' a | "$WEB" -c "$CONF" --add-admin long 2>&1)
like "$out" 'the password is longer than 1022 bytes' "--add-admin: a password too long is refused"
is "$(md5sum <"$T/web-admins")" "$sum" "... and the file is unchanged"

te_policyd_start
TE_MILTER=""
te_postfix_policyd
te_sasl_users alice@example.com bob@example.com
te_bg web "$WEB" -f -c "$CONF"
te_wait te_listening "$TE_PORT_WEB" "$(cat "$T/web.pid")" ||
    te_fail "outpost-web did not listen: $(tail -20 "$T/web.log")"
U="http://127.0.0.1:$TE_PORT_WEB"
SHOTS=${WEB_SHOTS:-}
export WEB_SHOTS=$SHOTS
diag "test dir $T, console on $U${SHOTS:+, screenshots in $SHOTS}"

# 2. Log in, find a user, see its state and usage.
out=$(drive "$U" login root 'root pw 1' title get /users \
    type user-search al enter user-search count user-link shot users \
    submit user-link title text user-state text usage-messages 2>&1)
is "$out" "Overview
2
User albert@example.com
active
0" "browser: log in, search \"al\" (2 users), the first one's page: active, 0 messages"

# 3. Mail until the limit: three messages, the fourth refused at RCPT.
for i in 1 2 3; do
	like "$(submit alice@example.com a$i)" '^250 2\.0\.0 Ok: queued as' \
	    "alice: message $i of 3 accepted"
done
like "$(submit alice@example.com a4)" '^450 4\.7\.1 .*messages=3/1h' \
    "alice: the fourth message is refused by the limit"
out=$(drive "$U" login root 'root pw 1' get /users type user-search alice \
    enter user-search submit user-link text user-state text usage-messages \
    shot user get '/log?user=alice@example.com' count event \
    has refused shot log 2>&1)
is "$out" "active
3
1
1" "browser: alice's page counts 3 messages; the log shows the refusal"

# 4. Remove a suppression; the next RCPT to it is accepted.
like "$(submit bob@example.com b1 --to bounce@example.org)" '^550 5\.1\.1 ' \
    "bounce@example.org is suppressed: 550 5.1.1"
out=$(drive "$U" login root 'root pw 1' get /suppress \
    type suppress-search bounce@example.org enter suppress-search \
    count suppress-remove shot suppress click suppress-remove confirm-text \
    text flash count suppress-remove 2>&1)
is "$out" "1
Remove this suppression?
bounce@example.org no longer suppressed globally
0" "browser: the entry found, removed after confirm() (from /static/outpost.js), gone"
like "$(submit bob@example.com b2 --to bounce@example.org)" \
    '^250 2\.0\.0 Ok: queued as' "the next message to it is accepted"
like "$(grep 'change: admin=root suppress del bounce@example.org' "$T/web.log")" \
    'done$' "the change is logged with the admin's name"

# 5. A wrong password.
out=$(drive "$U" login root 'wrong' title text flash count logout 2>&1)
is "$out" "Log in
Wrong name or password.
0" "browser: a wrong password is refused"
is "$(curl -s -o /dev/null -w '%{http_code}' -d 'name=root&password=nope' "$U/login")" \
    401 "curl: a wrong password: 401, no session"
is "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$U/login")" 501 \
    "a method other than GET, HEAD, POST: 501 from evhttp itself"

# 5b. A name with a newline cannot forge a line of the log.
curl -s -o /dev/null --data-urlencode $'name=x\nchange: admin=forged' \
    -d 'password=nope' "$U/login"
like "$(cat "$T/web.log")" 'name=x\?change: admin=forged' \
    "the failed login is logged with the newline as '?'"
is "$(grep -c '^change: admin=forged' "$T/web.log")" 0 \
    "... and no line of its own starts with the forged text"

# 6. CSRF: a change without the form's token is refused.
curl -s -c "$T/cj" -o /dev/null -d 'name=root&password=root+pw+1' "$U/login"
tok=$(curl -s -b "$T/cj" "$U/suppress" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
like "$tok" '^[0-9a-f]{64}$' "the session's CSRF token is on the forms"
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' \
    -d 'address=csrf@example.org' "$U/suppress/add")" 403 \
    "POST without the CSRF token: 403"
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' \
    -d "address=csrf@example.org&csrf=$(printf '%s' "$tok" | tr 0-9a-f 1-9a-f0)" \
    "$U/suppress/add")" 403 \
    "POST with a wrong CSRF token: 403"
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' \
    -d 'address=csrf@example.org' "$U/suppress/add?csrf=$tok")" 403 \
    "POST with the right token in the URL, not the body: 403"
ok "... and nothing was added" sh -c "! '$CTL_BIN' -c '$CONF' suppress check csrf@example.org"
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' \
    -d "address=csrf@example.org&csrf=$tok" "$U/suppress/add")" 200 \
    "the same POST with the token: 200"
ok "... and the entry exists" ctl suppress check csrf@example.org
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' "$U/suppress/export")" 200 \
    "the export answers"
like "$(curl -s -b "$T/cj" "$U/suppress/export")" 'csrf@example\.org,manual,' \
    "the export holds the entry added"
printf 'address,reason,created,expires\nimported@example.org,complaint,,\n' >"$T/imp.csv"
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' -F "csrf=$tok" \
    -F "csv=@$T/imp.csv;type=text/csv" "$U/suppress/import")" 200 \
    "a CSV upload (multipart) with the token: 200"
like "$(ctl suppress check imported@example.org)" 'suppressed globally \(complaint' \
    "... and its line is imported"
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' \
    -F "csv=@$T/imp.csv;type=text/csv" "$U/suppress/import")" 403 \
    "a CSV upload without the token: 403"
is "$(curl -s -o /dev/null -w '%{http_code}' -d "address=x@example.org&csrf=$tok" \
    "$U/suppress/add")" 403 "a POST without the session cookie: 403"

# 6b. The name index: user add / del keep it, migrate fills it, the
#     search says when it is missing and still finds the names.
ctl user add zed@example.com --plan big >/dev/null 2>&1
is "$(te_redis_cli ZSCORE outpost:userix zed@example.com)" 0 "user add: the name is in Puserix"
ctl user del zed@example.com >/dev/null 2>&1
is "$(te_redis_cli ZSCORE outpost:userix zed@example.com)" "" "user del: the name left Puserix"
te_redis_cli DEL outpost:userix >/dev/null
page=$(curl -s -b "$T/cj" "$U/users?q=al")
like "$page" 'data-test="no-index"' "without Puserix the search says so"
is "$(printf '%s' "$page" | grep -o 'data-test="user-link"' | wc -l)" 2 \
    "... and still finds albert and alice"
like "$(ctl migrate 2>&1)" 'the user name index .* was missing 3 names: added' \
    "outpostctl migrate fills Puserix (3 names)"
unlike "$(curl -s -b "$T/cj" "$U/users?q=al")" 'data-test="no-index"' \
    "the search reads the index again"

# 7. The read-only role changes nothing.
curl -s -c "$T/cj2" -o /dev/null -d 'name=viewer&password=viewer+pw' "$U/login"
page=$(curl -s -b "$T/cj2" "$U/user?name=bob@example.com")
like "$page" 'data-test="user-state">active' "read-only: the user's page is shown"
unlike "$page" 'data-test="user-suspend"' "read-only: no suspend button"
rtok=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
is "$(curl -s -b "$T/cj2" -o /dev/null -w '%{http_code}' \
    -d "name=bob@example.com&action=suspend&csrf=$rtok" "$U/user/state")" 403 \
    "read-only: suspend is refused (403)"
is "$(curl -s -b "$T/cj2" -o /dev/null -w '%{http_code}' \
    -d "address=csrf@example.org&csrf=$rtok" "$U/suppress/del")" 403 \
    "read-only: removing a suppression is refused (403)"
is "$(ctl --json user show bob@example.com | "$TE_PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')" \
    active "... bob is still active"
ok "... the suppression is still there" ctl suppress check csrf@example.org
is "$(curl -s -b "$T/cj" -o /dev/null -w '%{http_code}' \
    -d "name=bob@example.com&action=suspend&reason=test&csrf=$tok" "$U/user/state")" 200 \
    "the admin's suspend of bob: 200"
is "$(ctl --json user show bob@example.com | "$TE_PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')" \
    suspended "... bob is suspended"

# 7b. Sessions follow the accounts file: a role made read-only applies at
#     the next request, an account removed is logged out.
printf '%s\n' 'temp pw' | "$WEB" -c "$CONF" --add-admin temp >/dev/null ||
    te_fail "--add-admin temp failed"
curl -s -c "$T/cj3" -o /dev/null -d 'name=temp&password=temp+pw' "$U/login"
ttok=$(curl -s -b "$T/cj3" "$U/suppress" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -1)
like "$ttok" '^[0-9a-f]{64}$' "temp is logged in as admin"
printf '%s\n' 'temp pw' | "$WEB" -c "$CONF" --add-admin temp --read-only >/dev/null ||
    te_fail "--add-admin temp --read-only failed"
is "$(curl -s -b "$T/cj3" -o /dev/null -w '%{http_code}' \
    -d "address=temp@example.org&csrf=$ttok" "$U/suppress/add")" 403 \
    "temp made read-only while logged in: the next change is refused"
sed -i '/^temp:/d' "$T/web-admins"
is "$(curl -s -b "$T/cj3" -o /dev/null -w '%{http_code} %{redirect_url}' "$U/users")" \
    "303 $U/login" "temp removed from the accounts: the next request goes to /login"

# 8. Every page works with JavaScript off.
out=$(drive --nojs "$U" login root 'root pw 1' title count total-sent \
    text total-refused shot overview \
    get /users title count user-search \
    get '/user?name=bob@example.com' title text user-state \
    get '/log?status=refused' title count event \
    get /suppress title count suppress-search \
    get /domains title count domains shot domains 2>&1)
is "$out" "Overview
2
2
Users
1
User bob@example.com
suspended
Delivery log
2
Suppressions
1
Domains
1" "JavaScript off: every page renders with its content (2 refusals, in the fleet figures and the log: alice's limit, bob's suppressed recipient)"

# 8-nojs. Removing a suppression with JavaScript off: no confirm(), the
#     form is sent at once.
ctl suppress add nojs@example.org --reason manual >/dev/null
out=$(drive --nojs "$U" login root 'root pw 1' get /suppress \
    type suppress-search nojs@example.org enter suppress-search \
    count suppress-remove submit suppress-remove text flash \
    count suppress-remove 2>&1)
is "$out" "1
nojs@example.org no longer suppressed globally
0" "JavaScript off: the remove button posts without a confirm()"
ok "... and the entry is gone" sh -c "! '$CTL_BIN' -c '$CONF' suppress check nojs@example.org"

# 8-csp. No inline script or style: the policy says so and the pages
#     load the console's own files, served with their types.
hdr=$(curl -s -D - -o /dev/null -b "$T/cj" "$U/")
like "$hdr" "Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self';" \
    "the CSP allows the console's own script and style only"
unlike "$hdr" 'unsafe-inline' "... and no 'unsafe-inline'"
page=$(curl -s -b "$T/cj" "$U/suppress?address=csrf@example.org")
like "$page" '<script src="/static/outpost\.js\?v=[0-9a-f]{8}" defer></script>' \
    "a page loads /static/outpost.js"
unlike "$page" '<script>|<style|style=|onclick=|onsubmit=' "... and holds no inline script, style or handler"
like "$page" 'data-test="suppress-remove" data-confirm="Remove this suppression\?"' \
    "the remove button carries its question in data-confirm"
hdr=$(curl -s -D - -o "$T/js" "$U/static/outpost.js")
like "$hdr" 'Content-Type: text/javascript' "/static/outpost.js: a JavaScript content type (no login needed)"
like "$hdr" 'Cache-Control: public, max-age=86400' "... cacheable"
like "$(cat "$T/js")" "all\\(document, '\\[data-confirm\\]'\\)" "... the script that finds the data-confirm buttons"
like "$(cat "$T/js")" 'window\.confirm\(' "... and asks confirm()"
like "$(curl -s -D - -o /dev/null "$U/static/outpost.css")" 'Content-Type: text/css' \
    "/static/outpost.css: text/css"

# 8-chart. The charts: every point has its tooltip; with JavaScript, the
#     pointer on the current hour's point shows every series' value there.
page=$(curl -s -b "$T/cj" "$U/")
is "$(printf '%s' "$page" | grep -o '<circle [^>]*><title>[^<]*</title>' | wc -l)" \
    $((6 * 24 + 6 * 30)) "overview: 6 series x (24 + 30) points, each with a <title>"
out=$(drive "$U" login root 'root pw 1' hover chart-point $((6 * 24 - 1)) \
    text chart-readout 2>&1)
hh=${out%%:*}
h=$(( $(date +%s) / 3600 ))
[ $((h % 24)) -eq $((10#${hh:-0})) ] || h=$((h - 1))
v=$(te_redis_cli hmget "outpost:{log}:st:*:$h" sent delivered deferred hard soft block refused complaint | sed 's/^$/0/' | tr '\n' ' ')
read -r s d f hb sb bb rf cp <<<"$v"
is "$out" "$hh:00: sent $s, delivered $d, deferred $f, bounced $((hb + sb + bb)), refused $rf, complaints $cp" \
    "browser: hovering the current hour's point reads out every series ($out)"

# The legend: its first entry (sent, of the 24 hours) hides sent's
# points, a second click shows them again; the others stay.
out=$(drive "$U" login root 'root pw 1' visible chart-point 0 \
    click chart-key visible chart-point 0 visible chart-point 24 \
    click chart-key visible chart-point 0 2>&1)
is "$(printf '%s' "$out" | tr '\n' ' ')" "1 0 1 1" \
    "browser: a click on a legend entry hides its series, another shows it"

# 8-days. The 30 days: the daily hashes, and for a day without one (older
#     than the upgrade) the sum of its hours.
sent30() { grep -o 'data-test="total-sent">[0-9]*<' | sed -n '2s/[^0-9]//gp'; }
td=$(( $(date +%s) / 86400 ))
is "$(te_redis_cli hget "outpost:{log}:st:*:d:$td" refused)" \
    "$(for x in $(seq $((td * 24)) $((td * 24 + 23))); do te_redis_cli hget "outpost:{log}:st:*:$x" refused; done | awk '{s += $1} END {print s}')" \
    "policyd's refusals: today's daily hash = the sum of today's hours"
base=$(curl -s -b "$T/cj" "$U/" | sent30)
d1=$((td - 5)) d2=$((td - 6)) d3=$((td - 7))
for x in 0 5 23; do te_redis_cli hset "outpost:{log}:st:*:$((d1 * 24 + x))" sent $((x + 10)) >/dev/null; done
te_redis_cli hset "outpost:{log}:st:*:d:$d1" sent 58 >/dev/null
te_redis_cli hset "outpost:{log}:st:*:$((d2 * 24 + 1))" sent 7 >/dev/null
te_redis_cli hset "outpost:{log}:st:*:$((d2 * 24 + 2))" sent 8 >/dev/null
te_redis_cli hset "outpost:{log}:st:*:d:$d3" sent 1000 >/dev/null
is "$(curl -s -b "$T/cj" "$U/" | sent30)" $((base + 58 + 15 + 1000)) \
    "30 days: the daily hashes read (1000 of a day without hours), a day without one summed from its hours (15)"
for k in $(te_redis_cli --scan --pattern 'outpost:{log}:st:\*:d:*'); do te_redis_cli del "$k" >/dev/null; done
is "$(te_redis_cli --scan --pattern 'outpost:{log}:st:\*:d:*' | wc -l)" 0 "every daily hash deleted"
is "$(curl -s -b "$T/cj" "$U/" | sent30)" $((base + 58 + 15)) \
    "... the same 30 days from the hours alone (today's figures included)"

# 8a. A query value in a link is URL-encoded ('+' would read as a blank).
ctl user add c+d@example.com --plan big >/dev/null
like "$(curl -s -b "$T/cj" "$U/users?q=c")" 'href="/user\?name=c%2Bd%40example\.com"' \
    "the user's link carries its name URL-encoded"

# 8c. The users page reads its users in one batch (ctl_users_read: a few
#     pipelined round trips for the page, not a few per user): each row
#     shows what outpostctl user show --json shows for that user (state,
#     plan, each limit's use, the rates), for users on different plans,
#     with overrides, on the default plan, with counters holding the
#     scripts' "n" and "lo" fields; a name in the index without an
#     account hash has no row.  After SCRIPT FLUSH (EVALSHA answers
#     NOSCRIPT) the page is the same.
ctl plan set pa messages=40/1h recipients=400/1d >/dev/null
ctl plan set pb messages=9/10m bytes=10M/month >/dev/null
ctl user add cmp1@example.com --plan pa >/dev/null
ctl user add cmp2@example.com --plan pb >/dev/null
ctl user add cmp3@example.com >/dev/null 2>&1
ctl user set cmp3@example.com messages=20/1h >/dev/null
ctl user add cmp4@example.com --plan pa >/dev/null
ctl user set cmp4@example.com messages=5/1h >/dev/null
ctl user suspend cmp4@example.com --reason test >/dev/null
te_redis_cli ZADD outpost:userix 0 cmp0ghost@example.com >/dev/null
now=$(te_redis_cli TIME | head -1)
m=$((now / 60)) h=$((now / 3600))
te_redis_cli HSET 'outpost:{u:cmp1@example.com}:c:messages/3600' $m 7 \
    $((m - 1)) 4 $((m - 200)) 100 n 99 lo $((m - 1)) >/dev/null
te_redis_cli HSET 'outpost:{u:cmp1@example.com}:c:recipients/86400' \
    $((now / 1440)) 30 >/dev/null
te_redis_cli HSET 'outpost:{u:cmp2@example.com}:c:messages/600' \
    $((now / 10)) 2 n 5 >/dev/null
te_redis_cli HSET 'outpost:{u:cmp2@example.com}:c:bytes/month' \
    "$(date -u -d "@$now" +%Y%m)" 12345 190001 777 >/dev/null
te_redis_cli HSET 'outpost:{u:cmp3@example.com}:c:messages/3600' $m 6 >/dev/null
te_redis_cli HSET 'outpost:{u:cmp4@example.com}:c:messages/3600' $m 3 >/dev/null
te_redis_cli HSET 'outpost:{log}:rt:cmp1@example.com' attempts:$h 200 \
    hard:$h 3 delivered:$h 160 complaint:$h 1 attempts:$((h - 1000)) 9 >/dev/null
te_redis_cli HSET 'outpost:{log}:rt:cmp2@example.com' attempts:$h 10 \
    hard:$h 5 >/dev/null
for n in cmp1 cmp2 cmp3 cmp4; do
	ctl --json user show $n@example.com >"$T/show-$n.json"
done
users_vs_show() {
	curl -s -b "$T/cj" "$U/users?q=cmp" >"$T/users-cmp.html"
	"$TE_PY" - "$T" <<'PY'
import json, re, sys
t = sys.argv[1]
page = open(t + "/users-cmp.html").read()
rows = {}
for m in re.finditer(r'<tr><td><a data-test="user-link" href="[^"]*">'
                     r'([^<]*)</a></td><td class="[^"]*">([^<]*)</td>'
                     r'<td>([^<]*)</td><td>(.*?)</td><td>([^<]*)</td>'
                     r'<td>([^<]*)</td></tr>', page):
    rows[m.group(1)] = m.groups()[1:]
def rate(a, b):
    return "-" if b == 0 else "%.3f%%" % (100.0 * a / b)
out = ["rows %d" % len(rows)]
for n in ["cmp1", "cmp2", "cmp3", "cmp4"]:
    s = json.load(open("%s/show-%s.json" % (t, n)))
    f = s["feedback"]
    want = (s["state"], s["plan"], [str(l["used"]) for l in s["limits"]],
            rate(f["hard"], f["attempts"]), rate(f["complaint"], f["delivered"]))
    r = rows.get(n + "@example.com")
    got = None if r is None else (r[0], r[1],
            re.findall(r'(?:^|<br>)(\d+) of ', r[2]), r[3], r[4])
    out.append("%s %s %s %s %s %s %s" % ((n, "same" if got == want else
               "differs (page %r)" % (got,)) + want[:2] +
               (",".join(want[2]),) + want[3:]))
print("\n".join(out))
PY
}
want="rows 4
cmp1 same active pa 11,30 1.500% 0.625%
cmp2 same active pb 2,12345 50.000% -
cmp3 same active default 6 - -
cmp4 same suspended pa 3,0 - -"
is "$(users_vs_show)" "$want" \
    "users page = user show --json for each user (state, plan, used, rates); no row for a name without an account"
like "$(ctl user show cmp0ghost@example.com 2>&1)" 'user cmp0ghost@example.com does not exist' \
    "user show of the name without an account: it does not exist"
te_redis_cli SCRIPT FLUSH >/dev/null
is "$(users_vs_show)" "$want" "... the same after SCRIPT FLUSH (EVALSHA: NOSCRIPT)"
te_redis_cli ZREM outpost:userix cmp0ghost@example.com >/dev/null

# 8b. Fleet figures as Redis may hold them: a negative counter is 0, sums
#     past the type saturate, and the chart's scale of a huge value ends
#     (no hang of the server).
sent_of() { sed -n 's/.*data-test="total-sent">\([0-9]*\)<.*/\1/p' | head -1; }
sent=$(curl -s -m 30 -b "$T/cj" "$U/" | sent_of)
h=$(( $(date +%s) / 3600 ))
for i in 1 2 3; do
	te_redis_cli hset "outpost:{log}:st:*:$((h - i))" sent -1 \
	    delivered 9223372036854775807 >/dev/null
done
page=$(curl -s -m 30 -b "$T/cj" "$U/")
like "$page" 'data-test="total-delivered">18446744073709551615<' \
    "overview: three hours of LLONG_MAX delivered saturate at ULLONG_MAX"
is "$(printf '%s' "$page" | sent_of)" "$sent" \
    "overview: a counter of -1 counts as 0 (the total sent is unchanged)"
is "$(curl -s -m 30 -b "$T/cj" -o /dev/null -w '%{http_code}' "$U/users")" 200 \
    "... and the server still answers"

# 9. The trusted header: a second console, no password.
sed "s/^web_listen = .*/web_listen = inet:127.0.0.1:$TE_PORT_WEB2/" "$CONF" >"$T/web2.conf"
echo "web_trusted_header = X-Remote-User" >>"$T/web2.conf"
out=$("$WEB" -n -c "$T/web2.conf" 2>&1)
like "$out" 'web_trusted_header is set: web_trusted_secret must be set' \
    "trusted header without web_trusted_secret: refused at start"
SECRET=proxy-secret-0123456789
echo "web_trusted_secret = $SECRET" >>"$T/web2.conf"
sed "s/^web_listen = .*/web_listen = inet:0.0.0.0:$TE_PORT_WEB2/" "$T/web2.conf" >"$T/web3.conf"
out=$("$WEB" -n -c "$T/web3.conf" 2>&1)
like "$out" 'web_trusted_header is set: web_listen must be a loopback address' \
    "trusted header with web_listen on 0.0.0.0: refused at start"
te_bg web2 "$WEB" -f -c "$T/web2.conf"
te_wait te_listening "$TE_PORT_WEB2" "$(cat "$T/web2.pid")" ||
    te_fail "the second outpost-web did not listen: $(tail -20 "$T/web2.log")"
U2="http://127.0.0.1:$TE_PORT_WEB2"
PS="X-Outpost-Proxy-Secret: $SECRET"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "$PS" -H 'X-Remote-User: viewer' "$U2/users")" 200 \
    "trusted header: an account named by the header gets the page"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "$PS" -H 'X-Remote-User: mallory' "$U2/users")" 403 \
    "trusted header: a name without an account is refused"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "$PS" "$U2/users")" 403 \
    "trusted header: no header, no page"
is "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Remote-User: root' "$U2/users")" 403 \
    "trusted header: the name without the proxy's secret is refused"
is "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Outpost-Proxy-Secret: ${SECRET}x" \
    -H 'X-Remote-User: root' "$U2/users")" 403 \
    "trusted header: ... and with a wrong secret"

# 10. Failed logins are limited per name and client address: after five
#     in a minute, the sixth try (a right password too) waits a minute
#     from the fifth.  Another name from the same address (all clients of
#     a proxy share one) is not locked out.  An account of its own, so
#     that no failure of the tests above counts.
printf '%s\n' 'lim pw' | "$WEB" -c "$CONF" --add-admin lim >/dev/null ||
    te_fail "--add-admin lim failed"
for i in 1 2 3 4; do
	is "$(curl -s -o /dev/null -w '%{http_code}' -d "name=lim&password=bad$i" "$U/login")" \
	    401 "wrong password $i of lim: 401"
done
curl -s -o /dev/null -d "name=lim&password=bad5" "$U/login"
hdr=$(curl -s -D - -o /dev/null -d 'name=lim&password=lim+pw' "$U/login")
like "$hdr" '^HTTP/1.1 429' "the sixth login attempt, with the right password: 429"
like "$hdr" 'Retry-After: [1-6]?[0-9]' "... with Retry-After"
is "$(curl -s -o /dev/null -w '%{http_code}' -d 'name=viewer&password=viewer+pw' "$U/login")" \
    303 "lim's failures do not lock out viewer at the same address"
done_testing
