"""How well a reader does on labelled examples: F1 per language, opt-out recall, false positives per kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.intent.corpus import Example

Reader = Callable[[Sequence[str]], list[tuple[bool, bool]]]  # texts -> (has_intent, is_opt_out)


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, truth: bool, said: bool) -> None:
        if truth and said:
            self.tp += 1
        elif said:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    intent: dict[str, Counts]
    opt_out: dict[str, Counts]
    wrong_by_kind: dict[str, tuple[int, int]]  # kind -> (misread, total)


def evaluate(reader: Reader, examples: Sequence[Example]) -> Report:
    said = reader([e.text for e in examples])
    intent: dict[str, Counts] = defaultdict(Counts)
    opt_out: dict[str, Counts] = defaultdict(Counts)
    wrong: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for example, (has_intent, is_opt_out) in zip(examples, said, strict=True):
        for key in (example.language, "all"):
            intent[key].add(example.intent, has_intent)
            opt_out[key].add(example.opt_out, is_opt_out)
        misread = (has_intent, is_opt_out) != (example.intent, example.opt_out)
        wrong[example.kind][0] += misread
        wrong[example.kind][1] += 1
    return Report(dict(intent), dict(opt_out), {k: (v[0], v[1]) for k, v in wrong.items()})
