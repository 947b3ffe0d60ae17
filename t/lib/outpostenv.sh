# outpostenv.sh -- outpost's own programs on the test bed of testenv.sh
# (sourced here: a test sources this file alone), for the shell tests that
# run the daemons behind the private Postfix.  Sourcing it defines
# variables and functions only; nothing starts until called.
#
# Variables set here: POLICYD, MILTER, FB, WEB, CTL_BIN (the programs as
# built in the tree), PW (the SASL password of te_sasl_users's accounts),
# MSG (the corpus's plain message 01-simple.eml).  te_outpost_conf sets
# CONF and PSOCK.
#
#   te_outpost_need PROGRAM...
#       the test needs root (te_need_root), every PROGRAM built (else
#       skip_all "PATH not built", PATH under the repo) and redis-server
#       (else skip_all "redis-server not installed").
#   te_outpost_conf <LINES
#       makes $T, sets CONF=$T/outpost.conf and PSOCK (policyd's socket,
#       $T/spool/outpost/policy.sock: the shipped main.cf.policyd names it
#       relative to the queue directory, $T/spool, created here) and
#       writes CONF: redis_address (te_redis_start's socket), user =
#       outpost, log_destination = stderr, keys_directory = $T/keys,
#       policyd_listen, then the lines read from stdin as they are.
#   ctl ARGS...
#       outpostctl -c $CONF ARGS (the tests' shorthand).
#   te_ctl_setup CMD...
#       each CMD (one string, split at blanks: no quoting inside) run as
#       ctl CMD, in order, output appended to $T/ctl.out; the first that
#       fails ends the test (te_fail "outpostctl CMD: " and that output).
#   te_policyd_start
#       outpost-policyd -f -c $CONF as te_bg policyd; returns once $PSOCK
#       exists, else te_fail with the end of its log.
#   te_milter_start [FILE]
#       outpost-milter -f -c FILE (default $CONF) as te_bg milter (stop a
#       running one first: te_bg_stop milter).  FILE's milter_socket must
#       be unix:$T/run/milter.sock: removed first, returns once it exists
#       (else te_fail with the end of the log); sets TE_MILTER to it.
#   te_postfix_policyd [MAIN.CF LINE...]
#       te_postfix_start with etc/postfix/main.cf.policyd exactly as
#       shipped, then the LINEs (TE_MILTER as the caller set it).
#   te_sasl_users NAME@DOMAIN...
#       te_sasl_user for each, all with the password $PW.
#   te_submit_reply USER TOKEN [SWAKS ARGS...]
#       $MSG with AUTH as USER ($PW) to rcpt-TOKEN@example.org (te_submit):
#       prints the reply that ended the transaction (te_data_reply).
#   te_used USER LIMIT
#       how much of USER's LIMIT (as written: "messages=3/1h") is used now,
#       as outpostctl user show --json reads the counters; nothing when
#       USER has no such limit.
# shellcheck disable=SC2034 # (the variables are the sourcing test's)

. "$(dirname "${BASH_SOURCE[0]}")/testenv.sh"

POLICYD="$TE_ROOT/policyd/outpost-policyd"
MILTER="$TE_ROOT/milter/outpost-milter"
FB="$TE_ROOT/feedback/outpost-feedback"
WEB="$TE_ROOT/web/outpost-web"
CTL_BIN="$TE_ROOT/ctl/outpostctl"
PW='S3cret pw'
MSG="$TE_CORPUS/01-simple.eml"

te_outpost_need() {
	local b
	te_need_root
	for b in "$@"; do
		[ -x "$b" ] || skip_all "${b#"$TE_ROOT"/} not built"
	done
	command -v redis-server >/dev/null ||
	    skip_all "redis-server not installed"
}

te_outpost_conf() {
	te_tmpdir
	CONF="$T/outpost.conf"
	PSOCK="$T/spool/outpost/policy.sock"
	mkdir -p "$T/spool"
	{
		cat <<-EOF
		redis_address = unix:$T/redis.sock
		user = outpost
		log_destination = stderr
		keys_directory = $T/keys
		policyd_listen = unix:$PSOCK
		EOF
		cat
	} >"$CONF"
}

ctl() { "$CTL_BIN" -c "$CONF" "$@"; }

te_ctl_setup() {
	local c
	for c in "$@"; do
		# shellcheck disable=SC2086
		ctl $c >>"$T/ctl.out" 2>&1 ||
		    te_fail "outpostctl $c: $(cat "$T/ctl.out")"
	done
}

te_policyd_start() {
	te_bg policyd "$POLICYD" -f -c "$CONF"
	te_wait test -S "$PSOCK" ||
	    te_fail "outpost-policyd did not listen: $(tail -20 "$T/policyd.log")"
}

te_milter_start() {
	rm -f "$T/run/milter.sock"
	te_bg milter "$MILTER" -f -c "${1:-$CONF}"
	te_wait test -S "$T/run/milter.sock" ||
	    te_fail "outpost-milter did not create its socket: $(tail -20 "$T/milter.log")"
	TE_MILTER="unix:$T/run/milter.sock"
}

te_postfix_policyd() {
	te_postfix_start "$(cat "$TE_ROOT/etc/postfix/main.cf.policyd")" "$@"
}

te_sasl_users() {
	local u
	for u in "$@"; do te_sasl_user "$u" "$PW"; done
}

te_submit_reply() {
	local user=$1 tok=$2
	shift 2
	te_data_reply "$(te_submit "$MSG" "$tok" "$user" "$PW" "$@")"
}

te_used() {
	ctl --json user show "$1" | "$TE_PY" -c '
import json, sys
u = json.load(sys.stdin)
print(" ".join(str(l["used"]) for l in u["limits"] if l["limit"] == sys.argv[1]))' "$2"
}
