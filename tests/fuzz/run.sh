#!/bin/sh
# tests/fuzz/run.sh [RUNS] [--update]: build the libFuzzer targets with
# clang, AddressSanitizer and UndefinedBehaviorSanitizer (build-fuzz/), and
# run each for RUNS inputs (default 1000000), starting from the seed corpus
# in tests/fuzz/corpus/.  Any crash, leak or sanitizer report stops it with
# the input saved as build-fuzz/crash-*.  With --update, new inputs that
# reach new code are merged into the seed corpus.  Not part of the default
# test run (minutes); `meson test` replays the corpus instead.
set -eu
cd "$(dirname "$0")/../.."

runs=${1:-1000000}
update=${2:-}
sh tests/deps.sh clang libclang-rt-14-dev
if [ ! -f build-fuzz/build.ninja ]; then
	CC=clang meson setup build-fuzz -Dfuzzing=true \
	    -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dbuildtype=debugoptimized >/dev/null
fi
meson compile -C build-fuzz >/dev/null
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
for t in listen_spec acl config_file numparse sdproto proxy_header \
    http_request; do
	work=build-fuzz/corpus-$t
	mkdir -p "$work"
	printf '%-12s ' "$t"
	build-fuzz/tests/fuzz/fuzz_$t -runs="$runs" -max_len=4096 \
	    -artifact_prefix=build-fuzz/ -print_final_stats=1 \
	    "$work" "tests/fuzz/corpus/$t" > "build-fuzz/fuzz-$t.log" 2>&1 ||
	    { echo "FAILED (see build-fuzz/fuzz-$t.log)"; exit 1; }
	awk '/stat::number_of_executed_units/ {n=$2}
	    /stat::new_units_added/ {u=$2}
	    END {printf "%s inputs, %s new units, no finding\n", n, u}' \
	    "build-fuzz/fuzz-$t.log"
	if [ "$update" = "--update" ]; then
		build-fuzz/tests/fuzz/fuzz_$t -merge=1 "tests/fuzz/corpus/$t" \
		    "$work" >/dev/null 2>&1
	fi
done
