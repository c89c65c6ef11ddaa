"""Benchmark of `messaging.language.detect`: accuracy and speed on labelled samples, per language and kind.

Samples live in bench/data/language/{ro,it,es}/{words,pairs,sentences}.txt (one per line, labelled by
their folder) and bench/data/language/ambiguous.txt (texts whose language cannot be told: the right
answer is to abstain). For each backend (lingua, the default, and langdetect) it prints, per language
and kind: samples, correct, abstained, wrong, and the mean time per call; then the totals per kind
against the targets (wrong at most 5% of words, 2% of pairs, 0.5% of sentences; under 1 ms per text).

Run: .venv/bin/python bench/language.py [--backend lingua|langdetect|all]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from messaging.language import detect
from messaging.language_backends import LANGUAGES, backend

DATA = Path(__file__).resolve().parent / "data" / "language"
KINDS = ("words", "pairs", "sentences")
TARGET_WRONG = {"words": 0.05, "pairs": 0.02, "sentences": 0.005}
TARGET_MS = 1.0


@dataclass
class Tally:
    n: int = 0
    correct: int = 0
    abstained: int = 0
    wrong: int = 0
    seconds: float = 0.0

    def add(self, other: Tally) -> None:
        self.n += other.n
        self.correct += other.correct
        self.abstained += other.abstained
        self.wrong += other.wrong
        self.seconds += other.seconds

    def row(self, label: str) -> str:
        return (
            f"| {label} | {self.n} | {self.correct / self.n:.1%} | {self.abstained / self.n:.1%} | "
            f"{self.wrong / self.n:.2%} | {self.seconds / self.n * 1e6:.0f} µs |"
        )


def samples(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(texts: list[str], label: str | None, backend_name: str) -> tuple[Tally, list[tuple[str, str]]]:
    tally = Tally()
    mistakes: list[tuple[str, str]] = []
    for text in texts:
        started = time.perf_counter()
        found, _ = detect(text, backend_name)
        tally.seconds += time.perf_counter() - started
        tally.n += 1
        if found is None:
            tally.abstained += 1
        elif found == label:
            tally.correct += 1
        else:
            tally.wrong += 1
            mistakes.append((found, text))
    return tally, mistakes


def bench(backend_name: str, show_mistakes: int) -> bool:
    backend(backend_name).scores("warm up")  # load models before timing
    detect("pregătire", backend_name)
    print(f"\n### backend: {backend_name}\n")
    print("| language / kind | samples | correct | abstained | wrong | time per text |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    per_kind = {kind: Tally() for kind in KINDS}
    all_mistakes: list[tuple[str, str, str]] = []
    for language in LANGUAGES:
        for kind in KINDS:
            tally, mistakes = run(samples(DATA / language / f"{kind}.txt"), language, backend_name)
            per_kind[kind].add(tally)
            all_mistakes += [(language, found, text) for found, text in mistakes]
            print(tally.row(f"{language} {kind}"))
    ambiguous, _ = run(samples(DATA / "ambiguous.txt"), None, backend_name)
    print(
        f"| ambiguous (should abstain) | {ambiguous.n} | {ambiguous.abstained / ambiguous.n:.1%} abstained | | "
        f"{(ambiguous.n - ambiguous.abstained) / ambiguous.n:.1%} guessed | "
        f"{ambiguous.seconds / ambiguous.n * 1e6:.0f} µs |"
    )
    print("\n| kind | samples | correct | abstained | wrong | target (wrong) | time per text | met |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    ok = True
    for kind, tally in per_kind.items():
        wrong = tally.wrong / tally.n
        ms = tally.seconds / tally.n * 1000
        met = wrong <= TARGET_WRONG[kind] and ms < TARGET_MS
        ok &= met
        print(
            f"| {kind} | {tally.n} | {tally.correct / tally.n:.1%} | {tally.abstained / tally.n:.1%} | "
            f"{wrong:.2%} | ≤ {TARGET_WRONG[kind]:.1%} | {ms * 1000:.0f} µs | {'yes' if met else 'NO'} |"
        )
    if show_mistakes:
        print(f"\nFirst {show_mistakes} wrong answers (label -> detected: text):")
        for label, found, text in all_mistakes[:show_mistakes]:
            print(f"  {label} -> {found}: {text}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="all", choices=["lingua", "langdetect", "all"])
    parser.add_argument("--mistakes", type=int, default=0, help="print this many wrong answers")
    args = parser.parse_args()
    names = ["lingua", "langdetect"] if args.backend == "all" else [args.backend]
    results = {name: bench(name, args.mistakes) for name in names}
    print()
    for name, ok in results.items():
        print(f"{name}: {'all targets met' if ok else 'targets NOT met'}")
    sys.exit(0 if results.get("lingua", True) else 1)


if __name__ == "__main__":
    main()
