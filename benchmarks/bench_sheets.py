"""API requests and wall time per sync run of the Sheets sink, against the local emulator.

    python -m benchmarks.bench_sheets [--sizes 10,1000,10000] [--json PATH]

For each size N, on a fresh spreadsheet in one in-process emulator, through a real gspread
client (`sinks.sheets.make_client(None, emu.base_url)`), four runs of `SheetsSink.write`:

1. first sync: N code rows and N/20 failures into an empty spreadsheet (the tabs get created);
2. rerun of the same batch, nothing changed (target: 1 request);
3. changes: N/10 renewed codes (new period, later email) and N/10 new codes (target: <= 3);
4. after a person added a "Notes" column with text in every row and sorted the rows: N/10
   changes, half renewals and half new codes (target: <= 3, and every note still on its row).

Each run gets a new client and sink, as each `sparkcodes` run does. Per run it reports the
requests (from the emulator's log, with their kinds and the sub-requests of a batchUpdate), the
wall time of `write()`, the bytes sent and received, and the emulator's own time: `handle` is
routing, JSON parsing and the state work; `serve` is the whole HTTP handler (that, plus encoding
the response as indented JSON and writing it to the socket). `wall - serve` approximates the
client side: gspread, requests and `sinks/sheets.py`. After each run the resulting sheet is
checked (row counts, periods, notes, order), so the benchmark also checks correctness.

Each run is measured once: the runs change the sheet, so they cannot be repeated as they are.
Nothing here asserts a timing; a run over 60 s is flagged SLOW in the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.report import machine
from parsers.records import (
    CODE_COLUMNS,
    CodeRow,
    DurationSource,
    Extraction,
    Failure,
    MessageIdentity,
    Reason,
)
from sinks import WriteStats
from sinks.sheets import RetryPolicy, SheetsSink, make_client
from tests.pipeline.mailgen import code_for
from tests.sheets_emulator.server import SheetsEmulator

CODES_TAB = "Spark codes"
FAILURES_TAB = "Needs review"
FAILURE_BASE = 10_000_000  # message numbers of failures, apart from the codes' messages
SLOW_S = 60.0
# Google answers 400 "Request payload size exceeds the limit: 10485760 bytes" above this (the
# emulator does not), and its usage-limits page recommends at most 2 MB per request.
GOOGLE_PAYLOAD_LIMIT = 10 * 1024 * 1024
GOOGLE_PAYLOAD_ADVICE = 2_000_000
# (step, most requests it should take); the first sync's 3 is what sinks/sheets.py promises
STEPS = (
    ("first sync", 3),
    ("rerun, unchanged", 1),
    ("changes", 3),
    ("after hand edit", 3),
)
NO_RETRY = RetryPolicy(attempts=1, sleep=lambda _: None)  # a retry would hide a failure
# Codes authorized ten days ago: 30 days and more leave them "active" throughout the run, so
# the sinks' expiry-status refresh has nothing to rewrite whatever the date.
AUTHORIZED = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
    days=10
)


# --------------------------------------------------------------------------- the rows


def ident(i: int, day: int = 1) -> MessageIdentity:
    return MessageIdentity(
        f"creator{i}@example.net",
        f"Creator {i}",
        f"Spark code for video {i}",
        f"<m{i}@example.net>",
        AUTHORIZED + timedelta(days=day - 1, hours=9),
        "bench",
    )


def code(i: int, days: int = 30, day: int = 1) -> Extraction:
    row = CodeRow(
        code_for(i),
        days,
        DurationSource.STATED,
        f"@creator{i}",
        f"https://www.tiktok.com/@creator{i}/video/{7_300_000_000_000_000_000 + i}",
        str(7_300_000_000_000_000_000 + i),
        AUTHORIZED,
        AUTHORIZED + timedelta(days=days),
        ident(i, day),
    )
    return Extraction((row,), None)


def failure(j: int) -> Extraction:
    who = ident(FAILURE_BASE + j)
    return Extraction((), Failure(Reason.NO_CODE_FOUND, "no Spark code", f"hi, video {j}", who))


def note_for(spark_code: str) -> str:
    return f"note {spark_code[-8:-1]}"


# --------------------------------------------------------------------------- measuring


@dataclass(slots=True)
class ServerClock:
    """The emulator's own time, measured in its handler thread."""

    handle_s: float = 0.0
    serve_s: float = 0.0
    served: int = 0
    statuses: list[int] = field(default_factory=list)
    done: threading.Condition = field(default_factory=threading.Condition)

    def reset(self) -> None:
        with self.done:
            self.handle_s = self.serve_s = 0.0
            self.served = 0
            self.statuses = []

    def wait_served(self, n: int, timeout: float = 5.0) -> None:
        """The client can see the last byte before the handler has booked its time."""
        with self.done:
            self.done.wait_for(lambda: self.served >= n, timeout)


def instrument(emu: SheetsEmulator) -> ServerClock | None:
    """Time the emulator's handler from inside it; None if its internals have changed."""
    try:
        from tests.sheets_emulator import server as srv

        base: Any = srv._Handler
        handle: Callable[[str, str, bytes], Any] = emu._handle
        http_server: Any = emu._server
        if http_server is None:
            return None
    except AttributeError:
        return None
    clock = ServerClock()

    def timed_handle(method: str, path: str, raw: bytes) -> Any:
        t0 = time.perf_counter()
        response = handle(method, path, raw)
        spent = time.perf_counter() - t0
        with clock.done:
            clock.handle_s += spent
            clock.statuses.append(int(response.status))
        return response

    def timed_serve(self: Any) -> None:
        t0 = time.perf_counter()
        try:
            base._serve(self)
        finally:
            spent = time.perf_counter() - t0
            with clock.done:
                clock.serve_s += spent
                clock.served += 1
                clock.done.notify_all()

    timed = type(
        "TimedHandler",
        (base,),
        {f"do_{m}": timed_serve for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
    )
    emu._handle = timed_handle  # type: ignore[method-assign,assignment]
    http_server.RequestHandlerClass = timed
    return clock


@dataclass(slots=True)
class Wire:
    """Bytes on the wire, seen from the client's requests.Session."""

    sent: int = 0
    received: int = 0
    largest: int = 0  # the biggest single request body

    def hook(self, response: Any, *args: Any, **kwargs: Any) -> None:
        body = response.request.body
        if body is not None:
            size = len(body.encode() if isinstance(body, str) else body)
            self.sent += size
            self.largest = max(self.largest, size)
        self.received += len(response.content)


def request_kind(method: str, path: str, query: dict[str, list[str]]) -> str:
    """`GET /v4/spreadsheets/{id} (grid)`, `POST /v4/spreadsheets/{id}:batchUpdate`, ..."""
    parts = path.split("/")
    if len(parts) > 3 and parts[2] == "spreadsheets":
        tail = parts[3]
        parts[3] = "{id}" + (tail[tail.index(":") :] if ":" in tail else "")
    kind = f"{method} {'/'.join(parts)}"
    if method == "GET" and kind.endswith("{id}"):
        grid = (query.get("includeGridData") or [""])[0].lower() == "true"
        kind += " (grid)" if grid else " (metadata)"
    return kind


def counters(stats: WriteStats) -> dict[str, int]:
    """WriteStats' counts, without the per-item statuses some versions carry."""
    out = {}
    for f in dataclasses.fields(stats):
        value = getattr(stats, f.name)
        if isinstance(value, int):
            out[f.name] = value
    return out


def run_step(
    emu: SheetsEmulator,
    clock: ServerClock | None,
    key: str,
    batch: Sequence[Extraction],
) -> tuple[WriteStats, dict[str, Any]]:
    client = make_client(None, emu.base_url)
    wire = Wire()
    client.http_client.session.hooks["response"].append(wire.hook)
    sink = SheetsSink(
        client, key, worksheet=CODES_TAB, failures_worksheet=FAILURES_TAB, retry=NO_RETRY
    )
    emu.reset_log()
    if clock is not None:
        clock.reset()
    gc.collect()
    t0 = time.perf_counter()
    stats = sink.write(batch)
    wall = time.perf_counter() - t0
    client.http_client.session.close()
    log = emu.requests
    if clock is not None:
        clock.wait_served(len(log))
    kinds = [request_kind(r.method, r.path, r.query) for r in log]
    if clock is not None and len(clock.statuses) == len(kinds):
        kinds = [f"{k} -> {s}" for k, s in zip(kinds, clock.statuses, strict=True)]
    sub: Counter[str] = Counter()
    for r in log:
        if isinstance(r.body, dict):
            for item in r.body.get("requests", []):
                sub.update(item.keys())
    figures: dict[str, Any] = {
        "batch": len(batch),
        "requests": len(log),
        "kinds": kinds,
        "batch_update_parts": dict(sub),
        "wall_s": round(wall, 4),
        "sent_bytes": wire.sent,
        "largest_request_bytes": wire.largest,
        "log_body_bytes": sum(
            len(json.dumps(r.body, ensure_ascii=False).encode()) for r in log if r.body
        ),
        "received_bytes": wire.received,
        "sink_requests": sink.requests,
        "stats": counters(stats),
    }
    if clock is not None:
        figures["emulator_handle_s"] = round(clock.handle_s, 4)
        figures["emulator_serve_s"] = round(clock.serve_s, 4)
        figures["client_s"] = round(max(wall - clock.serve_s, 0.0), 4)
    return stats, figures


# --------------------------------------------------------------------------- checks


def table(emu: SheetsEmulator, key: str, tab: str) -> tuple[list[str], list[list[Any]]]:
    rows = emu.values(key, tab, pad=True)
    return [str(h) for h in rows[0]], rows[1:]


def check(ok: bool, what: str, problems: list[str]) -> None:
    if not ok:
        problems.append(what)


def bench_size(emu: SheetsEmulator, clock: ServerClock | None, n: int) -> dict[str, Any]:
    key = emu.create_spreadsheet(f"Bench {n}", ["Sheet1"])
    n_fail = max(1, n // 20)
    n_change = max(1, n // 10)
    steps: list[dict[str, Any]] = []
    problems: list[str] = []

    def record(name: str, target: int, figures: dict[str, Any], step_problems: list[str]) -> None:
        figures.update(step=name, target_max_requests=target, problems=step_problems)
        figures["verdict"] = "PASS" if figures["requests"] <= target else "MISS"
        if step_problems:
            figures["verdict"] += " +WRONG"
        steps.append(figures)
        problems.extend(f"{name}: {p}" for p in step_problems)

    # 1. first sync into an empty spreadsheet
    first = [code(i) for i in range(n)] + [failure(j) for j in range(n_fail)]
    stats, fig = run_step(emu, clock, key, first)
    bad: list[str] = []
    check((stats.inserted, stats.failures_open) == (n, n_fail), f"stats {counters(stats)}", bad)
    header, body = table(emu, key, CODES_TAB)
    check(tuple(header[: len(CODE_COLUMNS)]) == CODE_COLUMNS, "codes header", bad)
    check(len(body) == n, f"{len(body)} code rows, expected {n}", bad)
    _, fbody = table(emu, key, FAILURES_TAB)
    check(len(fbody) == n_fail, f"{len(fbody)} failure rows, expected {n_fail}", bad)
    record(STEPS[0][0], STEPS[0][1], fig, bad)

    # 2. the same batch again: nothing to write
    stats, fig = run_step(emu, clock, key, first)
    bad = []
    quiet = stats.inserted == stats.updated == getattr(stats, "refreshed", 0) == 0
    check(stats.unchanged == n and quiet, f"stats {counters(stats)}", bad)
    record(STEPS[1][0], STEPS[1][1], fig, bad)

    # 3. N/10 renewals (60 days, later email) and N/10 new codes
    renewed = range(n_change)
    added = range(n, n + n_change)
    changes = [code(i, days=60, day=5) for i in renewed] + [code(i) for i in added]
    stats, fig = run_step(emu, clock, key, changes)
    bad = []
    check((stats.inserted, stats.updated) == (n_change, n_change), f"stats {counters(stats)}", bad)
    header, body = table(emu, key, CODES_TAB)
    col = {h: header.index(h) for h in ("spark_code", "duration_days", "received_at")}
    days = {str(r[col["spark_code"]]): str(r[col["duration_days"]]) for r in body}
    check(len(body) == n + n_change, f"{len(body)} code rows, expected {n + n_change}", bad)
    check(all(days.get(code_for(i)) == "60" for i in renewed), "renewals not written", bad)
    check(all(days.get(code_for(i)) == "30" for i in added), "new codes not written", bad)
    record(STEPS[2][0], STEPS[2][1], fig, bad)

    # 4. a person adds Notes to every row and sorts by creator, descending; then N/10 changes
    header, body = table(emu, key, CODES_TAB)
    ci = header.index("spark_code")
    body.sort(key=lambda r: str(r[header.index("creator_email")]), reverse=True)
    edited = [[*header, "Notes"], *([*r, note_for(str(r[ci]))] for r in body)]
    t0 = time.perf_counter()
    emu.set_values(key, CODES_TAB, edited, input_option="RAW")
    edit_s = time.perf_counter() - t0
    order_before = [str(r[ci]) for r in body]
    n_renew = max(1, n_change // 2)
    renewed4 = range(n_change, n_change + n_renew)  # not renewed in step 3
    added4 = range(n + n_change, n + n_change + max(1, n_change - n_renew))
    changes4 = [code(i, days=90, day=9) for i in renewed4] + [code(i) for i in added4]
    stats, fig = run_step(emu, clock, key, changes4)
    fig["hand_edit_s"] = round(edit_s, 4)
    bad = []
    check(
        (stats.inserted, stats.updated) == (len(added4), len(renewed4)),
        f"stats {counters(stats)}",
        bad,
    )
    header, body = table(emu, key, CODES_TAB)
    ci, di, ni = (header.index(h) for h in ("spark_code", "duration_days", "Notes"))
    order_after = [str(r[ci]) for r in body]
    check(
        order_after == order_before + [code_for(i) for i in added4],
        "the person's sort order was not kept (or new rows not appended at the end)",
        bad,
    )
    by_code = {str(r[ci]): r for r in body}
    lost = [c for c in order_before if str(by_code.get(c, [""] * (ni + 1))[ni]) != note_for(c)]
    check(not lost, f"{len(lost)} notes lost or moved, e.g. {lost[:2]}", bad)
    check(all(str(by_code[code_for(i)][ni]) == "" for i in added4), "notes on new rows", bad)
    check(all(str(by_code[code_for(i)][di]) == "90" for i in renewed4), "renewals lost", bad)
    record(STEPS[3][0], STEPS[3][1], fig, bad)

    return {
        "size": n,
        "failures": n_fail,
        "changes": n_change,
        "steps": steps,
        "problems": problems,
    }


# --------------------------------------------------------------------------- report


def _kb(n: int) -> str:
    return f"{n / 1024:,.1f}"


def print_table(results: Sequence[dict[str, Any]]) -> None:
    head = (
        f"{'rows':>6}  {'step':<17} {'req':>3} {'target':>6}  {'verdict':<8} {'wall s':>8} "
        f"{'emu s':>7} {'client s':>8} {'sent KB':>9} {'recv KB':>9}"
    )
    print(head)
    print("-" * len(head))
    for res in results:
        for st in res["steps"]:
            slow = "  SLOW" if st["wall_s"] > SLOW_S else ""
            print(
                f"{res['size']:>6}  {st['step']:<17} {st['requests']:>3} "
                f"{'<= ' + str(st['target_max_requests']):>6}  {st['verdict']:<8} "
                f"{st['wall_s']:>8.3f} {st.get('emulator_serve_s', float('nan')):>7.3f} "
                f"{st.get('client_s', float('nan')):>8.3f} {_kb(st['sent_bytes']):>9} "
                f"{_kb(st['received_bytes']):>9}{slow}"
            )
    print()
    print("requests per step (method path -> status; batchUpdate sub-requests):")
    for res in results:
        for st in res["steps"]:
            parts = ", ".join(f"{k} x{v}" for k, v in st["batch_update_parts"].items())
            print(f"  {res['size']:>6} {st['step']:<17} {'; '.join(st['kinds'])}")
            if parts:
                print(f"  {'':>6} {'':<17}   batchUpdate: {parts}")


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_sheets",
        description="API requests and wall time per Sheets sync run, against the emulator.",
    )
    ap.add_argument(
        "--sizes",
        default="10,1000,10000",
        help="comma-separated row counts (default 10,1000,10000)",
    )
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    try:
        sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        ap.error("--sizes takes integers, e.g. 10,1000")
    if not sizes or min(sizes) < 1:
        ap.error("--sizes needs at least one size of 1 or more")

    mach = machine(("gspread", "requests", "tenacity"))
    v = mach["versions"]
    print(
        f"machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable_cores']} usable), "
        f"{mach['python']}, gspread {v['gspread']}, requests {v['requests']}, "
        f"tenacity {v['tenacity']}"
    )
    results: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    with SheetsEmulator() as emu:
        clock = instrument(emu)
        if clock is None:
            print("(emulator internals changed: no emulator time, only wall time)")
        # warm up imports, the connection path and the emulator's first-call costs
        run_step(emu, clock, emu.create_spreadsheet("warm-up"), [code(-1), failure(-1)])
        for n in sizes:
            t0 = time.perf_counter()
            res = bench_size(emu, clock, n)
            res["total_s"] = round(time.perf_counter() - t0, 2)
            results.append(res)
            print(f"  size {n}: 4 runs and their checks in {res['total_s']:.1f} s", flush=True)
    total = time.perf_counter() - t_all
    print()
    print_table(results)
    print()
    problems = [f"{r['size']} rows, {p}" for r in results for p in r["problems"]]
    misses = [
        f"{r['size']} rows, {s['step']}: {s['requests']} requests"
        for r in results
        for s in r["steps"]
        if s["verdict"].startswith("MISS")
    ]
    slow = [
        f"{r['size']} rows, {s['step']}: {s['wall_s']:.1f} s"
        for r in results
        for s in r["steps"]
        if s["wall_s"] > SLOW_S
    ]
    big = [
        f"{r['size']} rows, {s['step']}: one request of {s['largest_request_bytes']:,} bytes "
        + (
            "is over Google's 10 MiB limit (the emulator accepted it)"
            if s["largest_request_bytes"] > GOOGLE_PAYLOAD_LIMIT
            else "is over the 2 MB Google recommends"
        )
        for r in results
        for s in r["steps"]
        if s["largest_request_bytes"] > GOOGLE_PAYLOAD_ADVICE
    ]
    for label, items in (("MISS", misses), ("WRONG", problems), ("SLOW", slow), ("SIZE", big)):
        for item in items:
            print(f"{label}: {item}")
    if not (misses or problems):
        print("all request targets met; all correctness checks passed")
    print(f"total {total:.1f} s")
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        payload = {"machine": mach, "sizes": sizes, "total_s": round(total, 2), "results": results}
        out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out}")
    return 1 if (misses or problems) else 0


if __name__ == "__main__":
    sys.exit(main())
