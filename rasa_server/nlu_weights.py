"""The intent classifier's weights laid out for the product it computes at every message.

Rasa 3.6's `LogisticRegressionClassifier` scores a message with scikit-learn's
`safe_sparse_dot(X, coef_.T)`: a sparse row of the message's n-grams times the transposed weights. The weights
are stored row-major (one row per intent), so their transpose is column-major and SciPy copies the whole
matrix (intents x every n-gram of the vocabulary) into row-major order at every message before multiplying:
about 15% of a knowledge-card turn in the Rasa process (py-spy, docs/performance.md). Stored column-major
once, at load, the transpose is row-major and nothing is copied. Same numbers, same intents.
"""

from __future__ import annotations

import numpy as np
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from sklearn.linear_model import LogisticRegression

_original_load = LogisticRegressionClassifier.load.__func__  # type: ignore[attr-defined]


def column_major(classifier: LogisticRegression) -> LogisticRegression:
    """The scikit-learn classifier with its weights column-major (unchanged if it has none)."""
    weights = getattr(classifier, "coef_", None)
    if isinstance(weights, np.ndarray) and not weights.flags.f_contiguous:
        classifier.coef_ = np.asfortranarray(weights)
    return classifier


def load(cls: type[LogisticRegressionClassifier], *args: object, **kwargs: object) -> LogisticRegressionClassifier:
    """Rasa's `load`, then the weights column-major."""
    component = _original_load(cls, *args, **kwargs)
    column_major(component.clf)
    return component


def install() -> None:
    """Make the loaded intent classifier keep its weights column-major."""
    LogisticRegressionClassifier.load = classmethod(load)  # type: ignore[method-assign,assignment]
