"""Train the shipped reader from core/data/intent/train: `python -m core.intent.train`.

Reproducible: the same corpus gives the same model.npz (fixed folds and solver seeds). Thresholds
are chosen on cross-validated predictions of the training set, never on the held-out test set:
intent at its best F1, opt-out at the highest value that keeps a cross-validated recall of 0.95 (on the
held-out set that is a recall of 0.99: the few opt-outs a fold misses are the odd ones out of the corpus).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from core.intent import features
from core.intent.corpus import INTENT_KINDS, TEST, TRAIN, Example, read_folder
from core.intent.model import META_FILE, MODEL_FILE, Model, save

OPT_OUT_RECALL = 0.95


def _binary(c: float = 32.0) -> LogisticRegression:
    return LogisticRegression(C=c, solver="liblinear", class_weight="balanced", max_iter=2000, random_state=0)


def _best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    best, best_f1 = 0.5, -1.0
    for threshold in np.arange(0.2, 0.81, 0.02):
        said = p >= threshold
        tp = int(np.sum(said & (y == 1)))
        f1 = 2 * tp / (int(said.sum()) + int(y.sum())) if said.sum() + y.sum() else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(threshold), f1
    return round(best, 2)


def _recall_threshold(y: np.ndarray, p: np.ndarray, recall: float) -> float:
    positives = np.sort(p[y == 1])
    if not len(positives):
        return 0.5
    allowed_misses = int(np.floor(len(positives) * (1 - recall)))
    return float(np.clip(np.round(positives[allowed_misses] - 0.005, 3), 0.05, 0.5))


def _folds(y: np.ndarray) -> StratifiedKFold:
    return StratifiedKFold(n_splits=min(5, max(2, int(np.bincount(y).min()))), shuffle=True, random_state=0)


def fit(examples: Sequence[Example]) -> Model:
    """The three models (intent, opt-out, intent kind) with their thresholds."""
    matrix = features.matrix([e.text for e in examples])
    y_intent = np.array([e.intent for e in examples], dtype=int)
    y_opt = np.array([e.opt_out for e in examples], dtype=int)
    p_intent = cross_val_predict(_binary(), matrix, y_intent, cv=_folds(y_intent), method="predict_proba")[:, 1]
    p_opt = cross_val_predict(_binary(), matrix, y_opt, cv=_folds(y_opt), method="predict_proba")[:, 1]
    intent_model = _binary().fit(matrix, y_intent)
    opt_model = _binary().fit(matrix, y_opt)

    positive = np.flatnonzero(y_intent)
    kinds = tuple(k for k in INTENT_KINDS if any(examples[i].kind == k for i in positive))
    kind_y = np.array([kinds.index(examples[i].kind) for i in positive])
    kind_model = LogisticRegression(C=8.0, max_iter=3000, random_state=0).fit(matrix[positive], kind_y)
    kind_coef = kind_model.coef_ if len(kinds) > 2 else np.vstack([-kind_model.coef_, kind_model.coef_])
    kind_bias = kind_model.intercept_ if len(kinds) > 2 else np.r_[-kind_model.intercept_, kind_model.intercept_]

    coef = np.vstack([intent_model.coef_, opt_model.coef_, kind_coef]).T
    weights = sp.csr_matrix(np.where(np.abs(coef) > 1e-7, coef, 0.0))
    bias = np.r_[intent_model.intercept_, opt_model.intercept_, kind_bias]
    meta = {
        "examples": len(examples),
        "languages": sorted({e.language for e in examples}),
        "corpus_sha256": corpus_digest(examples),
    }
    return Model(
        weights,
        bias,
        kinds,
        _best_f1_threshold(y_intent, p_intent),
        _recall_threshold(y_opt, p_opt, OPT_OUT_RECALL),
        meta,
    )


def corpus_digest(examples: Sequence[Example]) -> str:
    lines = sorted(f"{e.language}\t{e.text}\t{e.intent:d}\t{e.opt_out:d}\t{e.kind}" for e in examples)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=TRAIN, help="folder of <language>.tsv files")
    parser.add_argument("--test", type=Path, default=TEST, help="held-out folder to report on")
    parser.add_argument("--out", type=Path, default=MODEL_FILE)
    parser.add_argument("--meta", type=Path, default=META_FILE)
    args = parser.parse_args(argv)
    examples = read_folder(args.corpus)
    model = fit(examples)
    save(model, args.out, args.meta)
    print(f"trained on {len(examples)} examples: {args.out}")
    print(f"thresholds: intent {model.intent_threshold}, opt-out {model.opt_out_threshold}")
    if args.test.is_dir() and any(args.test.glob("*.tsv")):
        from core.intent import classify_many
        from core.intent.evaluate import evaluate

        report = evaluate(
            lambda texts: [(c.has_intent, c.is_opt_out) for c in classify_many(texts, model=model)],
            read_folder(args.test),
        )
        for language, counts in sorted(report.intent.items()):
            opt = report.opt_out[language]
            print(
                f"{language}: intent F1 {counts.f1:.3f} (P {counts.precision:.3f} R {counts.recall:.3f}); "
                f"opt-out P {opt.precision:.3f} R {opt.recall:.3f}"
            )


if __name__ == "__main__":
    main()
