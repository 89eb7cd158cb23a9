#!/bin/sh
# tests/deps.sh PKG...: make sure these Debian packages are installed.
# As root the missing ones are installed with apt-get; otherwise we say
# which ones and how, and exit 69 (EX_UNAVAILABLE).
set -eu

missing=""
for pkg in "$@"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
	    grep -q "ok installed"; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "echod: needs these Debian packages (or your system's" \
	    "equivalents):$missing" >&2
	exit 69
fi
if [ "$(id -u)" != 0 ]; then
	echo "echod: missing packages:$missing; install them with:" \
	    "sudo apt-get install$missing" >&2
	exit 69
fi
echo "echod: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
