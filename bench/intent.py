"""Reading-people benchmark: the learned reader against the keyword reader it replaced, in the same run.

On the held-out corpus (core/data/intent/test, written independently of the training set, never trained
on): intent F1, precision and recall per language, opt-out precision and recall, and how often each kind
of hard negative is misread. Then speed on one core (comments a second, batches of 500, both readers),
model load time and extra memory in a fresh process, and a restaurant workspace's own vocabulary
(core/data/intent/workspaces/restaurant.tsv): F1 on its held-out examples with the shipped model and
after its first 50 labels.

    .venv/bin/python bench/intent.py [--size small|full] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the aim says
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import keyword_reader  # noqa: E402

from core import intent  # noqa: E402
from core.intent.corpus import DATA, NEGATIVE_KINDS, TEST, Example, read_file, read_folder  # noqa: E402
from core.intent.evaluate import Counts, Report, evaluate  # noqa: E402
from core.services.reading import versions  # noqa: E402

LANGUAGES = ("en", "fr", "es", "de", "it", "pt")
WORKSPACE_LABELS = 50


def learned(texts):
    return [(c.has_intent, c.is_opt_out) for c in intent.classify_many(texts)]


def keywords(texts):
    return [(c.has_intent, c.is_opt_out) for c in (keyword_reader.classify(t) for t in texts)]


def speed(reader, texts: list[str], rounds: int) -> float:
    batches = [texts[i : i + 500] for i in range(0, len(texts), 500)]
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        for batch in batches:
            reader(batch)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


LOAD_SCRIPT = """
import time, json
import flask, sqlalchemy
import sklearn.isotonic, sklearn.linear_model  # loaded by every process before the reader (core.scoring.calibration)
def rss():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
before = rss()
started = time.perf_counter()
from core import intent
intent.classify("how much?")
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "extra_mb": (rss() - before) / 1024}))
"""


def load_cost() -> dict:
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", LOAD_SCRIPT],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"},  # as a real process runs
            ).stdout
        )
        for _ in range(3)
    ]
    return {"seconds": sorted(r["seconds"] for r in runs)[1], "extra_mb": sorted(r["extra_mb"] for r in runs)[1]}


def workspace_vocabulary(splits: int) -> dict:
    """F1 on the restaurant's held-out examples, shipped and after its first 50 labels, over random splits."""
    examples = read_file(DATA / "workspaces" / "restaurant.tsv", "fr")
    label = {True: "buyer", False: "not_buyer"}
    before, after = [], []
    for seed in range(splits):
        order = list(range(len(examples)))
        random.Random(seed).shuffle(order)
        taught = [examples[i] for i in order[:WORKSPACE_LABELS]]
        held = [examples[i] for i in order[WORKSPACE_LABELS:]]
        adjustment = versions.fit([(e.text, "opt_out" if e.opt_out else label[e.intent]) for e in taught])
        for results, adjust in ((before, None), (after, adjustment)):
            counts = Counts()
            for example, reading in zip(held, intent.classify_many([e.text for e in held], adjust), strict=True):
                counts.add(example.intent, reading.has_intent)
            results.append(counts.f1)
    gains = [b - a for a, b in zip(before, after, strict=True)]
    return {
        "held": len(examples) - WORKSPACE_LABELS,
        "splits": splits,
        "before": sum(before) / splits,
        "after": sum(after) / splits,
        "better": sum(g > 0 for g in gains),
        "worse": sum(g < 0 for g in gains),
    }


def restaurant(v: dict) -> str:
    return (
        f"intent F1 on its {v['held']} held-out examples {v['before']:.3f} with the shipped model, {v['after']:.3f} "
        f"after {WORKSPACE_LABELS} labels (mean of {v['splits']} random splits; better in {v['better']}, "
        f"worse in {v['worse']})"
    )


def table(report: Report, baseline: Report) -> list[str]:
    rows = [
        "| language | intent F1 (P / R) | keyword reader F1 (P / R) | opt-out P / R | keyword reader opt-out P / R |",
        "|---|---|---|---|---|",
    ]
    for language in (*LANGUAGES, "all"):
        if language not in report.intent:
            continue
        a, b = report.intent[language], baseline.intent[language]
        oa, ob = report.opt_out[language], baseline.opt_out[language]
        rows.append(
            f"| {language} | {a.f1:.3f} ({a.precision:.2f} / {a.recall:.2f}) | {b.f1:.3f} ({b.precision:.2f} / "
            f"{b.recall:.2f}) | {oa.precision:.3f} / {oa.recall:.3f} | {ob.precision:.3f} / {ob.recall:.3f} |"
        )
    return rows


def kinds(report: Report, baseline: Report) -> list[str]:
    rows = ["| kind | examples | misread, learned | misread, keywords |", "|---|---|---|---|"]
    for kind in (*NEGATIVE_KINDS, "opt_out"):
        wrong, total = report.wrong_by_kind.get(kind, (0, 0))
        old, _ = baseline.wrong_by_kind.get(kind, (0, 0))
        rows.append(f"| {kind} | {total} | {wrong} ({wrong / max(total, 1):.0%}) | {old} ({old / max(total, 1):.0%}) |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", choices=["small", "full"], default="small")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    examples: list[Example] = read_folder(TEST)
    report, baseline = evaluate(learned, examples), evaluate(keywords, examples)
    lines = table(report, baseline)
    print("\n".join(lines))
    print("\n".join(kinds(report, baseline)))

    texts = [e.text for e in examples] * (20 if args.size == "full" else 5)
    rounds = 5 if args.size == "full" else 3
    fast, slow = speed(learned, texts, rounds), speed(keywords, texts, rounds)
    print(f"speed: learned {fast:,.0f} comments/s, keywords {slow:,.0f} comments/s, ratio {fast / slow:.2f}")
    cost = load_cost()
    print(f"load: {cost['seconds']:.2f} s, extra memory {cost['extra_mb']:.0f} MB")
    vocabulary = workspace_vocabulary(10 if args.size == "full" else 5)
    print(f"restaurant workspace: {restaurant(vocabulary)}")
    if args.write_docs:
        write_docs(lines, kinds(report, baseline), len(examples), fast, slow, cost, vocabulary)


def write_docs(lines, kind_rows, n, fast, slow, cost, vocabulary) -> None:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = "\n".join(
        [
            "## Intent",
            "",
            f"`bench/intent.py` on {datetime.now(UTC).date().isoformat()}: the learned reader (core.intent) against "
            "the keyword reader it replaced (bench/keyword_reader.py), on the "
            f"{n} held-out examples of core/data/intent/test (written apart from the training set, never trained on).",
            "Aims: intent F1 >= 0.92 in English and French, >= 0.85 in the others; opt-out recall >= 0.98 with "
            "precision >= 0.95; 5,000 comments/s on one core; load under 1 s; under 100 MB extra memory.",
            "",
            *lines,
            "",
            "Hard negatives (and opt-outs) misread, by kind:",
            "",
            *kind_rows,
            "",
            f"- Speed on one core, batches of 500: learned {fast:,.0f} comments/s, keyword reader {slow:,.0f} "
            f"(ratio {fast / slow:.2f}).",
            f"- Load in a fresh process that has what VistaFlow loaded before the reader (Flask, SQLAlchemy and "
            f"scikit-learn's linear models, for the score's calibration): {cost['seconds']:.2f} s, "
            f"{cost['extra_mb']:.0f} MB extra (the hashing vectorizers and the model's arrays).",
            f"- A restaurant's own vocabulary (core/data/intent/workspaces/restaurant.tsv): {restaurant(vocabulary)}.",
            "",
        ]
    )
    start = text.find("## Intent")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    path.write_text(text)


if __name__ == "__main__":
    main()
