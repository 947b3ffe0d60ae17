#!/bin/bash
# redis-cluster.t -- the synchronous client (lib/redis.c on
# lib/redis_cluster.c) against a real Redis Cluster of 3 masters with a
# replica each, through t/tools/rcl holding one client: keys of every
# master written and read (single commands, pipelines across nodes, a
# MULTI/EXEC of one slot, scripts), SCAN over every master, MOVED followed
# after redis-cli --cluster reshard moved a key's slot away under a
# client whose map was loaded before, ASK followed during a migration set
# up by hand, redis_db != 0 refused.
. "$(dirname "$0")/lib/testenv.sh"
RCL="$TE_ROOT/t/tools/rcl"
[ -x "$RCL" ] || skip_all "t/tools/rcl not built"
te_cluster_start
P0=${TE_CLUSTER_PORTS[0]}

cat >"$T/outpost.conf" <<CONF
redis_address = $TE_CLUSTER
redis_timeout = 5s
CONF

# One client for the whole script: rq LINE sends a request, prints the
# answer line.
mkfifo "$T/rcl.in" "$T/rcl.out"
"$RCL" "$T/outpost.conf" <"$T/rcl.in" >"$T/rcl.out" 2>"$T/rcl.err" &
RCL_PID=$!
exec 3>"$T/rcl.in" 4<"$T/rcl.out"
rq() { echo "$*" >&3; IFS= read -r -t 60 line <&4; printf '%s\n' "$line"; }

masters() {	# "PORT ID" of each master
	te_cluster_cli "$P0" cluster nodes |
	    awk '$3 ~ /master/ { split($2, a, "[:@]"); print a[2], $1 }'
}
in_range() {	# does master $1 own slot $2?
	te_cluster_cli "$1" cluster nodes | grep myself | tr ' ' '\n' |
	    awk -F- -v s="$2" 'NR > 8 && $1 ~ /^[0-9]+$/ {
		hi = $2 == "" ? $1 : $2; if (s >= $1 && s <= hi) f = 1 }
		END { exit !f }'
}

is "$(rq nnodes)" 3 "three masters in the map"
is "$(masters | wc -l)" 3 "the cluster has three masters"

# Keys on every master, written and read back through the client.
for i in $(seq 0 29); do
	r=$(rq SET "k$i" "v$i")
	[ "$r" = OK ] || break
done
is "$r" OK "30 keys written"
n=0
for m in $(masters | cut -d' ' -f1); do
	c=$(te_cluster_cli "$m" dbsize)
	[ "$c" -gt 0 ] && n=$((n + 1))
	total=$((${total:-0} + c))
done
is "$n" 3 "every master holds some of the keys"
is "$total" 30 "30 keys in all"
bad=0
for i in $(seq 0 29); do
	[ "$(rq GET "k$i")" = "v$i" ] || bad=$((bad + 1))
	[ "$(redis-cli -c -p "$P0" get "k$i")" = "v$i" ] || bad=$((bad + 1))
done
is "$bad" 0 "each key reads back, through the client and redis-cli -c"

# A pipeline across nodes: replies in the order of the commands.
for i in 3 17 5 29 0; do echo "| GET k$i"; done >&3
echo "| INCR counter" >&3
got=$(rq = ; for i in 1 2 3 4 5; do IFS= read -r -t 60 l <&4; echo "$l"; done)
is "$(echo $got)" "v3 v17 v5 v29 v0 :1" "pipeline across masters, in order"

# MULTI/EXEC of one slot in a pipeline (MULTI follows its first key).
for c in "MULTI" "SET {acct}a 1" "INCRBY {acct}b 5" "EXEC"; do
	echo "| $c"
done >&3
got=$(rq = ; for i in 1 2 3; do IFS= read -r -t 60 l <&4; echo "$l"; done)
is "$(echo $got)" "OK QUEUED QUEUED [OK :5]" "MULTI/EXEC of one slot"

# Scripts on keys of every master (EVALSHA, SCRIPT LOAD on NOSCRIPT).
bad=0
for i in $(seq 0 29); do
	[ "$(rq eval "c$i" 7)" = ":7" ] || bad=$((bad + 1))
done
is "$bad" 0 "a script on 30 keys, every master"
is "$(rq eval c4 3)" ":10" "the script again (cached SHA)"

# SCAN over every master.
echo "scan k*" >&3
keys=""
while IFS= read -r -t 60 l <&4 && [ "$l" != . ]; do
	keys="$keys $l"
done
is "$(echo $keys | tr ' ' '\n' | sort -u | wc -l)" 30 "SCAN finds the 30 keys"
want=$(for i in $(seq 0 29); do echo "k$i"; done | sort | tr '\n' ' ')
is "$(echo $keys | tr ' ' '\n' | sort | tr '\n' ' ')" "$want" \
    "SCAN finds each key once"

# MOVED: reshard every slot of k7's master to another master; the client
# still holds the old map.
from=$(for m in $(masters | cut -d' ' -f1); do
	in_range "$m" "$(te_cluster_cli "$P0" cluster keyslot k7)" && echo "$m"
done)
from_id=$(masters | awk -v p="$from" '$1 == p { print $2 }')
to_id=$(masters | awk -v p="$from" '$1 != p { print $2; exit }')
ok_rc 0 "k7 lives on a master ($from)" test -n "$from" -a -n "$to_id"
redis-cli --cluster reshard "127.0.0.1:$P0" --cluster-from "$from_id" \
    --cluster-to "$to_id" --cluster-slots 16384 --cluster-yes \
    >"$T/reshard.log" 2>&1
ok_rc 0 "redis-cli --cluster reshard" test $? -eq 0
te_cluster_wait_ok
# (Redis 7 may then turn the emptied master into a replica of the node
# that took its slots, which gives it every key of that node again: its
# slots are what must be gone, not its keys.)
is "$(te_cluster_cli "$from" cluster nodes | awk '/myself/ { print NF }')" 8 \
    "the old master serves no slot"
like "$(te_cluster_cli "$from" get k7 2>&1)" "MOVED" \
    "the old master answers MOVED for k7"
is "$(rq GET k7)" v7 "the client follows MOVED to k7's new master"
is "$(rq SET k7 seven)" OK "and writes there"
is "$(redis-cli -c -p "$P0" get k7)" seven "the write is on the new master"
bad=0
for i in $(seq 0 29); do
	[ "$i" = 7 ] && continue
	[ "$(rq GET "k$i")" = "v$i" ] || bad=$((bad + 1))
done
is "$bad" 0 "every other key still reads after the reshard"
is "$(rq nnodes)" 2 "the map now has two masters with slots"

# ASK: a slot MIGRATING from its master to another, key not on the source
# yet: the source answers ASK, the client sends ASKING + the command to
# the target.
key=askme
slot=$(te_cluster_cli "$P0" cluster keyslot $key)
src=$(for m in $(masters | cut -d' ' -f1); do
	in_range "$m" "$slot" && echo "$m"; done)
src_id=$(masters | awk -v p="$src" '$1 == p { print $2 }')
dst=$(masters | awk -v p="$src" -v f="$from" '$1 != p { print $1; exit }')
dst_id=$(masters | awk -v p="$dst" '$1 == p { print $2 }')
is "$(te_cluster_cli "$dst" cluster setslot "$slot" importing "$src_id")" OK \
    "target IMPORTING slot $slot"
is "$(te_cluster_cli "$src" cluster setslot "$slot" migrating "$dst_id")" OK \
    "source MIGRATING slot $slot"
like "$(te_cluster_cli "$src" set $key 1 2>&1)" "ASK $slot" \
    "the source answers ASK"
is "$(rq SET $key asked)" OK "the client follows ASK for a write"
is "$(te_cluster_cli "$dst" cluster countkeysinslot "$slot")" 1 \
    "the key was written on the target"
is "$(te_cluster_cli "$src" cluster countkeysinslot "$slot")" 0 \
    "and not on the source"
is "$(rq GET $key)" asked "the client follows ASK for a read"
for p in "$src" "$dst"; do
	te_cluster_cli "$p" cluster setslot "$slot" node "$dst_id" >/dev/null
done
is "$(rq GET $key)" asked "after the migration: MOVED, then the value"

# Cross-slot commands are Redis's error, returned as such.
like "$(rq MGET k1 k2)" "^ERR CROSSSLOT" "cross-slot command: CROSSSLOT"

exec 3>&- 4<&-
wait "$RCL_PID"
ok_rc 0 "the client exits cleanly" test $? -eq 0

# redis_db must be 0 on a cluster.
printf 'redis_address = %s\nredis_db = 2\n' "$TE_CLUSTER" >"$T/db2.conf"
out=$(echo GET k1 | "$RCL" "$T/db2.conf" 2>&1)
like "$out" "only database 0" "redis_db = 2 refused with a clear error"

done_testing
