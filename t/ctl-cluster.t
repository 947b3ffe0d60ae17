#!/bin/bash
# ctl-cluster.t -- outpostctl's verbs on a real Redis Cluster (3 masters,
# a replica each): every script it runs names keys of one slot (a
# cross-slot script would fail with CROSSSLOT), and what spans users or
# slots (plan set copying into users of every master, user list, plan
# show counting the users of a plan, suppress export, suppress migrate of
# a global entry whose folded form lives in another slot, user del) gives
# the same results as on one Redis.  The users and the global entries are
# checked to lie on all three masters, so that a command reading one node
# only would miss some.
. "$(dirname "$0")/lib/testenv.sh"
CTL="$TE_ROOT/ctl/outpostctl"
[ -x "$CTL" ] || skip_all "outpostctl not built"
te_cluster_start
P0=${TE_CLUSTER_PORTS[0]}

cat >"$T/outpost.conf" <<CONF
redis_address = $TE_CLUSTER
redis_timeout = 5s
default_plan = basic
CONF
ctl() { "$CTL" -c "$T/outpost.conf" "$@" 2>>"$T/ctl.err"; }
slot() { te_cluster_cli "$P0" cluster keyslot "$1"; }
# home KEY: the port of the master holding KEY (the only one answering 1
# to EXISTS without redirection; a replica redirects too)
home() {
	local p
	for p in "${TE_CLUSTER_PORTS[@]}"; do
		[ "$(te_cluster_cli "$p" role | head -1)" = master ] &&
		    [ "$(te_cluster_cli "$p" exists "$1")" = 1 ] && echo "$p"
	done
}
# fnv ADDRESS: its global suppression bucket (lib/schema.h, 4096)
fnv() {
	python3 -c 'import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 4096)' "$1"
}
# rc VERB...: run, print the exit status only
rc() { ctl "$@" >/dev/null; echo $?; }

is "$(rc init)" 0 "init on a cluster"
is "$(rc plan set basic messages=5/1h)" 0 "plan set basic"
is "$(rc plan set pro messages=100/1h recipients=500/1d)" 0 "plan set pro"
users="bob alice@example.com carol dave.x erin"
for u in $users; do
	is "$(rc user add "$u" --domain example.com)" 0 "user add $u"
done
# The users are spread over more than one slot owner: the copies below
# cross masters.
ok_rc 0 "the users live in different slots" test "$(for u in $users; do
	slot "{u:$u}"; done | sort -u | wc -l)" -gt 1
is "$(rc user set carol --plan pro)" 0 "user set --plan"
is "$(rc plan set basic messages=7/1h)" 0 "plan set rewrites every copy"
for u in bob alice@example.com dave.x erin; do
	like "$(ctl user show "$u")" "messages=7/1h" "user show $u: the new limit"
	is "$(redis-cli -c -p "$P0" HGET "outpost:{u:$u}:plim" messages/3600)" \
	    7 "  and $u's plim copy says 7"
done
like "$(ctl user show carol)" "messages=100/1h" "carol keeps pro"
is "$(for u in $users; do home "outpost:{u:$u}:acct"; done | sort -u | wc -l)" 3 \
    "the users' accounts lie on all three masters"
is "$(ctl user list | awk '{ print $1, $2 }')" "alice@example.com basic
bob basic
carol pro
dave.x basic
erin basic" "user list: every user of every master, with its plan"
like "$(ctl plan show basic)" "plan basic.*, 4 users" \
    "plan show basic counts its 4 users over the three masters"
like "$(ctl plan show pro)" "plan pro.*, 1 user" "plan show pro: 1 user"

# Suppressions: global (4096 buckets over every master) and per user.
for a in one@dest.org two@dest.org three@dest.net; do
	is "$(rc suppress add "$a")" 0 "suppress add $a (global)"
done
is "$(rc suppress add x@dest.org --user bob)" 0 "suppress add --user"
is "$(rc suppress check two@dest.org)" 0 "suppress check global"
is "$(rc suppress check x@dest.org --user bob)" 0 "suppress check --user"
printf 'address,reason,created,expires\ny@dest.org,manual,,\nz@dest.org,complaint,,\n' \
    >"$T/imp.csv"
is "$(rc suppress import "$T/imp.csv" --user erin)" 0 "suppress import --user"
is "$(rc suppress check z@dest.org --user erin)" 0 "  an imported entry"
is "$(for a in one@dest.org two@dest.org three@dest.net; do
	home "outpost:sup:$(fnv "$a")"; done | sort -u | wc -l)" 3 \
    "the three global entries' buckets lie on all three masters"
is "$(ctl suppress export | grep "@dest" | cut -d, -f1,2 | sort)" "one@dest.org,manual
three@dest.net,manual
two@dest.org,manual" "suppress export: the global entries of every master"
is "$(ctl suppress export --user erin | grep "@dest" | cut -d, -f1,2 | sort)" \
    "y@dest.org,manual
z@dest.org,complaint" "suppress export --user: that user's entries only"

# A global entry stored before folding, in the bucket of its unfolded
# form: migrate moves it to the folded form's bucket (another slot).
field=Mixed@dest.org
bk=$(python3 -c 'import sys
h = 2166136261
for b in sys.argv[1].encode():
    h = ((h ^ b) * 16777619) & 0xffffffff
print(h % 4096)' "$field")
redis-cli -c -p "$P0" HSET "outpost:sup:$bk" "$field" 12 >/dev/null
is "$(rc suppress check mixed@dest.org)" 1 "the folded form is not there yet"
is "$(rc suppress migrate)" 0 "suppress migrate across slots"
is "$(redis-cli -c -p "$P0" HEXISTS "outpost:sup:$bk" "$field")" 0 \
    "  the old field is gone"
is "$(rc suppress check mixed@dest.org)" 0 "  the folded form is found"
like "$(ctl suppress export)" "mixed@dest.org" "  and exported folded"

is "$(rc user del dave.x)" 0 "user del"
is "$(rc user show dave.x)" 1 "  gone"
is "$(ctl user list | awk '{ printf "%s ", $1 }')" "alice@example.com bob carol erin " \
    "  and out of user list"
like "$(ctl plan show basic)" "plan basic.*, 3 users" "  and no longer counted by plan show"
is "$(rc plan del basic)" 1 "plan del refused while used"
unlike "$(cat "$T/ctl.err")" "CROSSSLOT" "no CROSSSLOT error anywhere"
done_testing
