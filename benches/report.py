"""The table of benches/run.sh: one row per comparison, then the budgets.

Input: tab-separated rows of FIGURE, AWSESH, PEER, PEER_VALUE, KIND. A value
is nanoseconds (median), `NS/FORKS`, or `n/a:why`. KIND says how the two
compare and which budget applies:

    faster:B    awsesh must be at least B times faster than the peer
    floor:B     awsesh may take at most B times the floor (`-`: no budget)
    startup:B   at most B times /bin/true
    prompt:NS   at most NS above a no-op, and no fork
    wrap        no fork (time: above calling the command directly)
    info        for reference only
"""

import sys

BUDGETS = {
    "prompt": "prompt overhead ≤ 0.1 ms and 0 forks, every shell and state",
    "wrap": "aws wrapper: 0 forks with a fresh session, every shell",
    "startup": "hot commands within 2× of /bin/true",
    "floor": "a refresh within 1.1× of the minimal aws-sdk-sts client",
    "faster:20": "≥ 20× faster than each peer to a fresh session",
    "faster:90": "≥ 90× faster than each peer from its cache",
}


def parse(value):
    if not value or value.startswith("n/a"):
        return None, None
    ns, _, forks = value.partition("/")
    try:
        return float(ns), (float(forks) if forks else None)
    except ValueError:
        return None, None


def duration(ns):
    if ns is None:
        return "—"
    if abs(ns) < 1e6:
        return f"{ns / 1e3:.3g} µs"
    if abs(ns) < 1e9:
        return f"{ns / 1e6:.3g} ms"
    return f"{ns / 1e9:.3g} s"


def cell(value):
    if value.startswith("n/a"):
        return value.partition(":")[2] or "n/a"
    ns, forks = parse(value)
    text = duration(ns)
    if forks is not None:
        text += f", {forks:g} fork" + ("" if forks == 1 else "s")
    return text


def times(r):
    return f"{r:.2f}×" if r < 10 else f"{r:.0f}×"


def judge(kind, mine, theirs):
    """(ratio text, budget text, met: True/False/None, budget key)"""
    name, _, arg = kind.partition(":")
    (a, af), (b, _) = parse(mine), parse(theirs)
    if name == "info" or a is None:
        return "", "", None, None
    if name == "faster":
        if b is None or a <= 0:
            return "", f"≥ {arg}×", None, kind
        r = b / a
        return f"{times(r)} faster", f"≥ {arg}×", r >= float(arg), kind
    if name in ("floor", "startup"):
        if b is None or b <= 0:
            return "", "", None, None
        r = a / b
        what = "/bin/true" if name == "startup" else "the floor"
        if arg == "-":
            return f"{times(r)} {what}", "", None, None
        return f"{times(r)} {what}", f"≤ {arg}×", r <= float(arg), name
    if name == "prompt":
        ok = a <= float(arg) and af == 0
        ratio = ""
        if b and a > 0:
            ratio = f"{times(b / a)} less" if b >= a else f"{times(a / b)} more"
        return ratio, f"≤ {float(arg) / 1e6:g} ms, 0 forks", ok, "prompt"
    if name == "wrap":
        # Two loops subtracted: a difference below zero is noise.
        ratio = f"+{duration(max(a, 0))} per call" if b is not None else ""
        return ratio, "0 forks", af == 0, "wrap"
    return "", "", None, None


def main():
    rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1]) if line.strip()]
    verdicts = {}
    print("| figure | awsesh | peer | peer's figure | ratio | budget | met |")
    print("|---|---|---|---|---|---|---|")
    last = None
    for figure, mine, peer, theirs, kind in rows:
        ratio, budget, met, key = judge(kind, mine, theirs)
        if key:
            verdicts.setdefault(key, []).append((met, f"{figure} vs {peer}"))
        shown = ("", "") if figure == last else (figure, cell(mine))
        last = figure
        mark = {True: "yes", False: "**no**", None: ""}[met]
        print(f"| {shown[0]} | {shown[1]} | {peer} | {cell(theirs)} | {ratio} | {budget} | {mark} |")
    print()
    print("Budgets:")
    for key, text in BUDGETS.items():
        results = verdicts.get(key, [])
        missed = [what for met, what in results if met is False]
        unknown = [what for met, what in results if met is None]
        if not results:
            state = "not measured"
        elif missed:
            state = "MISSED: " + "; ".join(missed)
        elif unknown:
            state = "met where measured (not measured: " + "; ".join(unknown) + ")"
        else:
            state = "met"
        print(f"- {text}: {state}")


if __name__ == "__main__":
    main()
