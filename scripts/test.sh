#!/bin/bash
# Build peerdma and run its test suite; the last line is always
# "N passed, N failed, N skipped" and the exit status is non-zero on any
# failure.
#
#   scripts/test.sh             the whole suite in ./build ($BUILD_DIR)
#   scripts/test.sh --sanitize  the whole suite under AddressSanitizer and
#                               UndefinedBehaviorSanitizer, in ./build-sanitize
#   scripts/test.sh --tsan      the threaded tests (names containing
#                               "threads") under ThreadSanitizer, ./build-tsan
#   scripts/test.sh ... -- ARGS passes ARGS to meson test (test names, ...)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=plain
while [ $# -gt 0 ]; do
	case "$1" in
	--sanitize) mode=sanitize ;;
	--tsan) mode=tsan ;;
	--) shift; break ;;
	-h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "test.sh: unknown option '$1' (see scripts/test.sh --help)" >&2
	   exit 2 ;;
	esac
	shift
done

case $mode in
plain)
	build=${BUILD_DIR:-build}
	setup_args=()
	;;
sanitize)
	build=${BUILD_DIR:-build-sanitize}
	setup_args=(-Db_sanitize=address,undefined -Db_lundef=false)
	# Every report is a failure, with a stack.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
	;;
tsan)
	build=${BUILD_DIR:-build-tsan}
	setup_args=(-Db_sanitize=thread -Db_lundef=false)
	export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
	;;
esac

summary() {
	echo "$1 passed, $2 failed, $3 skipped"
}

if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "${setup_args[@]}" >/dev/null
fi
if ! ninja -C "$build"; then
	echo "test.sh: the build failed" >&2
	summary 0 1 0
	exit 1
fi

tests=("$@")
if [ $mode = tsan ] && [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(meson test -C "$build" --list 2>/dev/null |
			     sed 's/^[^ ]* \/ //' | grep threads || true)
	if [ ${#tests[@]} -eq 0 ]; then
		echo "test.sh: no test named *threads* yet: nothing to run under ThreadSanitizer"
		summary 0 0 0
		exit 0
	fi
fi

log="$build/meson-logs/testlog.json"
rm -f "$log"
rc=0
meson test -C "$build" --print-errorlogs "${tests[@]}" || rc=$?

if [ ! -f "$log" ]; then
	echo "test.sh: meson test wrote no $log" >&2
	summary 0 1 0
	exit 1
fi
# One JSON object per test in testlog.json.
read -r passed failed skipped < <(python3 - "$log" <<'PY'
import json, sys
n = {"pass": 0, "fail": 0, "skip": 0}
kind = {"OK": "pass", "EXPECTEDFAIL": "pass", "SKIP": "skip"}
for line in open(sys.argv[1]):
    if line.strip():
        n[kind.get(json.loads(line)["result"], "fail")] += 1
print(n["pass"], n["fail"], n["skip"])
PY
)
summary "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ] && [ $rc -eq 0 ]
