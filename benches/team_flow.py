"""The team's current flow (shared/mission): a Python script that reads the MFA
device's ARN from a file it cached on first use, reads the code, runs
`aws sts get-session-token` for 12 hours and prints `export` lines that the
user evals in one bash shell:

    eval "$(python3 team_flow.py < code)"

Reproduced for the benchmark with the same steps and the same process tree
(Python, then the AWS CLI as a child). The code comes from stdin instead of
the terminal, so that it can be supplied without one.
"""

import json
import pathlib
import shlex
import subprocess
import sys

SESSION_SECONDS = 43200


def main():
    arn_file = pathlib.Path(sys.argv[1])
    serial = arn_file.read_text().strip()
    print(f"using MFA device with serial ID {serial}", file=sys.stderr)
    code = sys.stdin.readline().strip()
    answer = subprocess.run(
        ["aws", "sts", "get-session-token",
         "--duration-seconds", str(SESSION_SECONDS),
         "--serial-number", serial, "--token-code", code],
        stdout=subprocess.PIPE, check=True,
    )
    credentials = json.loads(answer.stdout)["Credentials"]
    for name, key in (("AWS_ACCESS_KEY_ID", "AccessKeyId"),
                      ("AWS_SECRET_ACCESS_KEY", "SecretAccessKey"),
                      ("AWS_SESSION_TOKEN", "SessionToken")):
        print(f"export {name}={shlex.quote(credentials[key])}")


if __name__ == "__main__":
    main()
