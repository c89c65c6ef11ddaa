"""Compare one NLU model for ro+it+es against one model per language, on the same held-out examples.

Holds out 20% of every intent's examples in each language (fixed seed), then trains with config.yml's
pipeline (a) one model on the three languages' remaining examples and (b) three models, one per
language, and evaluates each language's held-out examples on both. Prints intent accuracy and macro
F1 per language, training time and model size. NLU only: the dialogue rules are the same either way.

Run: .venv/bin/python bench/nlu_models.py [--config config.yml]
     (--config bench/config_diet.yml measures the DIET pipeline that was replaced: about 25 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA = ROOT / ".venv-rasa" / "bin" / "rasa"
LANGUAGES = ("ro", "it", "es")
HOLD_OUT = 0.2
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT)}


def examples(language: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "nlu" / language).glob("*.yml")):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            lines = [re.sub(r"^- ", "", line.strip()) for line in block["examples"].splitlines() if line.strip()]
            found.setdefault(block["intent"], []).extend(lines)
    return found


def write_nlu(path: Path, data: dict[str, list[str]]) -> None:
    blocks = [{"intent": intent, "examples": "".join(f"- {t}\n" for t in texts)} for intent, texts in data.items()]
    path.write_text(yaml.safe_dump({"version": "3.1", "nlu": blocks}, allow_unicode=True, sort_keys=False))


def split(seed: int = 7) -> tuple[dict[str, dict[str, list[str]]], dict[str, dict[str, list[str]]]]:
    rng = random.Random(seed)
    train: dict[str, dict[str, list[str]]] = {}
    test: dict[str, dict[str, list[str]]] = {}
    for language in LANGUAGES:
        train[language], test[language] = {}, {}
        for intent, texts in examples(language).items():
            shuffled = texts[:]
            rng.shuffle(shuffled)
            cut = max(1, round(len(shuffled) * HOLD_OUT))
            test[language][intent], train[language][intent] = shuffled[:cut], shuffled[cut:]
    return train, test


def train_model(work: Path, name: str, data: dict[str, list[str]], config: Path) -> tuple[Path, float]:
    data_file = work / f"train-{name}.yml"
    write_nlu(data_file, data)
    started = time.perf_counter()
    subprocess.run(
        [
            str(RASA),
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(data_file),
            "--out",
            str(work),
            "--fixed-model-name",
            name,
            "--quiet",
        ],
        check=True,
        env=ENV,
        cwd=work,
        capture_output=True,
    )
    return work / f"{name}.tar.gz", time.perf_counter() - started


def evaluate(work: Path, model: Path, language: str, data: dict[str, list[str]]) -> tuple[float, float]:
    test_file = work / f"test-{language}-{model.stem}.yml"
    write_nlu(test_file, data)
    out = work / f"report-{language}-{model.stem.replace('.tar', '')}"
    subprocess.run(
        [str(RASA), "test", "nlu", "--model", str(model), "--nlu", str(test_file), "--out", str(out), "--no-plot"],
        check=True,
        env=ENV,
        cwd=work,
        capture_output=True,
    )
    report = json.loads((out / "intent_report.json").read_text())
    return report["accuracy"], report["macro avg"]["f1-score"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml", help="the Rasa config to measure")
    config = parser.parse_args().config.resolve()
    print(f"pipeline: {config.relative_to(ROOT)}")
    train, test = split()
    sizes = {lang: (sum(map(len, train[lang].values())), sum(map(len, test[lang].values()))) for lang in LANGUAGES}
    with tempfile.TemporaryDirectory(prefix="nlu-compare-") as tmp:
        work = Path(tmp)
        combined = {
            intent: [t for lang in LANGUAGES for t in train[lang].get(intent, [])] for intent in train["ro"]
        }
        one_model, one_seconds = train_model(work, "combined", combined, config)
        rows = []
        per_seconds = 0.0
        per_size = 0
        for lang in LANGUAGES:
            own_model, seconds = train_model(work, f"only-{lang}", train[lang], config)
            per_seconds += seconds
            per_size += own_model.stat().st_size
            rows.append(
                (lang, evaluate(work, one_model, lang, test[lang]), evaluate(work, own_model, lang, test[lang]))
            )
        print(
            "Held-out examples per language (train / test): "
            + ", ".join(f"{lang} {tr} / {te}" for lang, (tr, te) in sizes.items())
        )
        print(
            "\n| language | one model: accuracy | one model: macro F1 | per language: accuracy | per language: macro F1 |"
        )
        print("| --- | ---: | ---: | ---: | ---: |")
        for lang, (acc1, f11), (acc3, f13) in rows:
            print(f"| {lang} | {acc1:.3f} | {f11:.3f} | {acc3:.3f} | {f13:.3f} |")
        print("\n| | one model | three models |")
        print("| --- | ---: | ---: |")
        print(f"| training time | {one_seconds:.0f} s | {per_seconds:.0f} s |")
        print(f"| model size | {one_model.stat().st_size / 1e6:.1f} MB | {per_size / 1e6:.1f} MB |")
    sys.exit(0)


if __name__ == "__main__":
    main()
