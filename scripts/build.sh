#!/bin/bash
# Configure (once) and build peerdma in ./build (or $BUILD_DIR).
#
#   scripts/build.sh            then ./build/tools/peerdma/peerdma matrix
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" >/dev/null
fi
ninja -C "$build"
