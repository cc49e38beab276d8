"""Time from Enter to credentials: runs COMMAND on a pseudo-terminal, waits
for its `MFA code` prompt, waits PAUSE seconds (the user typing), types the
code and Enter, and measures from Enter until the command has exited (the
session is then saved). Prints the median in milliseconds; each run first
removes the files matching CLEAR (the reuse guard, so the same code is taken
again).

    python3 enter.py RUNS PAUSE CODE CLEAR -- COMMAND...
"""

import glob
import os
import pty
import select
import signal
import statistics
import sys
import threading
import time

DEADLINE = 20.0


def drain(fd):
    try:
        while os.read(fd, 4096):
            pass
    except OSError:
        pass  # EIO once the child has exited


def once(command, pause, code):
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    seen = b""
    end = time.monotonic() + DEADLINE
    while b"MFA code" not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        chunk = b""
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                pass
        if not chunk:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.exit(f"enter.py: no `MFA code` prompt within {DEADLINE} s; saw {seen!r}")
        seen += chunk
    time.sleep(pause)
    reader = threading.Thread(target=drain, args=(fd,), daemon=True)
    reader.start()
    os.write(fd, code.encode() + b"\r")
    start = time.perf_counter()
    watchdog = threading.Timer(DEADLINE, os.kill, (pid, signal.SIGKILL))
    watchdog.start()
    _, status = os.waitpid(pid, 0)
    elapsed = time.perf_counter() - start
    watchdog.cancel()
    # All output read before the descriptor goes: its number is reused next run.
    reader.join(timeout=5)
    os.close(fd)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"enter.py: {command[0]} failed ({status}); saw {seen!r}")
    return elapsed * 1000


def main():
    runs, pause, code, clear = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
    command = sys.argv[sys.argv.index("--") + 1:]
    times = []
    for _ in range(runs):
        for path in glob.glob(clear):
            os.remove(path)
        times.append(once(command, pause, code))
    print(f"{statistics.median(times):.2f}")


if __name__ == "__main__":
    main()
