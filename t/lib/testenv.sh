# testenv.sh -- the integration test bed, sourced by the t/*.t scripts (bash).
#
# Owns: one directory $T (mktemp -d, removed by an EXIT trap unless
# TEST_KEEP=1; TE_FIXED_DIR=DIR uses DIR instead and never removes it), and
# every server started through it, all on loopback with ports picked free at
# run time.  Sourcing it defines functions only; nothing starts until called.
#
# TAP:       t/lib/tap.sh (sourced here): plan, skip_all, ok, ok_rc, is,
#            like, unlike, diag, skip, bail_out, done_testing
# Setup:     te_need_root | te_tmpdir | te_free_port VAR | te_wait CMD... |
#            te_bg NAME CMD... | te_bg_stop NAME | te_fail MSG
# Redis:     te_redis_start [REDIS-SERVER ARGS...] | te_redis_stop |
#            te_redis_cli ARGS...
# Cluster:   te_cluster_start (3 masters + 1 replica each; sets
#            TE_CLUSTER_PORTS, TE_CLUSTER = "cluster:127.0.0.1:P,...") |
#            te_cluster_cli PORT ARGS... | te_cluster_wait_ok
# Sentinel:  te_sentinel_start [NAME] | te_sentinel_cli I ARGS... |
#            te_sentinel_master | te_sentinel_wait_master PORT
#            (a master, a replica, three redis-sentinel on 127.0.0.1;
#            sets TE_SENT_MASTER, TE_SENT_REPLICA, TE_SENT_PORTS (3),
#            TE_SENT_NAME, TE_SENTINEL = the redis_address; with
#            TE_SENT_PASS set the sentinels require that password)
# Sink:      te_sink_start | te_sink_wait N | te_sink_file TOKEN |
#            te_sink_message DUMP OUT      (dump -> plain CRLF message)
# Postfix:   te_postfix_start [MAIN.CF LINE...] | te_postfix_stop |
#            te_postfix_log | te_sasl_user NAME@DOMAIN PW | te_wait_sent QID
# Clients:   te_swaks ARGS... | te_send PORT FILE TOKEN [SWAKS ARGS...] |
#            te_submit FILE TOKEN USER PW | te_data_reply TRANSCRIPT |
#            te_queue_id REPLY | te_wire IN OUT
# Keys/DKIM: te_keygen KEYSDIR DOMAIN SEL rsa|ed25519 | te_dns_from_keys
#            KEYSDIR > DNSFILE | te_verify_dkimpy FILE DNSFILE |
#            te_verify_maildkim FILE DNSFILE
# DNS:       te_zone DIR ZONE <RECORDS | te_nsd_start DIR | te_nsd_stop |
#            te_dns_blackhole VAR   (nsd serving every DIR/*.zone plus
#            empty com, net, org, uk; sets TE_DNS_PORT and TE_DNS, the
#            "127.0.0.1@PORT" dns_nameserver value.  Use example.com/
#            .net/.org names: libunbound answers .test itself)
# Stand-in:  te_opendkim_start KEYSDIR   (OpenDKIM signing every domain of
#            KEYSDIR with its active selectors; sets TE_MILTER)
# outpost:   t/lib/outpostenv.sh (it sources this file) starts outpost's
#            own daemons on this bed: conf, outpostctl set-up, policyd,
#            milter, Postfix with the shipped main.cf.policyd
#
# Variables set: T, TE_ROOT (the repo), TE_PORT_SMTP (plain port, "external"
# mail from 127.0.0.2), TE_PORT_SUBMIT (SASL, daemon name ORIGINATING),
# TE_PORT_SINK; all ports are also written to $T/ports.  The caller sets
# TE_MILTER (Postfix syntax, e.g. unix:$T/milter.sock) before
# te_postfix_start.  TE_TIMEOUT (seconds, default 120) bounds every wait.

TE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TE_TIMEOUT=${TE_TIMEOUT:-120}
TE_PY=/usr/bin/python3
T=${T:-}
TE_MILTER=${TE_MILTER:-}
TE_PORTS_TAKEN=""
TE_CLEANUPS=""

# ---------------------------------------------------------------- TAP

. "$TE_ROOT/t/lib/tap.sh"

# A setup step that must not fail: report and stop the script.
te_fail() {
	echo "# FATAL: $*" >&2
	bail_out "$*"
}

# ---------------------------------------------------------------- setup

te_need_root() {
	[ "$(id -u)" = 0 ] ||
	    skip_all "needs root: the private Postfix instance runs as root"
}

te_tmpdir() {
	[ -n "$T" ] && return 0
	if [ -n "${TE_FIXED_DIR:-}" ]; then
		mkdir -p "$TE_FIXED_DIR" || te_fail "cannot create $TE_FIXED_DIR"
		T=$(cd "$TE_FIXED_DIR" && pwd)
	else
		T=$(mktemp -d "${TMPDIR:-/tmp}/outpost-t.XXXXXX") ||
		    te_fail "mktemp failed"
	fi
	chmod 755 "$T"	# postfix and outpost daemons must traverse it
	: >"$T/ports"
	trap te_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# te_on_exit CMD -- run CMD at cleanup (last registered runs first).
te_on_exit() { TE_CLEANUPS="$1;$TE_CLEANUPS"; }

# te_keep_running -- leave every server up at exit (the demo).
te_keep_running() { TE_CLEANUPS=""; }

te_cleanup() {
	local rc=$? c
	local IFS=';'
	for c in $TE_CLEANUPS; do
		[ -n "$c" ] && eval "$c" >/dev/null 2>&1
	done
	unset IFS
	TE_CLEANUPS=""
	if [ -n "${TE_FIXED_DIR:-}" ]; then
		:
	elif [ "${TEST_KEEP:-0}" = 1 ]; then
		echo "# TEST_KEEP=1: test directory kept in $T" >&2
	else
		rm -rf "$T"
	fi
	exit $rc
}

# te_free_port VAR -- a TCP port below the ephemeral range that nothing
# listens on, different from every port this run took before.
te_free_port() {
	local p i
	for ((i = 0; i < 500; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
		case " $TE_PORTS_TAKEN " in *" $p "*) continue ;; esac
		if [ -z "$(ss -Htan "sport = :$p" 2>/dev/null)" ]; then
			TE_PORTS_TAKEN="$TE_PORTS_TAKEN $p"
			printf -v "$1" %s "$p"
			echo "$1=$p" >>"$T/ports"
			return 0
		fi
	done
	te_fail "no free TCP port found"
}

# te_wait CMD... -- poll CMD until it succeeds, at most TE_TIMEOUT seconds.
te_wait() {
	local end=$((SECONDS + TE_TIMEOUT))
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
	return 0
}

# te_listening PORT [PID] -- something (process PID) listens on PORT.
te_listening() {
	local l
	l=$(ss -Hltnp "sport = :$1" 2>/dev/null)
	[ -n "$l" ] || return 1
	[ -z "${2:-}" ] || printf '%s' "$l" | grep -q "pid=$2,"
}

# te_bg NAME CMD... -- start CMD in the background, output in $T/NAME.log,
# pid in $T/NAME.pid; stopped at cleanup (te_keep_running cancels that).
te_bg() {
	local name=$1 s=""
	shift
	# A fixed directory (the demo) outlives this shell: own session.
	[ -n "${TE_FIXED_DIR:-}" ] && s=setsid
	$s "$@" >"$T/$name.log" 2>&1 &
	echo $! >"$T/$name.pid"
	te_on_exit "te_bg_stop $name"
}

# te_bg_stop NAME -- TERM the process, wait (30 s at most), then KILL.
# TE_BG_STATUS is its exit status when it was our child (137: killed).
te_bg_stop() {
	local f="$T/$1.pid" pid i
	TE_BG_STATUS=""
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	rm -f "$f"
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 300; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	TE_BG_STATUS=$?
	return 0
}

te_bg_alive() { [ -f "$T/$1.pid" ] && kill -0 "$(cat "$T/$1.pid")" 2>/dev/null; }

# ---------------------------------------------------------------- redis

# te_redis_start [ARG...] -- the one way the shell tests start Redis: a
# private redis-server on unix:$T/redis.sock (mode 777, for daemons that
# dropped to another account), no persistence, no TCP; ARGs are added to
# its command line (e.g. --aclfile FILE).  Returns once the server
# answers (with an ACL file, NOAUTH counts as an answer); log in
# $T/redis.log, stopped at cleanup.  Needs no root.
te_redis_start() {
	command -v redis-server >/dev/null ||
	    skip_all "redis-server not installed"
	te_tmpdir
	te_bg redis redis-server --port 0 --unixsocket "$T/redis.sock" \
	    --unixsocketperm 777 --save '' --appendonly no --daemonize no \
	    --dir "$T" "$@"
	te_wait _te_redis_answers ||
	    te_fail "redis-server did not answer: $(tail -5 "$T/redis.log")"
}

_te_redis_answers() {
	local r
	r=$(te_redis_cli ping 2>&1)
	case $r in
	PONG | *NOAUTH* | *NOPERM*) return 0 ;;
	esac
	return 1
}

te_redis_stop() { te_bg_stop redis; }

te_redis_cli() { redis-cli -s "$T/redis.sock" "$@"; }

# ---------------------------------------------------------------- cluster

# te_cluster_start -- a Redis Cluster of six redis-server processes on
# 127.0.0.1 (data and cluster bus ports picked free; an RDB file name of
# each node's own, or a replica's initial sync could load another
# master's data from a shared dump.rdb), joined by
# redis-cli --cluster create with one replica per master; returns when
# every node reports cluster_state:ok.  TE_CLUSTER_PORTS lists the data
# ports, TE_CLUSTER the redis_address of two seeds.  Logs in
# $T/cluster-PORT.log; stopped at cleanup.  Needs no root.
te_cluster_start() {
	local i p addrs="" _te_cp _te_cb
	command -v redis-server >/dev/null ||
	    skip_all "redis-server not installed"
	te_tmpdir
	TE_CLUSTER_PORTS=()
	for ((i = 0; i < 6; i++)); do
		te_free_port _te_cp	# (te_free_port's own local is "p")
		te_free_port _te_cb
		p=$_te_cp
		TE_CLUSTER_PORTS+=("$p")
		te_bg "cluster-$p" redis-server --port "$p" --bind 127.0.0.1 \
		    --cluster-enabled yes --cluster-port "$_te_cb" \
		    --cluster-config-file "$T/cluster-$p.nodes" \
		    --cluster-node-timeout 5000 --save '' --appendonly no \
		    --dbfilename "cluster-$p.rdb" --daemonize no --dir "$T"
		addrs="$addrs 127.0.0.1:$p"
	done
	for p in "${TE_CLUSTER_PORTS[@]}"; do
		te_wait te_cluster_cli "$p" ping ||
		    te_fail "cluster node $p did not answer"
	done
	# shellcheck disable=SC2086
	redis-cli --cluster create $addrs --cluster-replicas 1 \
	    --cluster-yes >"$T/cluster-create.log" 2>&1 ||
	    te_fail "redis-cli --cluster create: $(tail -5 \
	    "$T/cluster-create.log")"
	te_cluster_wait_ok || te_fail "cluster_state never became ok"
	TE_CLUSTER="cluster:127.0.0.1:${TE_CLUSTER_PORTS[0]}"
	TE_CLUSTER="$TE_CLUSTER,127.0.0.1:${TE_CLUSTER_PORTS[1]}"
}

te_cluster_cli() { local p=$1; shift; redis-cli -p "$p" "$@"; }

# te_cluster_wait_ok -- every node says cluster_state:ok.
te_cluster_wait_ok() { te_wait _te_cluster_ok; }

_te_cluster_ok() {
	local p
	for p in "${TE_CLUSTER_PORTS[@]}"; do
		te_cluster_cli "$p" cluster info | grep -q 'cluster_state:ok' ||
		    return 1
		# every node must also know the three replicas as replicas:
		# right after the create some still show them as masters
		[ "$(te_cluster_cli "$p" cluster nodes |
		    awk '$3 ~ /slave/' | wc -l)" = 3 ] || return 1
	done
}

# ---------------------------------------------------------------- sentinel

# te_sentinel_start [NAME] -- a Sentinel group on 127.0.0.1, every port
# picked free at run time: master redis-server (te_bg name sent-master),
# replica (sent-replica), three redis-sentinel (sent-0..2) monitoring NAME
# (default mymaster) with quorum 2, down-after-milliseconds 500 and
# failover-timeout 2000 (a failover takes 1-2 s).  Returns once the
# replica is in sync and every sentinel knows the replica and the two
# other sentinels.  No persistence; each node in its own $T/sent-* dir.
te_sentinel_start() {
	local i sport auth=()
	command -v redis-sentinel >/dev/null ||
	    skip_all "redis-sentinel not installed"
	te_tmpdir
	TE_SENT_NAME=${1:-mymaster}
	te_free_port TE_SENT_MASTER
	te_free_port TE_SENT_REPLICA
	TE_SENT_PORTS=()
	for i in 0 1 2; do	# (te_free_port's own locals are p and i)
		te_free_port sport
		TE_SENT_PORTS+=("$sport")
	done
	mkdir -p "$T/sent-master" "$T/sent-replica"
	te_bg sent-master redis-server --port "$TE_SENT_MASTER" \
	    --bind 127.0.0.1 --save '' --appendonly no --dir "$T/sent-master"
	te_bg sent-replica redis-server --port "$TE_SENT_REPLICA" \
	    --bind 127.0.0.1 --save '' --appendonly no \
	    --dir "$T/sent-replica" --replicaof 127.0.0.1 "$TE_SENT_MASTER"
	[ -n "${TE_SENT_PASS:-}" ] && auth=("requirepass $TE_SENT_PASS" \
	    "sentinel sentinel-pass $TE_SENT_PASS")
	for i in 0 1 2; do
		mkdir -p "$T/sent-$i"
		printf '%s\n' "port ${TE_SENT_PORTS[$i]}" "bind 127.0.0.1" \
		    "dir $T/sent-$i" "${auth[@]}" \
		    "sentinel monitor $TE_SENT_NAME 127.0.0.1 $TE_SENT_MASTER 2" \
		    "sentinel down-after-milliseconds $TE_SENT_NAME 500" \
		    "sentinel failover-timeout $TE_SENT_NAME 2000" \
		    >"$T/sent-$i/sentinel.conf"
		te_bg "sent-$i" redis-sentinel "$T/sent-$i/sentinel.conf"
	done
	TE_SENTINEL="sentinel:127.0.0.1:${TE_SENT_PORTS[0]},127.0.0.1:${TE_SENT_PORTS[1]},127.0.0.1:${TE_SENT_PORTS[2]}/$TE_SENT_NAME"
	te_wait _te_sentinel_ready ||
	    te_fail "sentinel group not ready: $(tail -n 3 "$T"/sent-*.log)"
}

# te_sentinel_cli I ARGS... -- redis-cli to sentinel I (0..2).
te_sentinel_cli() {
	local i=$1
	shift
	redis-cli -p "${TE_SENT_PORTS[$i]}" ${TE_SENT_PASS:+--no-auth-warning -a "$TE_SENT_PASS"} "$@"
}

# te_sentinel_master -- the port every sentinel names as master (fails
# while they disagree).
te_sentinel_master() {
	local i p first=""
	for i in 0 1 2; do
		p=$(te_sentinel_cli "$i" sentinel get-master-addr-by-name \
		    "$TE_SENT_NAME" 2>/dev/null | sed -n 2p)
		[ -n "$p" ] || return 1
		[ -z "$first" ] && first=$p
		[ "$p" = "$first" ] || return 1
	done
	echo "$first"
}

# te_sentinel_wait_master PORT -- until every sentinel names PORT and the
# node there says ROLE master.
te_sentinel_wait_master() { te_wait _te_sentinel_is "$1"; }
_te_sentinel_is() {
	[ "$(te_sentinel_master)" = "$1" ] &&
	    [ "$(redis-cli -p "$1" role 2>/dev/null | head -1)" = master ]
}

_te_sentinel_field() {	# I FIELD: a field of SENTINEL master NAME
	te_sentinel_cli "$1" sentinel master "$TE_SENT_NAME" 2>/dev/null |
	    awk -v f="$2" 'prev == f { print; exit } { prev = $0 }'
}

_te_sentinel_ready() {
	local i
	redis-cli -p "$TE_SENT_REPLICA" info replication 2>/dev/null |
	    grep -q '^master_link_status:up' || return 1
	for i in 0 1 2; do
		[ "$(_te_sentinel_field "$i" num-slaves)" = 1 ] || return 1
		[ "$(_te_sentinel_field "$i" num-other-sentinels)" = 2 ] ||
		    return 1
	done
}

# ---------------------------------------------------------------- sink

# smtp-sink writes one file per transaction into $T/sink (-d; the name is
# the template plus a random hex suffix).  Messages are told apart by a
# token in the envelope recipient (X-Rcpt-Args line of the dump).
te_sink_start() {
	te_tmpdir
	te_free_port TE_PORT_SINK
	mkdir -p "$T/sink"
	chown postfix "$T/sink"
	te_bg sink smtp-sink -u postfix -d "$T/sink/%H%M%S." \
	    "127.0.0.1:$TE_PORT_SINK" 1000
	te_wait te_listening "$TE_PORT_SINK" "$(cat "$T/sink.pid")" ||
	    te_fail "smtp-sink did not listen: $(cat "$T/sink.log")"
}

# te_sink_wait N -- wait until Postfix logged N deliveries to the sink
# (a dump is complete once smtp-sink has answered the final dot).
te_sink_wait() {
	te_wait _te_sent_at_least "$1" && return 0
	echo "# sink: expected $1 deliveries, maillog has $(_te_sent_count)" >&2
	return 1
}
_te_sent_count() { grep -c "relay=127.0.0.1\[127.0.0.1\]:$TE_PORT_SINK.* status=sent" "$T/maillog" 2>/dev/null; }
_te_sent_at_least() { [ "$(_te_sent_count)" -ge "$1" ]; }

# te_sink_file TOKEN -- path of the one dump whose recipient holds TOKEN.
te_sink_file() {
	local f n
	f=$(grep -l -F -e "X-Rcpt-Args: <rcpt-$1@" -r "$T/sink" 2>/dev/null)
	n=$(printf '%s' "$f" | grep -c .)
	[ "$n" = 1 ] || { echo "# sink: $n dumps for token $1" >&2; return 1; }
	echo "$f"
}

# te_sink_message DUMP OUT -- the message as received: smtp-sink's own
# X-* lines and the trailing empty line removed, LF turned back into CRLF.
te_sink_message() {
	"$TE_PY" "$TE_ROOT/t/lib/sinkmsg.py" "$1" "$2"
}

# ---------------------------------------------------------------- postfix

# te_postfix_start [MAIN.CF LINE...] -- a private Postfix in $T/etc with
# its queue in $T/spool, relaying everything to the sink (started here if
# it is not running), TE_MILTER attached to both smtpd services.
te_postfix_start() {
	te_tmpdir
	[ -n "${TE_PORT_SINK:-}" ] || te_sink_start
	te_free_port TE_PORT_SMTP
	te_free_port TE_PORT_SUBMIT
	mkdir -p "$T/etc/sasl" "$T/spool" "$T/data"
	chown postfix "$T/data"
	_te_main_cf "$@" >"$T/etc/main.cf"
	_te_master_cf >"$T/etc/master.cf"
	cat >"$T/etc/sasl/smtpd.conf" <<-SASL
	pwcheck_method: auxprop
	auxprop_plugin: sasldb
	mech_list: PLAIN LOGIN
	sasldb_path: $T/sasldb2
	SASL
	[ -f "$T/sasldb2" ] || te_sasl_user nobody@outpost.test "$RANDOM$RANDOM"
	postfix -c "$T/etc" check >"$T/postfix-start.log" 2>&1
	postfix -c "$T/etc" start >>"$T/postfix-start.log" 2>&1 ||
	    te_fail "postfix start failed: $(cat "$T/postfix-start.log")"
	te_on_exit te_postfix_stop
	# Listening must be our master (a port taken meanwhile by another
	# run would otherwise be talked to).
	te_wait test -s "$T/spool/pid/master.pid" ||
	    te_fail "postfix did not start: $(tail -5 "$T/maillog")"
	local pid
	pid=$(tr -d ' ' <"$T/spool/pid/master.pid")
	te_wait te_listening "$TE_PORT_SUBMIT" "$pid" &&
	    te_wait te_listening "$TE_PORT_SMTP" "$pid" ||
	    te_fail "postfix is not listening: $(tail -5 "$T/maillog")"
}

_te_main_cf() {
	cat <<-CF
	compatibility_level = 3.6
	queue_directory = $T/spool
	data_directory = $T/data
	maillog_file = $T/maillog
	maillog_file_prefixes = $T
	mail_owner = postfix
	setgid_group = postdrop
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	myhostname = mx.outpost.test
	mydomain = outpost.test
	mydestination =
	local_recipient_maps =
	alias_maps =
	alias_database =
	mynetworks = 127.0.0.0/8
	# Tests may present any client address and HELO (swaks --xclient-*).
	smtpd_authorized_xclient_hosts = 127.0.0.0/8
	relayhost = [127.0.0.1]:$TE_PORT_SINK
	smtp_dns_support_level = disabled
	smtpd_milters = $TE_MILTER
	milter_default_action = tempfail
	# Postfix must not add From/Date/Message-ID for loopback clients:
	# the milter is the one to judge a missing From.
	local_header_rewrite_clients =
	# Deliver what was signed: no folding of long lines, no 8bit->QP.
	smtp_line_length_limit = 0
	disable_mime_output_conversion = yes
	smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject
	smtpd_sasl_type = cyrus
	smtpd_sasl_path = smtpd
	smtpd_tls_security_level = none
	smtp_tls_security_level = none
	biff = no
	CF
	local l
	for l in "$@"; do printf '%s\n' "$l"; done
}

_te_master_cf() {
	cat <<-CF
	127.0.0.1:$TE_PORT_SMTP inet n - n - - smtpd
	127.0.0.1:$TE_PORT_SUBMIT inet n - n - - smtpd
	  -o smtpd_sasl_auth_enable=yes
	  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
	  -o milter_macro_daemon_name=ORIGINATING
	pickup unix n - n 60 1 pickup
	cleanup unix n - n - 0 cleanup
	qmgr unix n - n 300 1 qmgr
	rewrite unix - - n - - trivial-rewrite
	bounce unix - - n - 0 bounce
	defer unix - - n - 0 bounce
	trace unix - - n - 0 bounce
	verify unix - - n - 1 verify
	flush unix n - n 1000? 0 flush
	proxymap unix - - n - - proxymap
	smtp unix - - n - - smtp
	relay unix - - n - - smtp
	showq unix n - n - - showq
	error unix - - n - - error
	retry unix - - n - - error
	discard unix - - n - - discard
	anvil unix - - n - 1 anvil
	scache unix - - n - 1 scache
	postlog unix-dgram n - n - 1 postlogd
	CF
}

te_postfix_stop() {
	local pid="" i
	[ -f "$T/etc/main.cf" ] || return 0
	[ -f "$T/spool/pid/master.pid" ] &&
	    pid=$(tr -d ' ' <"$T/spool/pid/master.pid")
	postfix -c "$T/etc" stop >/dev/null 2>&1
	[ -n "$pid" ] || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	return 0
}

te_postfix_log() { echo "$T/maillog"; }

# te_sasl_user NAME@DOMAIN PW -- add (or replace) a user of the sasldb.
te_sasl_user() {
	local name=${1%@*} realm=${1#*@}
	printf '%s' "$2" | saslpasswd2 -p -f "$T/sasldb2" -c -u "$realm" \
	    "$name" || te_fail "saslpasswd2 failed for $1"
	chown root:postfix "$T/sasldb2"
	chmod 640 "$T/sasldb2"
}

# te_wait_sent QID -- wait until the maillog says QID was delivered to the
# sink; fails (printing the log lines of QID) when it was deferred or
# bounced, or the wait ran out.
te_wait_sent() {
	te_wait _te_qid_done "$1"
	grep -q "^.* $1: .* status=sent" "$T/maillog" && return 0
	echo "# queue id $1 not delivered:" >&2
	grep " $1: " "$T/maillog" | sed 's/^/#   /' >&2
	return 1
}
_te_qid_done() { grep -Eq " $1: .* status=(sent|deferred|bounced)" "$T/maillog"; }

# ---------------------------------------------------------------- clients

te_swaks() { swaks --server 127.0.0.1 --timeout 600 --suppress-data "$@" 2>&1; }

# te_wire IN OUT -- the SMTP DATA form of a message file: every line ends
# in CRLF (LF and CRLF input alike; a lone CR stays inside its line), lines
# starting with "." get one more, a missing final newline is added, and
# the terminating "." follows (swaks adds its CRLF).
te_wire() { "$TE_PY" "$TE_ROOT/t/lib/smtpwire.py" "$1" "$2"; }

# te_send PORT FILE TOKEN [SWAKS ARGS...] -- send FILE verbatim to PORT,
# envelope recipient rcpt-TOKEN@example.org; prints the transcript.
te_send() {
	local port=$1 file=$2 token=$3
	shift 3
	mkdir -p "$T/wire"
	te_wire "$file" "$T/wire/$token" || te_fail "cannot read $file"
	te_swaks --port "$port" --from alice@example.com \
	    --to "rcpt-$token@example.org" --no-data-fixup \
	    --data "@$T/wire/$token" "$@"
	rm -f "$T/wire/$token"
}

# te_submit FILE TOKEN USER PW [SWAKS ARGS...] -- te_send to the
# submission port with AUTH PLAIN.
te_submit() {
	local file=$1 token=$2 user=$3 pw=$4
	shift 4
	te_send "$TE_PORT_SUBMIT" "$file" "$token" --auth PLAIN \
	    --auth-user "$user" --auth-password "$pw" "$@"
}

# te_data_reply TRANSCRIPT -- the server's final reply to the message
# data ("250 2.0.0 Ok: queued as X", "550 5.7.1 ..."), or the reply that
# ended the transaction before DATA.
te_data_reply() {
	printf '%s\n' "$1" | awk '
	    /^(<-|<\*\*) +[0-9][0-9][0-9][ -]/ {
		sub(/^(<-|<\*\*) +/, "")
		if (seen354 && !done && $1 != "354") { r = $0; done = 1 }
		if ($1 == "354") seen354 = 1
		if (!seen354 && $1 ~ /^[45]/ && !err) err = $0
	    }
	    END { if (r != "") print r; else print err }'
}

te_queue_id() { printf '%s' "$1" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'; }

# ---------------------------------------------------------------- keys

# te_keygen KEYSDIR DOMAIN SEL rsa|ed25519 -- KEYSDIR/DOMAIN/SEL.key in the
# layout outpostctl writes (PKCS#8 PEM, mode 0600), SEL added to the
# domain's "active" file.  Used until outpostctl domain add exists.
te_keygen() {
	local d="$1/$2" alg
	case $4 in
	rsa) alg="-algorithm RSA -pkeyopt rsa_keygen_bits:2048" ;;
	ed25519) alg="-algorithm ed25519" ;;
	*) te_fail "te_keygen: unknown key type $4" ;;
	esac
	mkdir -p "$d"
	# shellcheck disable=SC2086
	(umask 077 && openssl genpkey $alg -out "$d/$3.key" 2>/dev/null) ||
	    te_fail "openssl genpkey $4 failed"
	grep -qx "$3" "$d/active" 2>/dev/null || echo "$3" >>"$d/active"
}

# te_dns_from_keys KEYSDIR -- "NAME<TAB>TXT" lines (the DKIM key records)
# for every key file under KEYSDIR, computed from the private keys alone.
te_dns_from_keys() {
	local f dom sel p
	for f in "$1"/*/*.key; do
		[ -f "$f" ] || continue
		dom=$(basename "$(dirname "$f")")
		sel=$(basename "$f" .key)
		if [ "$(te_key_type "$f")" = ed25519 ]; then
			p=$(openssl pkey -in "$f" -pubout -outform DER |
			    tail -c 32 | base64 -w0)
			printf '%s._domainkey.%s\tv=DKIM1; k=ed25519; p=%s\n' \
			    "$sel" "$dom" "$p"
		else
			p=$(openssl pkey -in "$f" -pubout -outform DER |
			    base64 -w0)
			printf '%s._domainkey.%s\tv=DKIM1; k=rsa; p=%s\n' \
			    "$sel" "$dom" "$p"
		fi
	done
}

# te_key_type FILE -- "rsa" or "ed25519" (empty when unreadable).
te_key_type() {
	openssl pkey -in "$1" -noout -text 2>/dev/null | awk '
	    /^ED25519 Private-Key/ { print "ed25519"; exit }
	    /^Private-Key: \(/ { print "rsa"; exit }'
}

te_verify_dkimpy() { "$TE_PY" "$TE_ROOT/t/lib/verify-dkimpy.py" "$@"; }
te_verify_maildkim() { perl "$TE_ROOT/t/lib/verify-maildkim.pl" "$@"; }

# ---------------------------------------------------------------- OpenDKIM

# te_opendkim_start KEYSDIR -- OpenDKIM (mode s) on $T/odkim.sock signing
# mail of every domain under KEYSDIR with each of its active RSA selectors
# (OpenDKIM 2.11 signs with one algorithm per instance: ed25519 is skipped),
# for authenticated clients, daemon name ORIGINATING and 127.0.0.1.
# Sets TE_MILTER.  The stand-in that proves the bed, and an anchor for the
# benchmarks.
te_opendkim_start() {
	local k=$1 o="$T/odkim" d dom sel
	te_tmpdir
	mkdir -p "$o"
	: >"$o/keytable"
	: >"$o/signingtable"
	for d in "$k"/*/; do
		dom=$(basename "$d")
		[ -f "$d/active" ] || continue
		while read -r sel; do
			[ -n "$sel" ] || continue
			[ "$(te_key_type "$d$sel.key")" = rsa ] || continue
			echo "$sel._domainkey.$dom $dom:$sel:$d$sel.key" \
			    >>"$o/keytable"
			echo "*@$dom $sel._domainkey.$dom" >>"$o/signingtable"
		done <"$d/active"
	done
	cat >"$o/opendkim.conf" <<-CONF
	Mode			s
	Socket			local:$T/odkim.sock
	UMask			000
	PidFile			$o/opendkim.pid
	Syslog			no
	Background		no
	KeyTable		file:$o/keytable
	SigningTable		refile:$o/signingtable
	MultipleSignatures	yes
	InternalHosts		127.0.0.1
	MTA			ORIGINATING
	Canonicalization	relaxed/relaxed
	RequireSafeKeys		no
	SoftwareHeader		no
	CONF
	te_bg opendkim /usr/sbin/opendkim -f -x "$o/opendkim.conf"
	te_wait test -S "$T/odkim.sock" ||
	    te_fail "opendkim did not start: $(cat "$T/opendkim.log")"
	TE_MILTER="unix:$T/odkim.sock"
}

# ---------------------------------------------------------------- corpus

TE_CORPUS="$TE_ROOT/t/corpus"

# te_corpus EXPECT -- names of the corpus messages with that expectation
# (sign, unsigned, reject, tempfail), from t/corpus/MANIFEST.
te_corpus() { awk -F'\t' -v e="$1" '!/^#/ && $2 == e { print $1 }' "$TE_CORPUS/MANIFEST"; }

# te_fetch QID TOKEN OUT -- wait for QID's delivery, write the message the
# sink got for TOKEN to OUT (plain CRLF message).
te_fetch() {
	local dump
	te_wait_sent "$1" || return 1
	dump=$(te_sink_file "$2") || return 1
	te_sink_message "$dump" "$3"
}

# te_count_sigs FILE -- number of DKIM-Signature header fields in FILE.
te_count_sigs() { awk '/^\r?$/ { exit } tolower($0) ~ /^dkim-signature:/ { n++ } END { print n + 0 }' "$1"; }

te_same_message() { "$TE_PY" "$TE_ROOT/t/lib/samemsg.py" "$1" "$2"; }

# ---------------------------------------------------------------- DNS

# te_zone DIR ZONE -- write DIR/ZONE.zone: $ORIGIN ZONE., TTL 60, an SOA
# and an NS record, then the records read from stdin (zone-file lines,
# names relative to ZONE, "@" for ZONE itself).  A TXT value longer than
# 255 bytes must be split into several quoted strings by the caller.
te_zone() {
	mkdir -p "$1" || te_fail "cannot create $1"
	{
		printf '$ORIGIN %s.\n$TTL 60\n' "$2"
		printf '@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n' "$2" "$2"
		printf '@ IN NS ns.%s.\n' "$2"
		cat
	} >"$1/$2.zone"
}

# te_nsd_start DIR -- a real nsd serving every DIR/*.zone file (zone name
# = file name minus .zone) on 127.0.0.1, UDP and TCP.  Empty zones com,
# net, org and uk are added unless DIR has them, so a name under them
# that no zone holds gets a real NXDOMAIN (a DMARC tree walk above the
# organisational domain); a name under no served zone is REFUSED, which a
# resolver reports as an error.  Sets TE_DNS_PORT (kept when already set,
# so stop + start serves the same port again) and TE_DNS
# ("127.0.0.1@PORT", the dns_nameserver value); stopped at cleanup.
te_nsd_start() {
	local dir=$1 n="$T/nsd" z f
	te_tmpdir
	[ -d "$dir" ] || te_fail "te_nsd_start: no directory $dir"
	[ -n "${TE_DNS_PORT:-}" ] || te_free_port TE_DNS_PORT
	TE_DNS="127.0.0.1@$TE_DNS_PORT"
	rm -rf "$n"
	mkdir -p "$n/zones"
	cp "$dir"/*.zone "$n/zones/" 2>/dev/null
	for z in com net org uk; do
		[ -f "$n/zones/$z.zone" ] || te_zone "$n/zones" "$z" </dev/null
	done
	_te_nsd_conf "$n" >"$n/nsd.conf"
	for f in "$n"/zones/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$z" "$f"
	done >>"$n/nsd.conf"
	nsd-checkconf "$n/nsd.conf" >"$T/nsd.log" 2>&1 ||
	    te_fail "nsd.conf: $(cat "$T/nsd.log")"
	te_bg nsd nsd -d -c "$n/nsd.conf"
	te_wait _te_nsd_up || te_fail "nsd did not answer: $(tail -5 "$T/nsd.log")"
}

_te_nsd_conf() {
	cat <<-CONF
	server:
		ip-address: 127.0.0.1
		port: $TE_DNS_PORT
		do-ip6: no
		server-count: 1
		username: ""
		chroot: ""
		database: ""
		zonesdir: "$1/zones"
		zonelistfile: "$1/zone.list"
		xfrdfile: "$1/xfrd.state"
		xfrdir: "$1"
		pidfile: "$1/nsd.pid"
		logfile: "$1/nsd.log"
		verbosity: 1
	remote-control:
		control-enable: no
	CONF
}

_te_nsd_up() {
	te_listening "$TE_DNS_PORT" &&
	    dig +short +tries=1 +time=1 -p "$TE_DNS_PORT" @127.0.0.1 SOA com. |
	    grep -q .
}

te_nsd_stop() { te_bg_stop nsd; }

# te_dns_blackhole VAR -- a UDP and TCP port on 127.0.0.1 that accepts
# queries and never answers (a DNS server that hangs); its number in VAR.
# Stopped at cleanup.
te_dns_blackhole() {
	local _te_bh
	te_tmpdir
	te_free_port _te_bh
	te_bg "blackhole-$_te_bh" "$TE_PY" -c '
import socket, sys, time
p = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", p))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", p))
t.listen(64)
time.sleep(3600)' "$_te_bh"
	te_wait te_listening "$_te_bh" || te_fail "blackhole did not listen"
	printf -v "$1" %s "$_te_bh"
}
