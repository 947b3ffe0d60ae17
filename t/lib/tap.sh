# tap.sh -- the TAP producer of the shell tests (bash), sourced by every
# t/*.t bash script (through t/lib/testenv.sh or directly).  Defines
# functions and three counters only; prints nothing until called.
#
#   plan N              "1..N" now (else done_testing prints the plan)
#   skip_all REASON     "1..0 # SKIP REASON", exit 0
#   ok NAME CMD...      runs CMD; ok when it exits 0, its output shown
#                       (as # lines) only on failure
#   ok_rc RC NAME       ok when RC (an exit status already taken) is 0
#   is GOT WANT NAME    string equality; both shown on failure
#   like GOT ERE NAME / unlike GOT ERE NAME
#                       grep -E match (no match); shown on failure
#   diag MSG            MSG as "# " lines
#   skip N WHY          N skipped tests
#   bail_out MSG        "Bail out! MSG", exit 255
#   done_testing        prints the plan if none was given; returns 0 when
#                       every test passed (use it as the script's last
#                       command, or "done_testing; exit")
# Each test function returns 0 when the test passed, non-zero when not.

_tap_n=0
_tap_failed=0
_tap_planned=""

plan() { _tap_planned=$1; echo "1..$1"; }

skip_all() { echo "1..0 # SKIP $*"; exit 0; }

diag() { local l; while IFS= read -r l; do echo "# $l"; done <<<"$*"; }

# ok NAME CMD [ARGS...] -- runs CMD; its output is shown only on failure.
ok() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	_tap_n=$((_tap_n + 1))
	if [ $rc = 0 ]; then
		echo "ok $_tap_n - $name"
	else
		echo "not ok $_tap_n - $name"
		_tap_failed=$((_tap_failed + 1))
		diag "command: $*"
		[ -n "$out" ] && diag "$(printf '%s' "$out" | head -40)"
	fi
	return $rc
}

# ok_rc RC NAME -- a test line from an exit status already taken
# ("cmd; ok_rc $? NAME").
ok_rc() { _tap_result "$1" "$2"; }

_tap_result() {	# RC NAME
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $_tap_n - $2"
		return 0
	fi
	echo "not ok $_tap_n - $2"
	_tap_failed=$((_tap_failed + 1))
	return 1
}

is() {
	[ "$1" = "$2" ] && { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "     got: '$1'"
	diag "expected: '$2'"
	return 1
}

like() {
	printf '%s' "$1" | grep -Eq -- "$2" && { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "     got: '$(printf '%s' "$1" | head -20)'"
	diag "expected to match: /$2/"
	return 1
}

unlike() {
	printf '%s' "$1" | grep -Eq -- "$2" || { _tap_result 0 "$3"; return; }
	_tap_result 1 "$3"
	diag "     got: '$(printf '%s' "$1" | head -20)'"
	diag "expected not to match: /$2/"
	return 1
}

skip() {
	local i
	for ((i = 0; i < $1; i++)); do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # skip $2"
	done
}

bail_out() { echo "Bail out! $*"; exit 255; }

done_testing() {
	[ -z "$_tap_planned" ] && echo "1..$_tap_n"
	[ $_tap_failed = 0 ]
}
