#!/usr/bin/env python3
"""Start a program the way systemd starts a socket-activated service:
the descriptors listed in SDLAUNCH_FDS (numbers in this process) become
3, 4, ... in that order, named by SDLAUNCH_NAMES (colon-separated), with
LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID set; exec keeps our pid.

    SDLAUNCH_FDS=5,9 SDLAUNCH_NAMES=echod.socket:x sdlaunch.py PROG ARGS
"""
import fcntl
import os
import sys


def main():
    fds = [int(x) for x in os.environ.pop("SDLAUNCH_FDS").split(",") if x]
    names = os.environ.pop("SDLAUNCH_NAMES")
    # Out of the way first, so no target number is still a source.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10000) for fd in fds]
    for fd in fds:
        os.close(fd)
    for i, fd in enumerate(high):
        os.dup2(fd, 3 + i)
        os.close(fd)
    os.environ["LISTEN_FDS"] = str(len(fds))
    os.environ["LISTEN_FDNAMES"] = names
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execv(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
