"""The top reasons of a score, in words ("3 comments in 48 h", "asked for the price")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

MAX_REASONS = 4


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _when(recent: int, total: int) -> tuple[int, str]:
    # Prefer the recent count: "3 comments in 48 h" says more than "12 comments".
    return (recent, " in 48 h") if recent else (total, "")


def _phrase(
    signal: str, counts: Mapping[str, int], recent: Mapping[str, int], posts: int, intent_reasons: Sequence[str]
) -> list[str]:
    n, r = counts.get(signal, 0), recent.get(signal, 0)
    if signal in ("order", "dm_question", "intent"):
        return list(intent_reasons) or ["showed buying intent"]
    if signal == "repeat_posts":
        return [f"engaged on {posts} posts"] if posts > 1 else []
    if n == 0:
        return []
    count, when = _when(r, n)
    words = {
        "message": _plural(count, "message", "messages"),
        "story": _plural(count, "story reply or mention", "story replies or mentions"),
        "comment": _plural(count, "comment", "comments"),
        "reply": _plural(count, "reply in a thread", "replies in threads"),
        "mention": "mentioned you" + ("" if count == 1 else f" {count} times"),
        "hidden": _plural(count, "hidden comment", "hidden comments"),
        "opt_out": "asked not to be contacted",
    }[signal]
    return [words + (when if signal not in ("opt_out",) else "")]


def build(
    breakdown: Mapping[str, float],
    counts: Mapping[str, int],
    recent: Mapping[str, int],
    posts: int,
    intent_reasons: Sequence[str] = (),
) -> list[str]:
    """The signals that weigh most (by absolute contribution), each said in words; at most MAX_REASONS."""
    ranked = sorted((s for s, v in breakdown.items() if v), key=lambda s: -abs(breakdown[s]))
    reasons: list[str] = []
    for signal in ranked:
        for phrase in _phrase(signal, counts, recent, posts, intent_reasons):
            if phrase not in reasons:
                reasons.append(phrase)
    return reasons[:MAX_REASONS]
