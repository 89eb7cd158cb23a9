"""Deadlines, rates and durations run on the monotonic clock: a wall
clock stepped back an hour (an NTP step, `date -s`) while echod runs
changes none of them.  The step is made by an LD_PRELOAD shim, built here,
over clock_gettime(CLOCK_REALTIME), gettimeofday() and time(), so only
echod sees it."""
import os
import re
import tempfile
import time

from echodtest import Echod, build_preload, connect, scrape

SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

/* Seconds to take off the wall clock, read from $SHIFT_FILE each time. */
static long shift(void)
{
	const char *path = getenv("SHIFT_FILE");
	long s = 0;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return 0;
	if (fscanf(f, "%ld", &s) != 1)
		s = 0;
	fclose(f);
	return s;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	static int (*real)(clockid_t, struct timespec *);
	int rc;

	if (real == NULL)
		real = (int (*)(clockid_t, struct timespec *))
		    dlsym(RTLD_NEXT, "clock_gettime");
	rc = real(id, ts);
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec -= shift();
	return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
"""


def test_wall_clock_stepped_back_changes_no_deadline():
    tmp = tempfile.mkdtemp(prefix="echod-clock-")
    shift = os.path.join(tmp, "shift")
    with open(shift, "w") as f:
        f.write("0")
    env = dict(build_preload(SHIM, tmp), SHIFT_FILE=shift)
    with Echod("--listen", "127.0.0.1:0", "--metrics", "0",
               "--proxy-protocol", "--proxy-from", "127.0.0.1",
               env=env) as d:
        time.sleep(1.2)
        s = connect(d.addrs[0])
        start = time.monotonic()
        with open(shift, "w") as f:        # the wall clock: an hour back
            f.write("3600")
        # A PROXY v2 header trickled a byte every half second: each byte
        # makes echod look at the clock again to re-arm the header's
        # deadline (libevent's cached wall time follows the step within
        # 5 s: the old code then re-armed for an hour).
        hdr = (b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c" +
               bytes([127, 0, 0, 9, 127, 0, 0, 1, 0x9c, 0x40, 0, 7]))
        closed = False
        for i in range(len(hdr) - 1):      # never the last byte
            try:
                s.sendall(hdr[i:i + 1])
            except OSError:
                closed = True
                break
            s.settimeout(0.5)
            try:
                if s.recv(10) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed, "the header's deadline never fired"
        took = time.monotonic() - start
        print("# wall clock an hour back: the 5 s PROXY deadline fired "
              "after %.1f s" % took)
        assert took < 8, took
        text = scrape(d)
        up = int(re.search(r"^echod_uptime_seconds (\d+)$", text,
                           re.M).group(1))
        print("# echod_uptime_seconds after the step: %d" % up)
        assert 1 <= up < 60, up
        # And the step happened, as far as echod could see: its own log
        # lines went back an hour.
        stamps = re.findall(r"^\d{4}-\d\d-\d\dT(\d\d):(\d\d)", d.log(),
                            re.M)
        minutes = [int(h) * 60 + int(m) for h, m in stamps]
        assert any((minutes[0] - m) % 1440 in range(55, 65)
                   for m in minutes[1:]), d.log()[-1000:]
        d.stop()
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)

