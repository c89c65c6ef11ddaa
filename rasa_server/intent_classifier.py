"""The intent classifier of config.yml: Rasa 3.6's logistic regression over length-normalised n-gram counts.

Rasa's `LogisticRegressionClassifier` fits raw counts with scikit-learn's default regularisation (C = 1): a long
message weighs more than a short one only because it has more n-grams, and its fixed C cannot be set from
config.yml. This subclass scales each message's features the usual way for text (counts dampened to 1 + log,
then the row to unit length, so every message weighs the same whatever its length) and takes C from the config.
Measured before it was chosen (docs/nlu-pipeline.md). Loaded by Rasa by its module path, so the repository root
must be on PYTHONPATH wherever Rasa trains or runs (ops/model.sh, ops/stack.py, ops/rasa-test.sh, the image).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize


def scaled(features: csr_matrix) -> csr_matrix:
    """Each row's counts as 1 + log(count), then the row to unit (L2) length; empty rows stay empty."""
    rows = csr_matrix(features, dtype=np.float64, copy=True)
    positive = rows.data > 0
    rows.data[positive] = 1.0 + np.log(rows.data[positive])
    return normalize(rows, norm="l2", copy=False)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ScaledLogisticRegressionClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression intent classifier on scaled features, with C from the config."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Rasa's defaults plus `C`, the inverse regularisation strength (higher fits the examples closer)."""
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        """Rasa's classifier, with the configured C."""
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))

    def _create_X(self, messages: list[Message]) -> csr_matrix:  # Rasa's name for it
        """Rasa's feature rows, scaled (training and prediction alike)."""
        return scaled(super()._create_X(messages))
