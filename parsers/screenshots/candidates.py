"""Rank the codes a read may really be, most likely first, in a bounded list.

Each position has its choices with probabilities (`glyphs.settle`); a candidate's score is the
product over positions. The k best are enumerated best-first (a heap over changes from the best
read), so a long code with many doubtful characters still costs k steps, not 2^n.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence

Choices = Sequence[tuple[str, float]]


def ranked(positions: Sequence[Choices], limit: int = 32) -> list[tuple[str, float]]:
    """Up to `limit` (string, probability) pairs, most probable first: the best read first."""
    if limit <= 0:
        return []
    positions = [sorted(c, key=lambda cp: -cp[1]) for c in positions]
    best = [c[0][0] for c in positions]
    best_logp = sum(math.log(max(c[0][1], 1e-9)) for c in positions)
    # Doubtful positions and the cost of each alternative relative to the best choice there.
    doubts: list[tuple[int, list[tuple[float, str]]]] = []
    for i, choices in enumerate(positions):
        if len(choices) < 2:
            continue
        top = math.log(max(choices[0][1], 1e-9))
        alts = sorted((top - math.log(max(p, 1e-9)), c) for c, p in choices[1:] if p > 0)
        if alts:
            doubts.append((i, alts))
    out: list[tuple[str, float]] = []
    seen: set[tuple[tuple[int, int], ...]] = set()
    heap: list[tuple[float, tuple[tuple[int, int], ...]]] = [(0.0, ())]
    while heap and len(out) < limit:
        cost, changes = heapq.heappop(heap)
        if changes in seen:
            continue
        seen.add(changes)
        chars = list(best)
        for d, a in changes:
            chars[doubts[d][0]] = doubts[d][1][a][1]
        out.append(("".join(chars), math.exp(best_logp - cost)))
        changed = dict(changes)
        last = max(changed) if changed else -1
        for d in range(len(doubts)):
            alt = changed.get(d, -1) + 1
            if alt >= len(doubts[d][1]) or (d < last and d not in changed):
                continue
            new = dict(changed)
            new[d] = alt
            key = tuple(sorted(new.items()))
            if key in seen:
                continue
            delta = doubts[d][1][alt][0] - (doubts[d][1][alt - 1][0] if alt > 0 else 0.0)
            heapq.heappush(heap, (cost + delta, key))
    return out
