"""How the intent classifier's feature scaling and C change cross-validated macro F1, per language, fast.

A scikit-learn copy of the NLU pipeline of config.yml (whitespace word counts and char_wb 2-5 counts of the
lower-cased text, then a class-balanced logistic regression): the same 5 stratified folds (seeded) for every
variant, so variants compare with each other; `make nlu-report` is the figure of record (Rasa's own
cross-validation, unseeded, counting low-confidence fallbacks as errors: compare this script's figures with
each other, not with the report's). Variants: `count` (Rasa's LogisticRegressionClassifier: raw counts), `scaled` (1 + log of each count,
then the row to unit length: rasa_server/intent_classifier.py), `unit` (the row to unit length only).

Run (scikit-learn is in the Rasa venv): .venv-rasa/bin/python bench/nlu_classifier.py count:1 scaled:300
Each variant takes 5 to 12 minutes on a 2-core machine.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import yaml
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import normalize

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("ro", "it", "es")
_SPLIT = re.compile(r"[^\w#@&]+")


def examples() -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every training example's words joined by spaces, its intent and its language (by folder)."""
    texts, intents, languages = [], [], []
    for language in LANGUAGES:
        for path in sorted((ROOT / "nlu" / language).glob("*.yml")):
            for item in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu") or []:
                for line in (item.get("examples") or "").splitlines() if "intent" in item else []:
                    if line.strip().startswith("- "):
                        words = [w for w in _SPLIT.split(line.strip()[2:].lower()) if w]
                        texts.append(" ".join(words))
                        intents.append(item["intent"])
                        languages.append(language)
    return texts, np.array(intents), np.array(languages)


def features(words: sparse.csr_matrix, chars: sparse.csr_matrix, variant: str) -> sparse.csr_matrix:
    rows = sparse.hstack([words, chars]).tocsr().astype(np.float64)
    if variant == "scaled":
        rows.data = 1.0 + np.log(rows.data)
    return rows if variant == "count" else normalize(rows)


def cross_validate(variant: str, c: float, texts: list[str], intents: np.ndarray) -> np.ndarray:
    """Each example's intent as predicted by the model of the fold that did not see it."""
    predicted = np.empty(len(texts), dtype=object)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, intents):
        word_counts = CountVectorizer(analyzer=str.split, lowercase=False)
        char_counts = CountVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=False)
        seen = [texts[i] for i in train]
        unseen = [texts[i] for i in test]
        x = features(word_counts.fit_transform(seen), char_counts.fit_transform(seen), variant)
        y = features(word_counts.transform(unseen), char_counts.transform(unseen), variant)
        model = LogisticRegression(
            C=c, max_iter=200 if variant == "count" else 1000, class_weight="balanced", random_state=42
        )
        predicted[test] = model.fit(x, intents[train]).predict(y)
    return predicted.astype(str)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("variants", nargs="+", help="variant:C, e.g. count:1 scaled:300 unit:30")
    args = parser.parse_args()
    texts, intents, languages = examples()
    print(f"{len(texts)} examples; 5 folds; macro F1 over intents per language")
    for spec in args.variants:
        variant, c = spec.split(":")
        if variant not in ("count", "scaled", "unit"):
            parser.error(f"unknown variant {variant!r}")
        started = time.perf_counter()
        predicted = cross_validate(variant, float(c), texts, intents)
        scores = "  ".join(
            f"{lang} {f1_score(intents[languages == lang], predicted[languages == lang], average='macro'):.4f}"
            for lang in LANGUAGES
        )
        print(f"{variant:7s} C={c:6s} {scores}  ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
