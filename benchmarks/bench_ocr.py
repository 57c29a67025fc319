"""Screenshot reading: how many codes come off generated TikTok screens, and at what cost.

    python -m benchmarks.bench_ocr [--screenshots N] [--start SEED] [--json PATH]

For each of N generated screenshots (tests/screenshots/generate.py: light and dark, six fonts,
2-3 wrapped lines, 40-100 % scale, PNG and JPEG 60-92): is the best read the code exactly
(what a row without TikTok gets), is the code among the first 32 candidates (what checking them
with TikTok would find), is the period right, and milliseconds per screenshot (the first read,
which loads the model, is timed apart). Broken down by mode, format, font and scale.

Engines compared while building this (same generator, same crops, 30 screenshots):
Tesseract 5.3 (Debian, whitelist, dictionaries off, psm 6) 1/30 exact on the plain crop and 3/30
with the glyph check, its LSTM inserting and dropping characters; PP-OCRv4 through RapidOCR's
own pipeline (detection + recognition) 5/30 at ~10x the time; PP-OCRv4's recognizer alone on our
line crops with the code whitelist and the glyph check (the one kept) 8/30 exact, 19/30 within
the candidates, then 29/30 once each line was cropped to its ink. On 100 (seeds 0-99, commit
after "'f' counts as an ascender"): 38 exact, 85 within 32 candidates (median rank 2), 100
periods, 641 ms median per screenshot on 2 shared EPYC cores.

Then (branch wt-ocr2) the glyph check learnt j/J (the gap under j's dot), L/l (height), marked
zeros (ink in the middle) and to skip a neighbour's stroke cut by the window. Tuned on seeds
0-99: 38 -> 54 exact, 85 -> 93 within 32. Held out, never looked at while tuning, seeds
2000-2099, old -> new reader: 35 -> 43 exact, 74 -> 77 within 32, periods 98 -> 98 (seeds
1000-1099, looked at once to check `unsure`: 53 exact, 86 within); 520 ms median per
screenshot (old: 558, same machine, load ~1-4). Still short of the targets
(2 in 3, 9 in 10): most remaining misreads are I/l/1 and O/0, which differ by a pixel of
height or width at these sizes; every such position is listed as unsure.

Then (branch wt-ocr), tuned on seeds 0-299 only: '1' told from I/l by its flag, '/' by its
lean, O/0 by the sub-pixel width of the glyph's whole run of ink over the digits' (an 'O'
overhangs its neighbours' midpoints), a monospaced face's empty round glyph leaning 'O', a
descending hooked stem read as 'J'; the engine and the geometry combined as a product of odds
(the engine's I/l lean at half weight: it is right 55-65 % of the time there; its letter case
and j/J trusted once 90 % sure: right 3,959 of 3,963 times); doubled narrow letters ('jj',
'ii') that best-path CTC decoding merged split in two; a last line of only '=' read; the code
box no longer split at a dense first line. Held out, old -> new reader, same machine and
hour (load 3-5): seeds 2000-2099 43 -> 74 exact, 77 -> 95 within 32, periods 98 -> 100,
codes read 98 -> 100, median 557 -> 415 ms (p95 770); seeds 3000-3099 55 -> 74 exact,
80 -> 92 within 32, periods 98 -> 100, median 562 -> 686 ms (p95 938; load 2.8 vs 5.0 on
those two runs). What is left is mostly 'I' against 'l' where hinting draws them the same
height: a coin flip both ways, kept among the candidates.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.report import machine
from parsers.screenshots import ScreenshotRead, read_screenshot
from tests.screenshots.generate import render


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--screenshots", type=int, default=100)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)

    mach = machine(("onnxruntime", "rapidocr-onnxruntime", "pillow", "numpy"))
    v = mach["versions"]
    print(
        f"machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable_cores']} usable), "
        f"{mach['python']}, onnxruntime {v['onnxruntime']}, rapidocr-onnxruntime "
        f"{v['rapidocr-onnxruntime']}, Pillow {v['pillow']}, numpy {v['numpy']}, "
        f"load average {' '.join(f'{x:.2f}' for x in __import__('os').getloadavg())}"
    )
    # The first read loads the model: timed apart, not in the per-screenshot figure.
    warm = render(10**6)
    started = time.perf_counter()
    read_screenshot(warm.data)
    load_ms = 1000 * (time.perf_counter() - started)

    rows: list[dict[str, Any]] = []
    for seed in range(args.start, args.start + args.screenshots):
        shot = render(seed)
        started = time.perf_counter()
        read = read_screenshot(shot.data, content_type=shot.content_type)
        ms = 1000 * (time.perf_counter() - started)
        ok = isinstance(read, ScreenshotRead)
        cands = read.candidates(32) if isinstance(read, ScreenshotRead) else []
        rows.append(
            {
                "seed": seed,
                "ms": ms,
                "read": ok,
                "exact": ok and read.code == shot.code,  # type: ignore[union-attr]
                "top32": shot.code in cands,
                "rank": cands.index(shot.code) + 1 if shot.code in cands else None,
                "period": ok and read.period_days == shot.period_days,  # type: ignore[union-attr]
                "mode": "dark" if shot.dark else "light",
                "format": shot.content_type.split("/")[1],
                "font": shot.family.removesuffix(".ttf"),
                "width": "<600 px"
                if shot.width < 600
                else "600-1000 px"
                if shot.width < 1000
                else ">=1000 px",
                "lines": f"{shot.lines} lines",
            }
        )
    n = len(rows)

    def share(key: str, subset: list[dict[str, Any]]) -> str:
        k = sum(1 for r in subset if r[key])
        return f"{k}/{len(subset)} ({100 * k / max(1, len(subset)):.0f}%)"

    ms = [r["ms"] for r in rows]
    print(
        f"screenshots: {n} generated (seeds {args.start}-{args.start + n - 1}); model load {load_ms:.0f} ms"
    )
    print(f"read a code:                 {share('read', rows)}")
    print(f"exact best read (no TikTok): {share('exact', rows)}   target >= 2/3")
    print(f"exact within top 32:         {share('top32', rows)}   target >= 9/10")
    print(f"period read right:           {share('period', rows)}")
    p95 = statistics.quantiles(ms, n=20)[-1] if len(ms) >= 2 else ms[0]
    print(
        f"ms per screenshot: median {statistics.median(ms):.0f}, p95 {p95:.0f}, "
        f"mean {statistics.mean(ms):.0f}, max {max(ms):.0f}"
    )
    ranks = [r["rank"] for r in rows if r["rank"]]
    if ranks:
        print(
            f"rank of the code among candidates when found: median {statistics.median(ranks):.0f}, max {max(ranks)}"
        )
    for key in ("mode", "format", "width", "lines", "font"):
        groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            groups[r[key]].append(r)
        print(f"by {key}:")
        for name in sorted(groups):
            g = groups[name]
            print(
                f"  {name:<26} n={len(g):>3}  exact {share('exact', g):>12}  top32 {share('top32', g):>12}"
            )
    if args.json:
        args.json.write_text(
            json.dumps({"machine": mach, "platform": platform.platform(), "rows": rows}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
