"""The trained reader: three linear models over the same hashed n-grams, stored as plain arrays (no pickle).

Columns of the weight matrix: 0 buying intent, 1 opt-out, then one per intent kind (which reason to give).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from core.intent.corpus import DATA
from core.intent.features import SIZE

MODEL_FILE = DATA / "model.npz"
META_FILE = DATA / "model.json"


@dataclass(frozen=True)
class Model:
    weights: sp.csr_matrix  # SIZE x (2 + kinds)
    bias: np.ndarray
    kinds: tuple[str, ...]
    intent_threshold: float
    opt_out_threshold: float
    meta: dict

    @cached_property
    def intent_coef(self) -> np.ndarray:
        """The intent weights as one dense vector (explanations read it for every positive)."""
        return _dense_column(self, 0)

    @cached_property
    def _readings(self) -> np.ndarray:
        # Intent and opt-out weights dense (13 MB, float64 like the features, so no copy a call): every text is
        # read by them, and a sparse product costs more.
        return np.asarray(self.weights[:, :2].todense(), dtype=np.float64)

    @cached_property
    def _kinds(self) -> sp.csr_matrix:
        return self.weights[:, 2:].tocsr()

    def logits(self, features: sp.csr_matrix) -> np.ndarray:
        """Rows of [intent, opt-out] logits."""
        return features @ self._readings + self.bias[:2]

    def kinds_of(self, rows: sp.csr_matrix) -> list[str]:
        """Which kind of buying intent each text shows (the reason's words), in one product."""
        if rows.shape[0] == 0:
            return []
        # Only the weight rows the texts use: scipy checks every index of both operands at each product, and
        # the whole 786,432-row matrix cost three times the arithmetic.
        used, columns = np.unique(rows.indices, return_inverse=True)
        narrow = sp.csr_matrix((rows.data, columns, rows.indptr), shape=(rows.shape[0], len(used)))
        scores = (narrow @ self._kinds[used]).toarray() + self.bias[2:]
        return [self.kinds[int(i)] for i in np.argmax(scores, axis=1)]


def _dense_column(model: Model, column: int) -> np.ndarray:
    return np.asarray(model.weights[:, column].todense()).ravel()


def save(model: Model, path: Path = MODEL_FILE, meta_path: Path = META_FILE) -> None:
    coo = model.weights.tocoo()
    np.savez_compressed(
        path,
        rows=coo.row.astype(np.int32),
        cols=coo.col.astype(np.int16),
        values=coo.data.astype(np.float32),
        bias=model.bias.astype(np.float64),
    )
    meta = dict(model.meta)
    meta.update(
        kinds=list(model.kinds),
        intent_threshold=model.intent_threshold,
        opt_out_threshold=model.opt_out_threshold,
        features=SIZE,
    )
    meta_path.write_text(json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


def read(path: Path = MODEL_FILE, meta_path: Path = META_FILE) -> Model:
    """The model in `path`; arrays only (allow_pickle=False), so a file can never run code."""
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if meta.get("features") != SIZE:
        raise ValueError(f"{path} was trained with {meta.get('features')} features, this code reads {SIZE}")
    with np.load(path, allow_pickle=False) as arrays:
        kinds = tuple(meta["kinds"])
        weights = sp.csr_matrix(
            (arrays["values"], (arrays["rows"], arrays["cols"].astype(np.int32))), shape=(SIZE, 2 + len(kinds))
        )
        bias = arrays["bias"]
    return Model(weights, bias, kinds, float(meta["intent_threshold"]), float(meta["opt_out_threshold"]), meta)


@cache
def shipped() -> Model:
    """The model trained from the repository's corpus (python -m core.intent.train), loaded once a process."""
    return read()
