#!/bin/sh
# tests/build.sh [BUILDDIR [MESON-OPTION...]]: install what building echod
# needs (as root, with apt-get), configure BUILDDIR (default: build) and
# compile.  Quick start: sh tests/build.sh && build/src/echod
set -eu
cd "$(dirname "$0")/.."

sh tests/deps.sh gcc libc6-dev meson ninja-build pkg-config libevent-dev \
    libssl-dev check

builddir=${1:-build}
[ $# -gt 0 ] && shift
if [ -f "$builddir/build.ninja" ]; then
	# --reconfigure also picks up options added since the last setup.
	[ $# -gt 0 ] && meson setup --reconfigure "$builddir" "$@" >/dev/null
else
	meson setup "$builddir" "$@"
fi
meson compile -C "$builddir"
