"""A workspace's correction of the shipped model, learned from its own labels.

logit' = scale * logit + bias + sum of weights over the n-grams that the workspace's labelled texts
contain. It is fitted on the labels (weighted up) together with anchor examples from the shipped
corpus, so a few labels move the words they name and leave the rest of the model where it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression

from core.intent import features
from core.intent.model import Model

LABEL_WEIGHT = 10.0
INTENT, OPT_OUT = 0, 1


@dataclass(frozen=True)
class Part:
    scale: float
    bias: float
    columns: np.ndarray
    weights: np.ndarray

    def apply(self, logit: np.ndarray, matrix: sp.csr_matrix) -> np.ndarray:
        delta = sp.csc_matrix(
            (self.weights, (self.columns, np.zeros(len(self.columns), dtype=np.int32))), shape=(features.SIZE, 1)
        )
        return self.scale * logit + self.bias + np.asarray((matrix @ delta).todense()).ravel()

    def to_json(self) -> dict:
        return {
            "scale": self.scale,
            "bias": self.bias,
            "columns": self.columns.tolist(),
            "weights": [round(float(w), 6) for w in self.weights],
        }

    @classmethod
    def from_json(cls, data: dict) -> Part:
        return cls(
            float(data["scale"]),
            float(data["bias"]),
            np.asarray(data["columns"], dtype=np.int32),
            np.asarray(data["weights"], dtype=np.float64),
        )


@dataclass(frozen=True)
class Adjustment:
    intent: Part | None = None
    opt_out: Part | None = None

    def to_json(self) -> dict:
        return {name: part.to_json() for name, part in (("intent", self.intent), ("opt_out", self.opt_out)) if part}

    @classmethod
    def from_json(cls, data: dict | None) -> Adjustment:
        data = data or {}
        return cls(
            Part.from_json(data["intent"]) if data.get("intent") else None,
            Part.from_json(data["opt_out"]) if data.get("opt_out") else None,
        )


def fit_part(
    model: Model,
    column: int,
    labelled: Sequence[tuple[str, bool]],
    anchors: Sequence[tuple[str, bool]],
) -> Part | None:
    """The correction of one of the model's outputs (INTENT or OPT_OUT) that the labels ask for."""
    if not labelled:
        return None
    texts = [t for t, _ in labelled] + [t for t, _ in anchors]
    y = np.array([v for _, v in labelled] + [v for _, v in anchors], dtype=int)
    if len(set(y)) < 2:
        return None
    matrix = features.matrix(texts)
    base = model.logits(matrix)[:, column]
    columns = np.unique(matrix[: len(labelled)].indices).astype(np.int32)
    design = sp.hstack([sp.csr_matrix(base.reshape(-1, 1)), matrix[:, columns]], format="csr")
    weight = np.r_[np.full(len(labelled), LABEL_WEIGHT), np.ones(len(anchors))]
    fitted = LogisticRegression(C=32.0, solver="liblinear", max_iter=1000, random_state=0)
    fitted.fit(design, y, sample_weight=weight)
    coef = fitted.coef_.ravel()
    keep = np.abs(coef[1:]) > 1e-6
    return Part(float(coef[0]), float(fitted.intercept_[0]), columns[keep], coef[1:][keep])
