"""Parse speed of `parsers.extract.extract` against bare mail-parser, same messages, same run.

    python -m benchmarks.bench_parse [--messages N] [--repeat R] [--seed S] [--json PATH]
    python -m benchmarks.bench_parse --profile [--messages N] [--profile-out PATH]
    python -m benchmarks.bench_parse --check [--messages N]
    python -m benchmarks.bench_parse --instructions [--messages N] [--seed S] [--json PATH]

The baseline is what any code reading these emails must pay: mail-parser decoding the MIME
(`MailParser.from_bytes` and reading the decoded bodies, attachments and main headers). The
parse side is the whole extraction, which includes that same decoding. Passes alternate
(baseline, parse, parse, baseline, ...) over the same in-memory messages so that machine noise
falls on both; each side's figure is its best pass. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mailparser

import parsers
import pipeline
from benchmarks.corpus import Sample, describe, generate, generate_detailed
from benchmarks.report import machine, profile_tops
from parsers.extract import extract

TARGET_RATIO = 1.5
PROJECT_DIRS = tuple(
    str(Path(str(p.__file__)).resolve().parent) + os.sep for p in (parsers, pipeline)
)


def baseline_one(raw: bytes) -> object:
    """Bare mail-parser: decode and read what any consumer of the email would read."""
    mail = mailparser.MailParser.from_bytes(raw)
    return (mail.text_plain, mail.text_html, mail.attachments, mail.subject, mail.from_, mail.date)


def parse_one(raw: bytes) -> object:
    return extract(raw, "bench")


# --------------------------------------------------------------------------- timing


@dataclass(slots=True)
class Side:
    name: str
    passes: list[float]  # seconds per whole pass
    per_message: list[float]  # each message's best time over all passes

    @property
    def best(self) -> float:
        return min(self.passes)


def _timed_pass(fn: Callable[[bytes], object], messages: Sequence[bytes]) -> list[float]:
    gc.collect()
    clock = time.perf_counter
    out = []
    for raw in messages:
        t0 = clock()
        fn(raw)
        out.append(clock() - t0)
    return out


def run_bench(messages: Sequence[bytes], repeat: int) -> tuple[Side, Side]:
    warm = messages[: min(20, len(messages))]
    for raw in warm:  # imports, compiled regexes, lexbor, caches: not part of the figures
        baseline_one(raw)
        parse_one(raw)
    sides = {
        "baseline": Side("mail-parser", [], [float("inf")] * len(messages)),
        "parse": Side("extract", [], [float("inf")] * len(messages)),
    }
    fns = {"baseline": baseline_one, "parse": parse_one}
    for r in range(repeat):
        order = ("baseline", "parse") if r % 2 == 0 else ("parse", "baseline")
        for key in order:
            times = _timed_pass(fns[key], messages)
            side = sides[key]
            side.passes.append(sum(times))
            side.per_message = [min(a, b) for a, b in zip(side.per_message, times, strict=True)]
            print(f"  pass {r + 1}/{repeat} {side.name:<11} {sum(times):7.3f} s", flush=True)
    return sides["baseline"], sides["parse"]


# --------------------------------------------------------------------------- report


def _side_figures(side: Side, n: int, total_bytes: int) -> dict[str, Any]:
    mb = total_bytes / 1e6
    return {
        "best_s": round(side.best, 4),
        "median_s": round(statistics.median(side.passes), 4),
        "passes_s": [round(p, 4) for p in side.passes],
        "messages_per_s": round(n / side.best, 1),
        "mb_per_s": round(mb / side.best, 2),
        "ms_per_message": round(1000 * side.best / n, 3),
    }


def _per_kind(samples: Sequence[Sample], base: Side, parse: Side) -> dict[str, dict[str, Any]]:
    kinds: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        kinds.setdefault(s.kind, []).append(i)
    out = {}
    for kind, idx in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
        b = sum(base.per_message[i] for i in idx)
        p = sum(parse.per_message[i] for i in idx)
        out[kind] = {
            "messages": len(idx),
            "mean_kb": round(sum(len(samples[i].raw) for i in idx) / len(idx) / 1024, 1),
            "baseline_ms": round(1000 * b / len(idx), 2),
            "parse_ms": round(1000 * p / len(idx), 2),
            "ratio": round(p / b, 2) if b else None,
        }
    return out


def _print_corpus(desc: dict[str, Any], samples: Sequence[Sample], gen_s: float) -> None:
    sz = desc["size_bytes"]
    with_codes = sum(1 for s in samples if s.planted)
    codes = sum(len(s.planted) for s in samples)
    print(
        f"corpus: {desc['messages']} messages, {desc['total_bytes'] / 1e6:.2f} MB "
        f"(generated in {gen_s:.1f} s)\n"
        f"  size KB: min {sz['min'] / 1024:.1f}, p10 {sz['p10'] / 1024:.1f}, "
        f"p50 {sz['p50'] / 1024:.1f}, p90 {sz['p90'] / 1024:.1f}, max {sz['max'] / 1024:.1f}\n"
        f"  HTML-only {desc['share_html_only']:.0%}, multipart/alternative "
        f"{desc['share_multipart_alternative']:.0%}, with attachments "
        f"{desc['share_with_attachments']:.0%}, forwarded {desc['share_forwarded']:.0%}, "
        f"replies {desc['share_replies']:.0%}\n"
        f"  text parts by encoding: {desc['text_part_encodings']}\n"
        f"  {codes} codes planted in {with_codes} messages"
    )


def bench(args: argparse.Namespace) -> int:
    n = args.messages or 500
    t0 = time.perf_counter()
    samples = generate_detailed(n, args.seed)
    gen_s = time.perf_counter() - t0
    messages = [s.raw for s in samples]
    desc = describe(messages)
    total = desc["total_bytes"]
    mach = machine(("mail-parser", "selectolax", "regex"))
    print(
        f"machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable_cores']} usable), "
        f"{mach['python']}, mail-parser {mach['versions']['mail-parser']}, "
        f"selectolax {mach['versions']['selectolax']}, regex {mach['versions']['regex']}"
    )
    _print_corpus(desc, samples, gen_s)
    print(f"timing {args.repeat} alternating passes per side (best pass counts):")
    base, parse = run_bench(messages, args.repeat)
    bf, pf = _side_figures(base, n, total), _side_figures(parse, n, total)
    ratio = parse.best / base.best
    kinds = _per_kind(samples, base, parse)

    print()
    print(f"{'':<24}{'messages':>9}{'MB':>8}{'best s':>9}{'msg/s':>9}{'MB/s':>8}{'ms/msg':>9}")
    for label, f in (("baseline (mail-parser)", bf), ("parse (extract)", pf)):
        print(
            f"{label:<24}{n:>9}{total / 1e6:>8.2f}{f['best_s']:>9.3f}{f['messages_per_s']:>9.1f}"
            f"{f['mb_per_s']:>8.2f}{f['ms_per_message']:>9.3f}"
        )
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio parse/baseline time: {ratio:.2f}x (target <= {TARGET_RATIO}x: {verdict})")
    print(
        f"our own work on top of mail-parser: {1000 * (parse.best - base.best) / n:.2f} ms/message"
    )
    print()
    print(f"{'by kind':<20}{'n':>5}{'mean KB':>9}{'base ms':>9}{'parse ms':>10}{'ratio':>7}")
    for kind, k in kinds.items():
        print(
            f"{kind:<20}{k['messages']:>5}{k['mean_kb']:>9.1f}{k['baseline_ms']:>9.2f}"
            f"{k['parse_ms']:>10.2f}{k['ratio']:>7.2f}"
        )

    if args.json:
        report = {
            "benchmark": "parse vs bare mail-parser",
            "settings": {"messages": n, "repeat": args.repeat, "seed": args.seed},
            "machine": mach,
            "corpus": desc,
            "baseline": bf,
            "parse": pf,
            "ratio": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "target_met": ratio <= TARGET_RATIO,
            "by_kind": kinds,
        }
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


# --------------------------------------------------------------------------- profile


# Stages worth a line of their own: (label, file suffix, function). A stage the code no longer
# has is skipped, so renaming a function costs a line of the summary, never the profile.
_STAGES = (
    ("mail-parser: MailParser.from_bytes", "mailparser/core.py", "from_bytes"),
    ("parsers.message._decoded (after mail-parser)", "parsers/message.py", "_decoded"),
    ("  of which html_to_text", "parsers/message.py", "html_to_text"),
    ("parsers.extract._parts", "parsers/extract.py", "_parts"),
    ("  of which forwarded.segments", "parsers/forwarded.py", "segments"),
    ("  of which codes.find_codes", "parsers/codes.py", "find_codes"),
    ("  of which dates.parse_header_date", "parsers/dates.py", "parse_header_date"),
    ("parsers.extract._rows", "parsers/extract.py", "_rows"),
    ("parsers.extract._no_rows", "parsers/extract.py", "_no_rows"),
)


def _breakdown(entries: dict[tuple[str, int, str], tuple[Any, ...]], total: float) -> None:
    print("\nwhere the time goes (cumulative, under cProfile):")
    for label, suffix, func in _STAGES:
        ct = sum(
            v[3]
            for (file, _line, name), v in entries.items()
            if name == func and file.replace(os.sep, "/").endswith(suffix)
        )
        if ct:
            print(f"  {label:<46}{ct:8.3f} s {100 * ct / total:5.1f}%")


def profile(args: argparse.Namespace) -> int:
    n = args.messages or 500
    samples = generate_detailed(n, args.seed)
    messages = [s.raw for s in samples]
    for raw in messages[:20]:
        parse_one(raw)
    base = sum(_timed_pass(baseline_one, messages))
    prof = cProfile.Profile()
    prof.enable()
    for raw in messages:
        parse_one(raw)
    prof.disable()
    if args.profile_out:
        prof.dump_stats(args.profile_out)
    stats = pstats.Stats(prof)
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_cc, _nc, _tt, ct, _c) in entries.values())
    print(
        f"profiled extract over {n} messages ({sum(map(len, messages)) / 1e6:.2f} MB): "
        f"{total:.3f} s under cProfile (bare mail-parser, unprofiled: {base:.3f} s; cProfile "
        "slows Python code far more than C code, so read shares, not absolute times)"
    )
    _breakdown(entries, total)
    profile_tops(entries, PROJECT_DIRS, "parsers/ and pipeline/")
    if args.profile_out:
        print(f"\nwrote {args.profile_out} (open with: python -m pstats {args.profile_out})")
    return 0


# --------------------------------------------------------------------------- instructions

_SIDES = {"baseline": baseline_one, "parse": parse_one}
_WARM = 20


def _run_side(side: str, seed: int, count: int, measured: bool) -> int:
    """What one valgrind run executes: generate the corpus, warm up, then (when `measured`)
    `count` messages of one side; the run without them is subtracted."""
    fn = _SIDES[side]
    messages = generate(_WARM + count, seed)
    for raw in messages[:_WARM]:
        fn(raw)
    if measured:
        for raw in messages[_WARM:]:
            fn(raw)
    return 0


def _instructions(side: str, seed: int, count: int, measured: bool) -> int:
    """Instructions of a whole run under valgrind (cachegrind, no cache simulation)."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        "-m",
        "benchmarks.bench_parse",
        "--run-side",
        side,
        "--seed",
        str(seed),
        "--messages",
        str(count),
        *([] if measured else ["--run-unmeasured"]),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def instructions(args: argparse.Namespace) -> int:
    """Instructions per message on each side, each the difference of a run with the messages
    and one without them (imports, corpus generation, warm-up): deterministic, unlike time on
    a shared machine, and the same on any x86-64 machine with the same versions."""
    if shutil.which("valgrind") is None:
        print("--instructions needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    n = args.messages or 100
    per: dict[str, float] = {}
    for side in ("baseline", "parse"):
        empty = _instructions(side, args.seed, n, measured=False)
        full = _instructions(side, args.seed, n, measured=True)
        per[side] = (full - empty) / n
        print(f"  {side:<9} {per[side] / 1e6:8.2f} M instructions/message", flush=True)
    ratio = per["parse"] / per["baseline"]
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"{n} messages (seed {args.seed}, after {_WARM} warm-up): ratio parse/baseline "
        f"instructions: {ratio:.3f}x (target <= {TARGET_RATIO}x: {verdict}); our own work "
        f"{(per['parse'] - per['baseline']) / 1e6:.2f} M instructions/message"
    )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "benchmark": "parse vs bare mail-parser, instructions (valgrind)",
                    "settings": {"messages": n, "seed": args.seed, "warm_up": _WARM},
                    "instructions_per_message": per,
                    "ratio": round(ratio, 4),
                },
                indent=2,
            )
        )
    return 0


# --------------------------------------------------------------------------- check


def _context(raw: bytes, code: str) -> str:
    """Where a planted code stands in the decoded text parts, for a bug report."""
    import email
    import email.policy

    msg = email.message_from_bytes(raw, policy=email.policy.default)
    probes = (code, code[:16])
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        try:
            text = part.get_content()
        except (LookupError, ValueError):
            continue
        for probe in probes:
            at = text.find(probe)
            if at >= 0:
                snippet = text[max(0, at - 120) : at + len(code) + 120]
                cte = part.get("Content-Transfer-Encoding", "7bit")
                return f"[{part.get_content_type()}, {cte}] {snippet!r}"
    return "(not found in any decoded text part)"


def check(args: argparse.Namespace) -> int:
    n = args.messages or 20
    samples = generate_detailed(n, args.seed)
    bad = false_pos = 0
    missed_codes = extra_codes = 0
    days_ok = days_n = video_ok = video_n = 0
    notes: list[str] = []
    for i, s in enumerate(samples):
        result = extract(s.raw, "bench-check")
        found = [r.spark_code for r in result.rows]
        expected = list(s.codes)
        missing = [c for c in expected if c not in found]
        extra = [c for c in found if c not in expected]
        if missing or extra:
            if expected:
                bad += 1
            else:
                false_pos += 1
            missed_codes += len(missing)
            extra_codes += len(extra)
            why = (
                f" failure={result.failure.reason}: {result.failure.detail}"
                if result.failure
                else ""
            )
            print(
                f"message {i} ({s.kind}, {len(s.raw)} bytes): "
                f"planted {len(expected)}, found {len(found)}{why}"
            )
            for c in missing:
                print(f"  MISSING {c}\n    around: {_context(s.raw, c)}")
            for c in extra:
                print(f"  EXTRA   {c}\n    around: {_context(s.raw, c)}")
        rows = {r.spark_code: r for r in result.rows}
        for p in s.planted:
            row = rows.get(p.code)
            if row is None:
                continue
            days_n += 1
            days_ok += row.duration_days == p.days
            if row.duration_days != p.days and len(notes) < 5:
                notes.append(
                    f"  message {i} ({s.kind}): period {row.duration_days}, planted {p.days}"
                )
            if p.video:
                video_n += 1
                want = p.video.split("?")[0].rsplit("/", 1)[1]
                video_ok += row.video_id == want
                if row.video_id != want and len(notes) < 5:
                    notes.append(f"  message {i} ({s.kind}): video {row.video_id}, planted {want}")
    with_codes = sum(1 for s in samples if s.planted)
    planted = sum(len(s.planted) for s in samples)
    print(
        f"check: {n} messages (seed {args.seed}), {planted} codes planted in {with_codes}; "
        f"{with_codes - bad}/{with_codes} messages yield exactly their codes; "
        f"{missed_codes} codes missed, {extra_codes} extra; "
        f"{false_pos} code-free messages with a false code"
    )
    print(
        f"  (informational) periods right for {days_ok}/{days_n} found codes, "
        f"videos right for {video_ok}/{video_n}"
    )
    for note in notes:
        print(note)
    return 1 if bad or false_pos else 0


# --------------------------------------------------------------------------- entry


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_parse",
        description="Parse speed of extract() against bare mail-parser on the same messages.",
    )
    ap.add_argument(
        "--messages",
        type=int,
        default=None,
        help="messages to generate (default 500; 20 with --check)",
    )
    ap.add_argument("--repeat", type=int, default=5, help="passes per side (default 5)")
    ap.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--profile", action="store_true", help="cProfile the parse side instead")
    mode.add_argument(
        "--check", action="store_true", help="check that extract finds exactly the planted codes"
    )
    mode.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions per message under valgrind instead of timing (default 100)",
    )
    mode.add_argument("--run-side", choices=sorted(_SIDES), help=argparse.SUPPRESS)
    ap.add_argument("--run-unmeasured", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", metavar="PATH", help="with --profile: dump pstats here")
    args = ap.parse_args(argv)
    if args.repeat < 1 or (args.messages is not None and args.messages < 1):
        ap.error("--messages and --repeat must be at least 1")
    if args.run_side:
        return _run_side(args.run_side, args.seed, args.messages or 0, not args.run_unmeasured)
    if args.instructions:
        return instructions(args)
    if args.check:
        return check(args)
    if args.profile:
        return profile(args)
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
