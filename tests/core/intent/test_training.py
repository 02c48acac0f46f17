"""`python -m core.intent.train`: reproducible training from TSV files, arrays only, clear corpus errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core import intent
from core.intent import model as reader_model
from core.intent.corpus import CorpusError, read_file

TINY = Path(__file__).parent / "tiny_corpus"
ROOT = Path(__file__).resolve().parents[3]


def _train(out: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            *(sys.executable, "-m", "core.intent.train", "--corpus", str(TINY), "--test", str(TINY)),
            *("--out", str(out / "model.npz"), "--meta", str(out / "model.json")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_command_trains_the_same_model_twice_and_it_reads(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    done = _train(first)
    assert done.returncode == 0, done.stderr
    assert "trained on 49 examples" in done.stdout and "en: intent F1" in done.stdout
    assert _train(second).returncode == 0

    with np.load(first / "model.npz", allow_pickle=False) as a, np.load(second / "model.npz", allow_pickle=False) as b:
        assert set(a.files) == {"rows", "cols", "values", "bias"}
        for name in a.files:
            assert np.array_equal(a[name], b[name])
    meta = json.loads((first / "model.json").read_text())
    assert meta["examples"] == 49 and meta["languages"] == ["en", "fr"]

    tiny = reader_model.read(first / "model.npz", first / "model.json")
    readings = intent.classify_many(["prix svp", "remove me from your list"], model=tiny)
    assert readings[0].has_intent and readings[1].is_opt_out


def test_a_model_trained_for_other_features_is_refused(tmp_path):
    assert _train(tmp_path).returncode == 0
    meta = json.loads((tmp_path / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**meta, "features": 1024}))
    with pytest.raises(ValueError, match="features"):
        reader_model.read(tmp_path / "model.npz", tmp_path / "model.json")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("text\tlabel\nhi\t1\n", "first line"),
        ("text\tintent\topt_out\tkind\nhow much\t1\t0\tprices\n", ":2:"),
        ("text\tintent\topt_out\tkind\nhow much\t1\t1\tprice\n", "both intent and opt-out"),
        ("text\tintent\topt_out\tkind\nok\tyes\t0\tchatter\n", ":2:"),
    ],
)
def test_a_malformed_corpus_line_is_named(tmp_path, content, problem):
    bad = tmp_path / "en.tsv"
    bad.write_text(content, encoding="utf-8")
    with pytest.raises(CorpusError, match=problem):
        read_file(bad)
