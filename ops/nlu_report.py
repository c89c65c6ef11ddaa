"""`make nlu-report`: how well the assistant understands each language, measured, written to
docs/nlu-report.md.

Runs Rasa's 5-fold cross-validation of the production pipeline (config.yml) on the training data of
all three languages together, as the one production model is trained, then splits the held-out
predictions by language: intent accuracy, macro F1 over intents, and the most confused pairs. Adds the
safety triage's recall and false alarms on tests/triage/*.yml and the time to train the whole model.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import yaml

from ops.stack import ROOT
from safety.triage import assess

LANGUAGES = ("ro", "it", "es")
TARGET_F1 = 0.90
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
# The repository root on PYTHONPATH: config.yml names a classifier of ours (rasa_server/intent_classifier.py).
ENV = {
    **os.environ,
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "PYTHONWARNINGS": "ignore",
    "PYTHONPATH": str(ROOT),
}


def languages_of_examples() -> dict[str, str]:
    """Which language each training example is written in (by the folder it is in)."""
    found = {}
    for lang in LANGUAGES:
        for path in (ROOT / "nlu" / lang).glob("*.yml"):
            for item in yaml.safe_load(path.read_text()).get("nlu") or []:
                for line in item.get("examples", "").splitlines():
                    if line.strip().startswith("- "):
                        found[line.strip()[2:].strip()] = lang
    return found


def cross_validate(folds: int, out: Path) -> list[tuple[str, str, str]]:
    """Held-out predictions of every example: (text, true intent, predicted intent)."""
    subprocess.run(
        [
            str(RASA),
            "test",
            "nlu",
            "--nlu",
            "nlu",
            "--config",
            "config.yml",
            "--cross-validation",
            "--folds",
            str(folds),
            "--out",
            str(out),
            "--successes",
            "--no-plot",
            "--quiet",
        ],
        cwd=ROOT,
        env=ENV,
        check=True,
    )
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        for item in json.loads(path.read_text()) if path.exists() else []:
            predicted = (item.get("intent_prediction") or {}).get("name") or "none"
            rows.append((item["text"], item["intent"], predicted))
    return rows


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    """Macro-averaged F1 over the true intents of (true, predicted) pairs."""
    intents = {t for t, _ in pairs}
    scores = []
    for intent in intents:
        tp = sum(1 for t, p in pairs if t == intent and p == intent)
        fp = sum(1 for t, p in pairs if t != intent and p == intent)
        fn = sum(1 for t, p in pairs if t == intent and p != intent)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def train_seconds() -> float:
    """Time to train the whole production model (NLU and dialogue) from scratch."""
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run(
            [
                str(RASA),
                "train",
                "--domain",
                "bot/domain",
                "--data",
                "nlu",
                "stories",
                "--config",
                "config.yml",
                "--out",
                tmp,
                "--quiet",
                "--force",
            ],
            cwd=ROOT,
            env=ENV,
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - started


def triage_rows() -> list[str]:
    """Table rows: the safety triage's recall and false alarms per language."""
    rows = []
    for lang in LANGUAGES:
        data = yaml.safe_load((ROOT / "tests" / "triage" / f"{lang}.yml").read_text())
        caught = sum(assess(t).urgent for t in data["danger"])
        alarms = sum(assess(t).urgent for t in data["ordinary"])
        rows.append(
            f"| {lang} | {len(data['danger'])} | {caught / len(data['danger']):.1%} | {len(data['ordinary'])} "
            f"| {alarms / len(data['ordinary']):.1%} |"
        )
    return rows


BLIND_HEADING = "## The blind set"


def _kept_section(path: Path, heading: str) -> list[str]:
    """A section of the existing report that this command does not measure (the blind set's figures come
    from `make test`, tests/test_nlu_blind.py), kept as it is; empty when there is none."""
    if not path.exists():
        return []
    kept: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            if kept:
                break
            if not line.startswith(heading):
                continue
        if line.startswith(heading) or kept:
            kept.append(line)
    return kept


def main() -> None:
    """Measure and write the report."""
    parser = argparse.ArgumentParser(prog="python -m ops.nlu_report")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "nlu-report.md")
    args = parser.parse_args()
    language_of = languages_of_examples()
    with tempfile.TemporaryDirectory() as tmp:
        predictions = cross_validate(args.folds, Path(tmp))
    by_language: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for text, true, predicted in predictions:
        by_language[language_of.get(text, "?")].append((true, predicted))
    lines = [
        "# Understanding: measured",
        "",
        f"Written by `make nlu-report` (ops/nlu_report.py) on {time.strftime('%Y-%m-%d')}. {args.folds}-fold",
        "cross-validation of the production pipeline (config.yml) over the examples of all three languages",
        "together (one model, as in production); each example is predicted by a model that did not see it, and",
        "the predictions are split by the language the example is written in. `nlu_fallback` (low confidence)",
        "counts as an error. Target: macro F1 at least 0.90 in each language.",
        "",
        "| language | examples | intent accuracy | macro F1 | target met |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    confusions: dict[str, Counter[tuple[str, str]]] = {}
    for lang in LANGUAGES:
        pairs = by_language[lang]
        accuracy = sum(t == p for t, p in pairs) / len(pairs)
        f1 = macro_f1(pairs)
        lines.append(
            f"| {lang} | {len(pairs)} | {accuracy:.1%} | {f1:.3f} | {'yes' if f1 >= TARGET_F1 else 'NO'} |"
        )
        confusions[lang] = Counter((t, p) for t, p in pairs if t != p)
    lines += ["", *_kept_section(args.out, BLIND_HEADING)]
    lines += ["## Most confused pairs (true → predicted: count)", ""]
    for lang in LANGUAGES:
        worst = ", ".join(f"{t} → {p}: {n}" for (t, p), n in confusions[lang].most_common(6)) or "none"
        lines.append(f"- **{lang}**: {worst}")
    lines += [
        "",
        "## Safety triage (safety/triage.py) on tests/triage/*.yml",
        "",
        "| language | danger messages | recall | ordinary questions | false alarms |",
        "| --- | ---: | ---: | ---: | ---: |",
        *triage_rows(),
        "",
        "## Training",
        "",
        f"Training the whole model (NLU and dialogue rules) from scratch here: {train_seconds():.0f} s.",
        "",
    ]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
