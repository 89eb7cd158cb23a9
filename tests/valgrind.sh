#!/bin/sh
# tests/valgrind.sh [SUITE...]: run behaviour suites with every echod under
# valgrind memcheck (any error or definitely-lost block makes echod exit
# 99, which the tests' exit-0 check catches).  Slow; not in the default
# run.  test_limits' descriptor-exhaustion case is not meaningful here:
# valgrind keeps descriptors of its own below the limit the test sets.
set -eu
cd "$(dirname "$0")/.."
sh tests/deps.sh valgrind python3-pytest
sh tests/build.sh build >/dev/null
logs=$(mktemp -d /tmp/echod-vg.XXXX)
wrap=$logs/echod
cat > "$wrap" <<EOW
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full \\
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \\
    --log-file=$logs/%p.log $(pwd)/build/src/echod "\$@"
EOW
chmod +x "$wrap"
status=0
for t in ${*:-echo signals listen reload metrics udp acl systemd faults proxy haproxy}; do
	if (cd tests/behaviour && ECHOD=$wrap ECHOD_SANITIZED=1 \
	    ECHOD_LOAD=$(pwd)/../../build/bench/echod-load \
	    ECHOD_BUILD_ROOT=$(pwd)/../../build \
	    pytest-3 -q -rs -p no:cacheprovider "test_$t.py" \
	    > "$logs/$t.out" 2>&1); then
		echo "$t: ok ($(tail -n 1 "$logs/$t.out"))"
	else
		echo "$t: FAILED (see $logs/$t.out)"
		status=1
	fi
done
bad=$(find "$logs" -name '*.log' -size +0 | wc -l)
echo "valgrind: $(ls "$logs"/*.log | wc -l) echod runs, $bad with a report"
[ "$bad" -eq 0 ] || status=1
exit $status
