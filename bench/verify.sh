# shellcheck shell=bash
# bench/verify.sh -- the "verify" section of bench/run (sourced by it):
# inbound verification, outpost-milter against OpenDKIM + OpenDMARC.
#
# The message: the bench's 4 KB message, From bench@example.com, signed by
# dkimpy twice, rsa-sha256 by example.com (aligned with From) and
# ed25519-sha256 by esp.example.net (a sending service), received from
# 192.0.2.10 with MAIL FROM bench@example.com.  DNS: nsd on loopback
# serves the two key records, SPF for example.com (an include of the
# service's record, which passes 192.0.2.0/24: two TXT lookups) and
# _dmarc.example.com (p=reject), plus empty com, net, org zones.
#
# OpenDMARC and libspf2 resolve through libresolv, which reads
# /etc/resolv.conf and always uses port 53: nsd listens on port 53 of a
# private loopback address (127.53.N.1), and OpenDMARC runs in its own
# mount namespace (unshare -m) where a bind-mounted resolv.conf names that
# address; the machine's resolv.conf is not touched.  OpenDKIM (built with
# libunbound) and outpost-milter are pointed at the same address.  A
# second nsd (127.53.N.2) serves the same records with TTL 0, so that
# nothing can be cached: outpost-milter's "no cache" runs use it.
#
# The anchors are measured one at a time on the same message set
# (OpenDMARC gets the message with OpenDKIM's Authentication-Results on
# top, as in a chain); the chain's rate is 1/(1/a + 1/b) -- each message
# must pass through both -- and its CPU per message the sum of the two.

VIP="192.0.2.10"	# the inbound client
VFROM="bench@example.com"
VHELO="mail.esp.example.net"
VAUTHSERV="bench.mx.example"

# TXT record text as zone-file character-strings of at most 200 bytes.
v_txt() {
	printf '%s' "$1" | fold -w 200 | sed 's/.*/"&"/' | tr '\n' ' '
}

# v_zones DIR TTL KEYREC_RSA KEYREC_ED: the zone files of the section.
v_zones() {
	local d=$1 ttl=$2
	te_zone "$d" example.com <<-EOF
	@ IN TXT "v=spf1 include:_spf.esp.example.net -all"
	_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc-reports@example.com"
	$VSEL_R._domainkey IN TXT ( $(v_txt "$3") )
	EOF
	te_zone "$d" example.net <<-EOF
	_spf.esp IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
	$VSEL_E._domainkey.esp IN TXT ( $(v_txt "$4") )
	mail.esp IN A 192.0.2.10
	EOF
	for z in com org; do te_zone "$d" $z </dev/null; done
	sed -i "s/^\$TTL .*/\$TTL $ttl/" "$d"/*.zone
}

# v_nsd NAME ADDR ZONEDIR: nsd on ADDR port 53.
v_nsd() {
	local n="$T/$1" f z
	mkdir -p "$n"
	TE_DNS_PORT=53 _te_nsd_conf "$n" |
	    sed "s/ip-address: 127.0.0.1/ip-address: $2/; s|zonesdir: .*|zonesdir: \"$3\"|" \
	    >"$n/nsd.conf"
	# No response rate limiting: the resolvers of the anchors cache
	# nothing and would be slowed down by it, as would the TTL 0 runs.
	sed -i 's/^\([[:space:]]*\)server-count: 1$/&\n\1rrl-ratelimit: 0/' "$n/nsd.conf"
	for f in "$3"/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$z" "$f"
	done >>"$n/nsd.conf"
	nsd-checkconf "$n/nsd.conf" >"$T/$1.log" 2>&1 &&
	    te_bg "$1" nsd -d -c "$n/nsd.conf" &&
	    te_wait sh -c "dig +short +tries=1 +time=1 @$2 TXT _dmarc.example.com | grep -q DMARC1" ||
	    { echo "nsd on $2 did not answer: $(tail -3 "$T/$1.log")"; return 1; }
}

# CPU ms of a process and all its descendants (the process nsd starts
# as becomes its xfrd; the main process and the server are below it).
v_tree_cpu() {
	local p s c
	s=$(cpu_ms "$1")
	for p in $(pgrep -P "$1"); do
		c=$(v_tree_cpu "$p")
		s=$(awk -v a="${s:-0}" -v b="${c:-0}" 'BEGIN { print a + b }')
	done
	echo "${s:-0}"
}

# Keys, zones, the two nsd, the signed message.
v_setup() {
	local f rsa="" ed="" vn
	for f in "$K"/example.com/*.key; do
		case $(te_key_type "$f") in
		rsa) rsa=$f ;;
		ed25519) ed=$f ;;
		esac
	done
	[ -n "$rsa" ] && [ -n "$ed" ] ||
	    { echo "no RSA and Ed25519 key under $K/example.com"; return 1; }
	VSEL_R=$(basename "$rsa" .key)
	VSEL_E=$(basename "$ed" .key)
	vn=$(( $$ % 200 + 20 ))
	VNS_WARM="127.53.$vn.1"
	VNS_COLD="127.53.$vn.2"
	# The key records, as te_dns_from_keys computes them.
	te_dns_from_keys "$K" >"$T/vkeys.txt"
	local kr ke
	kr=$(awk -F'\t' -v s="$VSEL_R" 'index($1, s "._domainkey.") == 1 { print $2 }' "$T/vkeys.txt")
	ke=$(awk -F'\t' -v s="$VSEL_E" 'index($1, s "._domainkey.") == 1 { print $2 }' "$T/vkeys.txt")
	printf '%s._domainkey.example.com\t%s\n%s._domainkey.esp.example.net\t%s\n' \
	    "$VSEL_R" "$kr" "$VSEL_E" "$ke" >"$T/vdns.txt"
	v_zones "$T/vzones-warm" 3600 "$kr" "$ke"
	v_zones "$T/vzones-cold" 0 "$kr" "$ke"
	v_nsd vnsdwarm "$VNS_WARM" "$T/vzones-warm" || return 1
	v_nsd vnsdcold "$VNS_COLD" "$T/vzones-cold" || return 1
	printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$VNS_WARM" \
	    >"$T/vresolv.conf"
	"$TE_PY" "$ROOT/t/lib/sign-dkimpy.py" "$rsa" example.com "$VSEL_R" \
	    "$T/msg.eml" "$T/vsig1.eml" &&
	    "$TE_PY" "$ROOT/t/lib/sign-dkimpy.py" "$ed" esp.example.net \
	    "$VSEL_E" "$T/vsig1.eml" "$T/inbound.eml" ||
	    { echo "dkimpy could not sign the message"; return 1; }
	local v
	v=$(te_verify_dkimpy "$T/inbound.eml" "$T/vdns.txt" 2>&1)
	row "verify: the message, checked by dkimpy" \
	    "$(printf '%s\n' "$v" | grep -c 'result=pass') of 2 signatures pass"
}

v_start_opendkim() {	# SOCKET
	cat >"$T/vodkim.conf" <<-EOF
	Mode			v
	Socket			local:$1
	UMask			000
	PidFile			$T/vodkim.pidfile
	Syslog			no
	Background		no
	Nameservers		$VNS_WARM
	AuthservID		$VAUTHSERV
	AlwaysAddARHeader	yes
	SoftwareHeader		no
	Canonicalization	relaxed/relaxed
	EOF
	te_bg vodkim /usr/sbin/opendkim -f -x "$T/vodkim.conf"
	te_wait test -S "$1" ||
	    { echo "opendkim (verify) did not start: $(tail -5 "$T/vodkim.log")"; return 1; }
}

v_start_opendmarc() {	# SOCKET
	cat >"$T/vodmarc.conf" <<-EOF
	Socket			local:$1
	UMask			000
	PidFile			$T/vodmarc.pidfile
	Syslog			false
	Background		false
	AuthservID		$VAUTHSERV
	TrustedAuthservIDs	$VAUTHSERV
	SPFSelfValidate		true
	SPFIgnoreResults	true
	PublicSuffixList	/usr/share/publicsuffix/public_suffix_list.dat
	RejectFailures		false
	SoftwareHeader		false
	EOF
	# libresolv and libspf2 read /etc/resolv.conf: a private one, seen
	# only by this process (its own mount namespace).
	te_bg vodmarc unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
	    exec /usr/sbin/opendmarc -f -c "$2"' sh "$T/vresolv.conf" \
	    "$T/vodmarc.conf"
	te_wait test -S "$1" ||
	    { echo "opendmarc did not start: $(tail -5 "$T/vodmarc.log")"; return 1; }
}

v_start_outpost() {	# NAME SOCKET NAMESERVER
	sed "s|^milter_socket = .*|milter_socket = $2|" "$T/outpost-base.conf" \
	    >"$T/$1.conf"
	cat >>"$T/$1.conf" <<-EOF
	milter_mode = verify
	dns_nameserver = $3@53
	authserv_id = $VAUTHSERV
	EOF
	# The milter makes its socket directory itself (root-owned, 0750).
	te_bg "$1" "$MILTER_BIN" -f -c "$T/$1.conf"
	te_wait test -S "${2#unix:}" ||
	    { echo "outpost-milter did not start: $(tail -5 "$T/$1.log")"; return 1; }
}

# vg NAME SOCKET PIDNAME NSDNAME MESSAGE EXPECT_AR [MILTERGEN ARGS...]:
# one timed run of inbound mail; the CPU per message of the milter with
# all its child processes (outpost-milter's SPF helper) and of nsd are
# added to the RESULT line as tree_ms_per_msg and nsd_ms_per_msg.
vg() {
	local name=$1 sock=$2 pid nsd n0 n1 t0 t1 msgs
	pid=$(pid_of "$3")
	nsd=$(pid_of "$4")
	n0=$(v_tree_cpu "$nsd")
	t0=$(v_tree_cpu "$pid")
	"$B/miltergen" -s "$sock" -d "$SECS" -p "$pid" -e 0 -A "$6" \
	    -u '' -a "$VIP" -H "$VHELO" -F "$VFROM" -f "$5" -l "$name" \
	    "${@:7}" >"$T/vg-$name.out"
	n1=$(v_tree_cpu "$nsd")
	t1=$(v_tree_cpu "$pid")
	msgs=$(res "$T/vg-$name.out" msgs)
	grep -v '^RESULT' "$T/vg-$name.out"
	awk -v a="$n0" -v b="$n1" -v c="$t0" -v d="$t1" -v n="${msgs:-0}" 'BEGIN {
	    printf "RESULT label=cpu tree_ms_per_msg=%.4f nsd_ms_per_msg=%.4f\n",
	    (n > 0 ? (d - c) / n : -1), (n > 0 ? (b - a) / n : -1) }' \
	    >>"$T/vg-$name.out"
	echo "$name: milter with its children $(res "$T/vg-$name.out" tree_ms_per_msg)" \
	    "ms/msg, nsd $(res "$T/vg-$name.out" nsd_ms_per_msg) ms/msg of CPU"
}

# v_first NAME SOCKET MESSAGE OUT WANT...: one message; its A-R headers
# must hold each WANT (e.g. "dkim=pass" twice as "dkim=pass dkim=pass").
v_first() {
	local name=$1 sock=$2 msg=$3 out=$4 w have ok=yes
	shift 4
	"$B/miltergen" -s "$sock" -n 1 -e 0 -u '' -a "$VIP" -H "$VHELO" \
	    -F "$VFROM" -f "$msg" -w "$out" -l "$name" >"$T/vfirst-$name.out" 2>&1
	sed '/^RESULT/d; /^[^#\t]/d' "$T/vfirst-$name.out"
	for w in $(printf '%s\n' "$@" | sort | uniq -c | awk '{ print $1 ":" $2 }'); do
		have=$(grep -o "${w#*:}" "$T/vfirst-$name.out" | wc -l)
		[ "$have" -ge "${w%%:*}" ] || ok=no
	done
	VFIRST_ARS=$(sed -n 's/.* \([0-9]*\) Authentication-Results header.*/\1/p' \
	    "$T/vfirst-$name.out")
	VFIRST_MS=$(sed -n "s/.*reply '.' in \([0-9.]*\) ms.*/\1/p" "$T/vfirst-$name.out")
	if [ $ok = yes ]; then
		row "verify $name: first message's A-R" "as expected" "$*"
	else
		echo
		echo "*** WARNING verify $name: the Authentication-Results do not" \
		    "hold $* -- the figures below are not those of a verification ***"
		echo
		row "verify $name: first message's A-R" "NOT as expected" "want $*"
	fi
}

# v_profile NAME SOCKET PIDNAME CONNS: with BENCH_VERIFY_PERF=DIR, one more
# run of outpost-milter recorded by perf record -g on the milter and its
# SPF helper (DIR/verify-NAME.data), then perf's split by process and
# library and the top symbols.
v_profile() {
	local dir=${BENCH_VERIFY_PERF:-} pid pids data
	[ -n "$dir" ] || return 0
	mkdir -p "$dir" && data="$dir/verify-$1.data"
	pid=$(pid_of "$3")
	pids=$(printf '%s' "$pid $(pgrep -P "$pid")" | tr ' \n' ',,')
	perf record -g -F 2999 -q -o "$data" -p "${pids%,}" -- sleep "$SECS" \
	    >/dev/null 2>&1 &
	local rec=$!
	"$B/miltergen" -s "$2" -d "$SECS" -e 0 -A 1 -u '' -a "$VIP" \
	    -H "$VHELO" -F "$VFROM" -f "$T/inbound.eml" -l "$1-perf" -c "$4" \
	    >"$T/vg-$1-perf.out"
	wait "$rec"
	echo "-- profile $1 ($4 conns, $(res "$T/vg-$1-perf.out" rate) msg/s under perf): by process, library"
	perf report -i "$data" --no-children --sort comm,dso --stdio -g none \
	    2>/dev/null | grep -v '^#' | grep . | head -14
	echo "-- profile $1: top symbols"
	perf report -i "$data" --no-children --sort comm,dso,sym --stdio \
	    -g none 2>/dev/null | grep -v '^#' | grep . | head -40
}

section_verify() {
	local c o d k m chain cpu
	say "verify: inbound (2 DKIM + SPF + DMARC), outpost-milter vs OpenDKIM + OpenDMARC, ${SECS}s per run"
	need_root "nsd on port 53 and a private mount namespace" || return 0
	[ -x /usr/sbin/opendmarc ] ||
	    echo "opendmarc is not installed (make deps): no anchor chain"
	v_setup || return 0
	# --- the anchors
	if v_start_opendkim "$T/vodkim.sock"; then
		v_first opendkim "unix:$T/vodkim.sock" "$T/inbound.eml" \
		    "$T/inbound-ar.eml" dkim=pass dkim=pass
		VODKIM_ARS=$VFIRST_ARS
	fi
	if [ -x /usr/sbin/opendmarc ] && [ -f "$T/inbound-ar.eml" ] &&
	    v_start_opendmarc "$T/vodmarc.sock"; then
		v_first opendmarc "unix:$T/vodmarc.sock" "$T/inbound-ar.eml" \
		    "$T/vfirst-dmarc.eml" dmarc=pass spf=pass
		VODMARC_ARS=$VFIRST_ARS
	fi
	for c in 1 8; do
		te_bg_alive vodkim && vg "opendkim-c$c" "unix:$T/vodkim.sock" \
		    vodkim vnsdwarm "$T/inbound.eml" "${VODKIM_ARS:-1}" -c $c
		te_bg_alive vodmarc && vg "opendmarc-c$c" "unix:$T/vodmarc.sock" \
		    vodmarc vnsdwarm "$T/inbound-ar.eml" "${VODMARC_ARS:-1}" -c $c
	done
	# --- outpost-milter: fresh process (cold cache), then warm
	if [ -x "$MILTER_BIN" ] &&
	    v_start_outpost voutpost "unix:$T/vrun/vmilter.sock" "$VNS_WARM"; then
		v_first outpost "unix:$T/vrun/vmilter.sock" "$T/inbound.eml" \
		    "$T/vfirst-outpost.eml" spf=pass dkim=pass dkim=pass dmarc=pass
		VOUT_FIRST_MS=$VFIRST_MS
		vg outpost-c8-pass1 "unix:$T/vrun/vmilter.sock" voutpost vnsdwarm \
		    "$T/inbound.eml" 1 -c 8
		vg outpost-c8 "unix:$T/vrun/vmilter.sock" voutpost vnsdwarm \
		    "$T/inbound.eml" 1 -c 8
		vg outpost-c1 "unix:$T/vrun/vmilter.sock" voutpost vnsdwarm \
		    "$T/inbound.eml" 1 -c 1
		v_profile c1 "unix:$T/vrun/vmilter.sock" voutpost 1
		v_profile c8 "unix:$T/vrun/vmilter.sock" voutpost 8
		te_bg_stop voutpost
		# Every record at TTL 0: every message asks nsd for everything.
		if v_start_outpost voutpostcold "unix:$T/vrun/vmiltercold.sock" "$VNS_COLD"; then
			for c in 8 1; do
				vg "outpost-nocache-c$c" "unix:$T/vrun/vmiltercold.sock" \
				    voutpostcold vnsdcold "$T/inbound.eml" 1 -c $c
			done
			te_bg_stop voutpostcold
		fi
	else
		echo "outpost-milter not available: only the anchors are measured"
	fi
	te_bg_stop vodkim
	te_bg_stop vodmarc
	# --- the table
	[ -n "${VOUT_FIRST_MS:-}" ] && row "verify outpost first message, cold cache (ms)" \
	    "$VOUT_FIRST_MS" "fresh process, every lookup sent to nsd"
	for c in 1 8; do
		d="$T/vg-opendkim-c$c.out"
		m="$T/vg-opendmarc-c$c.out"
		for k in opendkim opendmarc outpost-nocache outpost; do
			o="$T/vg-$k-c$c.out"
			[ -f "$o" ] || continue
			row "verify c=$c $k msg/s | CPU ms/msg" \
			    "$(res "$o" rate) | $(res "$o" tree_ms_per_msg)" \
			    "p99 $(res "$o" p99_ms) ms, A-R/msg $(res "$o" ars_per_msg), nsd $(res "$o" nsd_ms_per_msg) ms/msg"
		done
		[ $c = 8 ] && [ -f "$T/vg-outpost-c8-pass1.out" ] &&
		    row "verify c=8 outpost fresh process, pass 1 msg/s" \
		    "$(res "$T/vg-outpost-c8-pass1.out" rate)" \
		    "CPU $(res "$T/vg-outpost-c8-pass1.out" tree_ms_per_msg) ms/msg; pass 2 (warm) above"
		[ -f "$d" ] && [ -f "$m" ] || continue
		chain=$(awk -v a="$(res "$d" rate)" -v b="$(res "$m" rate)" 'BEGIN {
		    if (a > 0 && b > 0) printf "%.1f", 1 / (1 / a + 1 / b) }')
		cpu=$(awk -v a="$(res "$d" tree_ms_per_msg)" -v b="$(res "$m" tree_ms_per_msg)" \
		    'BEGIN { printf "%.3f", a + b }')
		row "verify c=$c chain OpenDKIM+OpenDMARC msg/s | CPU" "$chain | $cpu" \
		    "1/(1/a+1/b) of the two runs; CPU summed"
		for k in outpost outpost-nocache; do
			o="$T/vg-$k-c$c.out"
			[ -f "$o" ] || continue
			# A milter that added no A-R did not verify: no ratio.
			if [ "$(res "$o" ars_per_msg)" != 1.000 ]; then
				row "verify c=$c rate ratio $k / chain" "n/a" \
				    "outpost added $(res "$o" ars_per_msg) A-R/msg: it did not verify"
				continue
			fi
			row "verify c=$c rate ratio $k / chain" \
			    "$(ratio "$(res "$o" rate)" "$chain")" "goal >= 2"
			row "verify c=$c CPU ratio $k / chain" \
			    "$(ratio "$(res "$o" tree_ms_per_msg)" "$cpu")"
		done
	done
}
