"""Times compared on a machine whose load changes: runs the commands in turn
(A, B, C, A, B, C, ...) so that each sees the same load, RUNS times each
after WARMUP rounds, with posix_spawnp as hyperfine does and the standard
streams on /dev/null; PREPARE, when given, runs untimed before each command.
Prints the median wall time of each, in nanoseconds, one line per command;
fails if a command fails.

    python3 interleave.py RUNS WARMUP PREPARE 'CMD ARGS...' 'CMD ARGS...' ...
"""

import os
import shlex
import statistics
import sys
import time

def run(command, streams):
    pid = os.posix_spawnp(command[0], command, os.environ, file_actions=streams)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"interleave.py: {shlex.join(command)} failed ({status})")


def main():
    runs, warmup, prepare = int(sys.argv[1]), int(sys.argv[2]), shlex.split(sys.argv[3])
    commands = [shlex.split(c) for c in sys.argv[4:]]
    null = os.open(os.devnull, os.O_RDWR)
    streams = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
    times = [[] for _ in commands]
    for i in range(warmup + runs):
        for command, samples in zip(commands, times):
            if prepare:
                run(prepare, streams)
            start = time.perf_counter_ns()
            pid = os.posix_spawnp(command[0], command, os.environ, file_actions=streams)
            _, status = os.waitpid(pid, 0)
            elapsed = time.perf_counter_ns() - start
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit(f"interleave.py: {shlex.join(command)} failed ({status})")
            if i >= warmup:
                samples.append(elapsed)
    for samples in times:
        print(int(statistics.median(samples)))


if __name__ == "__main__":
    main()
