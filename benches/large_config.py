"""The calls that read the AWS config, at 1, 1,000 and 10,000 profiles, side
by side in one run (benches/large_config.sh starts moto and calls this).

    python3 large_config.py AWSESH_BIN WORK_DIR RUNS [SIZES...]

For each size: a config of that many profiles (one `[default]` with keys
in the credentials file and an `mfa_serial`, the rest role profiles as an
organisation's generator writes them), its own runtime directory. Each
round runs every call once at every size, in turn, so that the load of a
shared machine hits the sizes alike; medians over RUNS rounds after two
warm-up rounds (the first builds the profile index). Prints two Markdown
tables, wall time and the CPU time the call used (user + system, from
wait4: what a loaded machine does not inflate): one row per call, one
column per size, then the difference between the largest and the smallest
size.
"""

import os
import statistics
import sys
import time

SERIAL = "arn:aws:iam::123456789012:mfa/bench"
CODE = "123456"


def write_world(root, size):
    """A HOME-less world for `size` profiles: config, credentials, runtime dir."""
    os.makedirs(root, exist_ok=True)
    config = os.path.join(root, "config")
    credentials = os.path.join(root, "credentials")
    with open(config, "w") as f:
        for i in range(1, size):
            f.write(
                f"[profile team-{i:05d}-admin]\n"
                f"region = eu-west-1\n"
                f"role_arn = arn:aws:iam::{100000000000 + i}:role/Admin\n"
                f"source_profile = default\n"
                f"mfa_serial = {SERIAL}\n"
                f"duration_seconds = 3600\n\n"
            )
        # Last, so that no reader can stop early.
        f.write(f"[default]\nregion = us-east-1\nmfa_serial = {SERIAL}\n")
    with open(credentials, "w") as f:
        f.write(
            "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPL1\n"
            "aws_secret_access_key = c2VjcmV0\n"
        )
    runtime = os.path.join(root, "run")
    os.makedirs(runtime, mode=0o700, exist_ok=True)
    os.chmod(runtime, 0o700)
    env = dict(os.environ)
    env.update(
        AWS_CONFIG_FILE=config,
        AWS_SHARED_CREDENTIALS_FILE=credentials,
        XDG_RUNTIME_DIR=runtime,
        HOME=root,
        AWSESH_HOOK="bash",
    )
    return env, config


def forget_code(env):
    """The reuse guard refuses the same code twice within 90 s: cleared."""
    store = os.path.join(env["XDG_RUNTIME_DIR"], "awsesh")
    for name in os.listdir(store) if os.path.isdir(store) else []:
        if name.startswith("used-"):
            os.remove(os.path.join(store, name))


def edit(config_path):
    """Changes the config (a comment added): the index is stale."""
    with open(config_path, "a") as f:
        f.write("# edited\n")


def spawn(argv, env, ok_codes):
    null = os.open(os.devnull, os.O_RDWR)
    actions = [(os.POSIX_SPAWN_DUP2, null, fd) for fd in (0, 1, 2)]
    start = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter_ns() - start
    os.close(null)
    code = os.waitstatus_to_exitcode(status)
    if code not in ok_codes:
        sys.exit(f"large_config.py: {' '.join(argv)} exited {code}")
    return elapsed, int((usage.ru_utime + usage.ru_stime) * 1e9)


def main():
    binary, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sizes = [int(s) for s in sys.argv[4:]] or [1, 1000, 10000]
    worlds = [write_world(os.path.join(work, f"p{size}"), size) for size in sizes]
    # (label, argv, prepare, exit codes that are fine)
    calls = [
        ("`login --force` (a refresh, moto on loopback)",
         [binary, "login", "--force", "--token-code", CODE], forget_code, {0}),
        ("`status`", [binary, "status"], None, {0}),
        ("`status --all`", [binary, "status", "--all"], None, {0}),
        ("`list-profiles` (each TAB after `--profile`)", [binary, "list-profiles"], None, {0}),
        # 1: a check fails on a bench machine (no shell hook loaded, …); the
        # calls it makes are the same.
        ("`doctor`", [binary, "doctor"], None, {0, 1}),
        ("`status`, first call after an edit (index rebuilt)",
         [binary, "status"], "edit", {0}),
    ]
    samples = {(c, s): [] for c in range(len(calls)) for s in range(len(sizes))}
    cpu = {(c, s): [] for c in range(len(calls)) for s in range(len(sizes))}
    for round_ in range(2 + runs):
        for c, (_, argv, prepare, ok) in enumerate(calls):
            for s, (env, config) in enumerate(worlds):
                if prepare is forget_code:
                    forget_code(env)
                elif prepare == "edit":
                    edit(config)
                elapsed, cpu_ns = spawn(argv, env, ok)
                if round_ >= 2:
                    samples[(c, s)].append(elapsed)
                    cpu[(c, s)].append(cpu_ns)
    ms = lambda ns: f"{ns / 1e6:.1f} ms"
    for title, table in (("wall time", samples), ("CPU time (user + system)", cpu)):
        head = " | ".join(f"{size:,} profile{'s' if size > 1 else ''}" for size in sizes)
        print(f"{title}:\n")
        print(f"| call | {head} | {sizes[-1]:,} − {sizes[0]:,} |")
        print("|---|" + "---|" * (len(sizes) + 1))
        for c, (label, *_rest) in enumerate(calls):
            medians = [statistics.median(table[(c, s)]) for s in range(len(sizes))]
            cells = " | ".join(ms(m) for m in medians)
            print(f"| {label} | {cells} | {(medians[-1] - medians[0]) / 1e6:+.1f} ms |")
        print()

if __name__ == "__main__":
    main()
