#!/bin/sh
# SPDX-License-Identifier: MIT
#
# fuzz/run.sh [SECONDS] [BUILD_DIR]
#
# Build the libFuzzer targets with clang (in BUILD_DIR, default build-fuzz
# at the top of the tree, set up on first use) and run each of them for
# SECONDS (default 60) on a scratch copy of its seed corpus in fuzz/corpus/.
# Exits non-zero if any target crashes, leaks, hangs or fails to build; the
# input that did it is kept in BUILD_DIR/fuzz-artifacts/.
set -eu

secs=${1:-60}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${2:-$top/build-fuzz}

case $secs in
''|*[!0-9]*) echo "usage: $0 [SECONDS] [BUILD_DIR]" >&2; exit 2 ;;
esac

if [ ! -f "$build/build.ninja" ]; then
	CC=${CC:-clang} meson setup "$build" "$top" -Dfuzz=true \
		-Db_lundef=false -Db_sanitize=address,undefined \
		-Dc_args=-fsanitize=fuzzer-no-link
fi
ninja -C "$build" fuzz/fuzz-config fuzz/fuzz-lspci fuzz/fuzz-json

work=$(mktemp -d "${TMPDIR:-/tmp}/peerdma-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
artifacts=$build/fuzz-artifacts
mkdir -p "$artifacts"

# UBSan reports become crashes; leaks are errors too (but libpci's own,
# see lsan.supp).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export LSAN_OPTIONS=suppressions=$top/fuzz/lsan.supp

status=0
for t in config lspci json; do
	case $t in
	config) max_len=8192 ;;
	lspci) max_len=32768 ;;
	json) max_len=32768 ;;
	esac
	mkdir -p "$work/$t"
	cp "$top/fuzz/corpus/$t/"* "$work/$t/"
	echo "== fuzz-$t: $secs s"
	if ! "$build/fuzz/fuzz-$t" -max_total_time="$secs" \
		-max_len="$max_len" -timeout=10 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$t-" "$work/$t" \
		>"$work/$t.log" 2>&1; then
		tail -n 60 "$work/$t.log" >&2
		echo "== fuzz-$t FAILED; inputs in $artifacts/" >&2
		status=1
	else
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov: ' \
			"$work/$t.log" | tail -n 3
	fi
done
exit $status
