"""The labelled examples in core/data/intent: one TSV file a language, train/ for fitting, test/ held out."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "intent"
TRAIN = DATA / "train"
TEST = DATA / "test"
INTENT_KINDS = (
    "price",
    "link",
    "where_to_buy",
    "availability",
    "shipping",
    "booking",
    "commitment",
    "private_message",
    "information",
)
NEGATIVE_KINDS = (
    "compliment",
    "complaint",
    "sarcasm",
    "spam",
    "giveaway",
    "offtopic_question",
    "stop_near_miss",
    "already_bought",
    "decline",
    "chatter",
)
KINDS = (*INTENT_KINDS, *NEGATIVE_KINDS, "opt_out")
COLUMNS = ["text", "intent", "opt_out", "kind"]


@dataclass(frozen=True)
class Example:
    text: str
    intent: bool
    opt_out: bool
    kind: str
    language: str


class CorpusError(ValueError):
    pass


def read_file(path: Path, language: str | None = None) -> list[Example]:
    """The examples of one file; a malformed line is an error naming the file and line."""
    language = language or path.stem
    examples = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header != COLUMNS:
            raise CorpusError(f"{path}: the first line must be {'<TAB>'.join(COLUMNS)}")
        for number, row in enumerate(reader, start=2):
            if len(row) != 4 or row[1] not in ("0", "1") or row[2] not in ("0", "1") or row[3] not in KINDS:
                raise CorpusError(f"{path}:{number}: expected text, intent 0/1, opt_out 0/1 and a known kind")
            intent, opt_out = row[1] == "1", row[2] == "1"
            if intent and opt_out:
                raise CorpusError(f"{path}:{number}: a line cannot be both intent and opt-out")
            examples.append(Example(row[0].strip(), intent, opt_out, row[3], language))
    return [e for e in examples if e.text]


def read_folder(folder: Path) -> list[Example]:
    """Every *.tsv of a folder, the file name starting with the language ('fr.tsv', 'es-b.tsv')."""
    return [example for path in sorted(folder.glob("*.tsv")) for example in read_file(path, path.stem.split("-")[0])]
