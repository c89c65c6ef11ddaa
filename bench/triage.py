"""Speed of the safety triage (safety/triage.py) on every labelled and training message of the three
languages, and how many of the training data's ordinary examples it would alarm on.

Run: .venv/bin/python bench/triage.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from safety.triage import assess  # noqa: E402  (after the path is set)

DANGER_INTENTS = {"report_danger", "trafficking_help"}  # the help intent speaks of others in danger


def messages() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "nlu").glob("*/*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block["examples"].splitlines():
                if line.strip().startswith("- "):
                    found.append((block["intent"], line.strip()[2:]))
    for path in sorted((ROOT / "tests" / "triage").glob("*.yml")):
        data = yaml.safe_load(path.read_text())
        found += [("danger", t) for t in data["danger"]] + [("ordinary", t) for t in data["ordinary"]]
    return found


def main() -> None:
    texts = messages()
    for _, text in texts[:200]:
        assess(text)  # warm-up
    times = []
    alarms = 0
    ordinary = 0
    for intent, text in texts:
        started = time.perf_counter()
        urgent = assess(text).urgent
        times.append((time.perf_counter() - started) * 1e6)
        if intent not in DANGER_INTENTS and intent != "danger":
            ordinary += 1
            alarms += urgent
    ordered = sorted(times)
    print(f"messages: {len(texts)}")
    print(
        f"time per message: mean {statistics.fmean(times):.0f} µs, p50 {ordered[len(ordered) // 2]:.0f} µs, "
        f"p99 {ordered[int(len(ordered) * 0.99)]:.0f} µs"
    )
    print(
        f"alarms on ordinary messages (training data of other intents and tests/triage ordinary): "
        f"{alarms} of {ordinary} ({alarms / ordinary:.2%})"
    )


if __name__ == "__main__":
    main()
