"""End-to-end IMAP backfill of sparkcodes against a bare-imapclient baseline, same server, same run.

    python -m benchmarks.bench_imap [--messages 5000] [--repeat 2] [--json PATH]
    python -m benchmarks.bench_imap --messages 1000          # a quicker run (~30 s)
    python -m benchmarks.bench_imap --rss-sizes 1000,5000    # which sizes the memory table shows
    python -m benchmarks.bench_imap --profile [--messages N] [--profile-out PATH]

Needs Dovecot 2.3 and openssl (as for the IMAP tests: `bash .ci/install-system-deps`). The default
run takes under 2 minutes on a 2-core machine (30 s of it generating the corpus), `--profile`
about as long. Nothing here asserts a timing: it is a benchmark. The machine line shows the load
average and the code line the commit and any uncommitted changes, since both move the figures.

What happens:

1. The corpus is `benchmarks.corpus` (realistic 5-100 KB creator emails, deterministic from the
   seed), generated on all cores. Every message is distinct, so every code is new to the CSV
   sink as in a real first backfill. `--distinct K` generates only K and cycles them, giving each
   copy its own Message-ID (so the state's dedup does not skip it); the copies' codes are then
   already in the CSV, which makes the sink cheaper than in a real backfill.
2. A throwaway Dovecot (`tests.servers.dovecot.Dovecot`) is started; one user gets all N messages
   by MULTIAPPEND, and one more user per smaller size of the memory table gets the first messages.
3. **baseline**: what any program must do to read the mailbox: IMAPClient over implicit TLS
   (the CA verified, as the app does), LOGIN, SELECT, `UID SEARCH UID 1:*`, then
   `UID FETCH <batch> (BODY.PEEK[] INTERNALDATE)` in batches of `ImapSettings.batch_size`
   (default 200, the app's), and `mailparser.MailParser.from_bytes` on every message (reading the
   decoded bodies and main headers, exactly `bench_parse.baseline_one`), then LOGOUT.
4. **sparkcodes**: a full backfill as `sparkcodes run` does it: a fresh `State` in a temp dir,
   `Mailbox` open (LOGIN, SELECT), `sync` into a `CsvSink`, mark mode "keyword", close.
   Where the app has the review hand-off (`ReviewSettings`, `pipeline.run.Job`), it is on as in
   a default config: failed messages get the review keyword and their raw email is kept in the
   review store beside the state. The keywords are removed from every message (one
   `UID STORE 1:* -FLAGS.SILENT`) before each sparkcodes pass, so each pass does the same work;
   the fresh state makes it read everything.
5. Each backfill runs in a fresh interpreter (a child process): imports happen before the clock
   starts, and the child's peak RSS (VmHWM from /proc/self/status; `ru_maxrss` is not used as it
   can carry the parent's peak over exec) is the memory figure. Passes alternate
   (baseline, sparkcodes, then sparkcodes, baseline, ...) so noise falls on both; each side's
   figure is its best pass.
6. **Quiet poll**: one more sparkcodes pass on the backfilled mailbox with the state the last
   pass left, no new mail. It reports `Mailbox.commands` plus the LOGOUT that `close` sends, and
   independently every tagged IMAP command actually sent (imaplib's `_new_tag` and `send` are
   wrapped for that pass), with their names: imaplib sends a CAPABILITY right after the
   greeting, which `Mailbox.commands` does not see. The TCP and TLS handshakes come on top. The
   target is at most 5 round trips. The pass's time is split into stages as below.
7. **Memory**: peak RSS of each side's child at each size of `--rss-sizes` (default 1000 and N),
   and the difference. Fetching is batched, so it should stay flat as the mailbox grows.

The output gives the machine (CPU, cores, Python, Dovecot, IMAPClient, mail-parser, pandas),
the corpus, per side messages, MB, best seconds, msg/s, MB/s and peak RSS, the ratio
sparkcodes/baseline (target at most 1.5x), where each side's best pass spent its time (connect,
SEARCH, FETCH, parsing, CSV sink, state, STORE, review store; from wrappers around those calls,
about a microsecond each; "other" is the rest), the quiet poll's round trips and the memory table. `--json PATH` writes all of
it with every pass.

`--profile` skips the comparison: it sets up the same mailbox and runs one sparkcodes backfill
in this process under cProfile, then prints the stages and the top functions (cumulative time
in the project's own code, and own time everywhere). cProfile slows Python code far more than C
code, so read shares, not absolute times. `--profile-out PATH` dumps the pstats file.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import imaplib
import json
import os
import pstats
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from imapclient import IMAPClient

import parsers
import pipeline
import pipeline.run as run_module
import sinks
from benchmarks import corpus
from benchmarks.bench_parse import baseline_one
from benchmarks.report import ROOT, machine, profile_tops
from config.settings import ImapSettings
from parsers.options import Options
from pipeline.run import Summary, chunks, sync
from pipeline.state import State
from sinks.csv import CsvSink
from sources.imap import ImapSource, Mailbox
from tests.servers.dovecot import Dovecot, dovecot_version

TARGET_RATIO = 1.5
TARGET_ROUND_TRIPS = 5
PROJECT_DIRS = tuple(
    str(Path(str(p.__file__)).resolve().parent) + os.sep for p in (parsers, pipeline, sinks)
)
FOLDER = "INBOX"
KEYWORD = ImapSettings.model_fields["keyword"].default
DEFAULT_BATCH = ImapSettings.model_fields["batch_size"].default


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True, slots=True)
class Account:
    host: str
    port: int  # implicit TLS
    ca_file: str
    username: str
    password: str
    messages: int


def settings_for(account: Account, batch_size: int) -> ImapSettings:
    """The app's settings for this account, as a config file with these keys would give."""
    return ImapSettings.model_validate(
        {
            "host": account.host,
            "port": account.port,
            "security": "ssl",
            "username": account.username,
            "password_env": "UNUSED",  # the secret is handed to Mailbox directly
            "ca_file": account.ca_file,
            "folder": FOLDER,
            "mark": "keyword",
            "batch_size": batch_size,
            "timeout_seconds": 120,
        }
    )


# --------------------------------------------------------------------------- corpus


def _generate_range(seed: int, start: int, stop: int) -> list[bytes]:
    return [corpus._calibrated(seed, i).raw for i in range(start, stop)]


def generate_corpus(n: int, seed: int, workers: int) -> list[bytes]:
    """The same bytes as `corpus.generate(n, seed)`, built on `workers` processes."""
    if workers <= 1 or n < 200 or not hasattr(corpus, "_calibrated"):
        return corpus.generate(n, seed)
    step = 100
    starts = range(0, n, step)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        parts = pool.map(_generate_range, [seed] * len(starts), starts,
                         [min(n, s + step) for s in starts])  # fmt: skip
        return [raw for part in parts for raw in part]


_MESSAGE_ID = re.compile(rb"(?im)^Message-ID:[^\r\n]*(?:\r?\n[ \t][^\r\n]*)*")


def with_message_id(raw: bytes, message_id: str) -> bytes:
    """`raw` with its top-level Message-ID header replaced (or added)."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    line = f"Message-ID: {message_id}".encode()
    new, count = _MESSAGE_ID.subn(lambda _m: line, head, count=1)
    if not count:
        new = line + b"\r\n" + head
    return new + sep + body


def build_messages(n: int, distinct: int, seed: int, workers: int) -> list[bytes]:
    pool = generate_corpus(min(n, distinct), seed, workers)
    out = list(pool)
    for i in range(len(pool), n):
        out.append(with_message_id(pool[i % len(pool)], f"<bench-copy-{i}@sparkcodes.invalid>"))
    return out


# --------------------------------------------------------------------------- stage timing


class Stages:
    """Seconds per named stage, from wrappers around the calls that make a backfill."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - t0
            self.calls[name] = self.calls.get(name, 0) + 1

    def wrap(self, fn: Callable[..., Any], name: str | Callable[..., str]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self(name(*args) if callable(name) else name):
                return fn(*args, **kwargs)

        return timed


@contextlib.contextmanager
def patched(target: Any, attr: str, value: Any) -> Iterator[None]:
    old = getattr(target, attr)
    setattr(target, attr, value)
    try:
        yield
    finally:
        setattr(target, attr, old)


def review_defaults() -> dict[str, Any]:
    """The review hand-off a default config turns on, when this version of the app has one."""
    import config.settings as config_settings

    review = getattr(config_settings, "ReviewSettings", None)
    if review is None:
        return {}
    defaults = review()
    return {
        "keyword": getattr(defaults, "imap_keyword", None),
        "folder": getattr(defaults, "imap_move_to", None),
        "store_bytes": int(getattr(defaults, "store_max_mb", 0) * 1024 * 1024),
    }


def sync_pass(mailbox: Mailbox, state: State, sink: CsvSink, workdir: Path) -> Summary:
    """`sync` of the IMAP source as `sparkcodes run` calls it with a default config and a CSV
    sink (a default config also hands failed messages off with a keyword and keeps their raw
    email in the review store beside the state).
    """
    job_type = run_module.Job
    review = review_defaults()
    values: dict[str, Any] = {"sinks": [sink], "options": Options(), "state": state}
    with contextlib.suppress(ImportError):
        from pipeline.review import ReviewStore

        values["store"] = ReviewStore(workdir / "review", review.get("store_bytes", 0))
    names = {f.name for f in fields(job_type)}
    job = job_type(**{k: v for k, v in values.items() if k in names})
    source = ImapSource(mailbox, review.get("keyword"), review.get("folder"))
    return sync(source, job)


_GUARDED_STAGE = {"search": "search", "fetch": "fetch", "add_flags": "mark (STORE)"}
# Keywords a sparkcodes pass may set; removed before each pass so every pass does the same work.
KEYWORDS = tuple(k for k in (KEYWORD, review_defaults().get("keyword")) if k)


@contextlib.contextmanager
def instrumented(stages: Stages, counter: list[int]) -> Iterator[None]:
    """Time the app's stages without changing what they do; counts fetched bytes too."""
    extract = vars(run_module)["extract"]

    def counting_extract(raw: bytes, *args: Any, **kwargs: Any) -> Any:
        counter[0] += len(raw)
        return extract(raw, *args, **kwargs)

    def guarded_name(_self: Mailbox, method: Any, *_args: Any) -> str:
        name = getattr(method, "__name__", "?")
        return _GUARDED_STAGE.get(name, f"imap {name}")

    with contextlib.ExitStack() as stack:
        stack.enter_context(
            patched(run_module, "extract", stages.wrap(counting_extract, "parse / extract"))
        )
        stack.enter_context(patched(CsvSink, "write", stages.wrap(CsvSink.write, "csv sink")))
        stack.enter_context(patched(State, "commit", stages.wrap(State.commit, "state")))
        stack.enter_context(patched(State, "seen", stages.wrap(State.seen, "state")))
        stack.enter_context(patched(Mailbox, "guarded", stages.wrap(Mailbox.guarded, guarded_name)))
        with contextlib.suppress(ImportError):
            from pipeline.review import ReviewStore

            stack.enter_context(
                patched(ReviewStore, "put", stages.wrap(ReviewStore.put, "review store"))
            )
        yield


# --------------------------------------------------------------------------- the two sides


def backfill_baseline(account: Account, batch_size: int, workdir: Path) -> dict[str, Any]:
    """Bare IMAPClient + mail-parser over the same kind of connection as the app."""
    stages = Stages()
    clock = time.perf_counter
    messages = nbytes = 0
    t0 = clock()
    with stages("connect+login+select"):
        context = ssl.create_default_context()
        context.load_verify_locations(cafile=account.ca_file)
        client = IMAPClient(
            account.host, port=account.port, ssl=True, ssl_context=context, timeout=120
        )
        client.normalise_times = False
        client.login(account.username, account.password)
        client.select_folder(FOLDER)
    with stages("search"):
        uids = sorted(int(u) for u in client.search(["UID", "1:*"]))
    for chunk in chunks(uids, batch_size):
        with stages("fetch"):
            data = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
        with stages("parse / extract"):
            for uid in chunk:
                item = data.get(uid)
                if item is None:
                    continue
                raw = bytes(item[b"BODY[]"])
                baseline_one(raw)
                messages += 1
                nbytes += len(raw)
        del data
    with stages("logout"):
        client.logout()
    seconds = clock() - t0
    return {"seconds": seconds, "messages": messages, "bytes": nbytes, "stages": stages.seconds}


def backfill_sparkcodes(account: Account, batch_size: int, workdir: Path) -> dict[str, Any]:
    """A full first backfill as `sparkcodes run` does it, into a CSV sink and a fresh state."""
    stages = Stages()
    counter = [0]
    sink = CsvSink(workdir / "spark_codes.csv", workdir / "failures.csv")
    settings = settings_for(account, batch_size)
    clock = time.perf_counter
    with instrumented(stages, counter):
        t0 = clock()
        with stages("state"):
            state = State(workdir / "state.sqlite3")
        try:
            mailbox = Mailbox(settings, account.password)
            with stages("connect+login+select"):
                mailbox.open()
            try:
                summary = sync_pass(mailbox, state, sink, workdir)
            finally:
                with stages("logout"):
                    mailbox.close()
        finally:
            state.close()
        seconds = clock() - t0
    return {
        "seconds": seconds,
        "messages": summary.fetched,
        "bytes": counter[0],
        "stages": stages.seconds,
        "summary": asdict(summary),
        "commands": mailbox.commands + 1,  # + LOGOUT
        "state_path": str(workdir / "state.sqlite3"),
    }


SIDES: dict[str, Callable[[Account, int, Path], dict[str, Any]]] = {
    "baseline": backfill_baseline,
    "sparkcodes": backfill_sparkcodes,
}
LABELS = {
    "baseline": "baseline (imapclient+mail-parser)",
    "sparkcodes": "sparkcodes (sync)",
}


# --------------------------------------------------------------------------- child processes


def _proc_status() -> dict[str, int]:
    """VmRSS and VmHWM of this process in KiB (Linux)."""
    out: dict[str, int] = {}
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0])
    except (OSError, ValueError):
        pass
    return out


def child_main(kind: str) -> int:
    """One backfill in this fresh interpreter; the spec comes as JSON on stdin."""
    spec = json.loads(sys.stdin.read())
    account = Account(**spec["account"])
    workdir = Path(spec["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    gc.collect()
    before = _proc_status()
    result = SIDES[kind](account, spec["batch_size"], workdir)
    after = _proc_status()
    result["memory_kb"] = {
        "rss_after_imports": before.get("VmRSS"),
        "peak": after.get("VmHWM"),
    }
    print(json.dumps(result))
    return 0


def run_child(kind: str, account: Account, batch_size: int, workdir: Path) -> dict[str, Any]:
    spec = {"account": asdict(account), "batch_size": batch_size, "workdir": str(workdir)}
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_imap", "--child", kind],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {kind} child failed ({done.returncode}):\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["kind"] = kind
    result["size"] = account.messages
    return result


# --------------------------------------------------------------------------- server side


def deliver(server: Dovecot, username: str, messages: Sequence[bytes]) -> float:
    t0 = time.perf_counter()
    uids = server.append_many(username, FOLDER, messages)
    if len(uids) != len(messages):
        raise RuntimeError(f"delivered {len(uids)} of {len(messages)} messages")
    return time.perf_counter() - t0


def clear_keyword(server: Dovecot, username: str) -> None:
    """Undo the keyword marking, so the next sparkcodes pass stores it on every message again."""
    with server.client(username, ssl=True) as imap:
        imap.select_folder(FOLDER)
        imap.remove_flags("1:*", [k.encode() for k in KEYWORDS], silent=True)


def quiet_poll(account: Account, batch_size: int, state_path: Path) -> dict[str, Any]:
    """One more pass with no new mail; counts commands as the app does and on the wire."""
    tags: list[bytes] = []
    sent: list[str] = []
    stages = Stages()
    new_tag, send = vars(imaplib.IMAP4)["_new_tag"], imaplib.IMAP4.send

    def counting_new_tag(self: imaplib.IMAP4) -> bytes:
        tag: bytes = new_tag(self)
        tags.append(tag)
        return tag

    def recording_send(self: imaplib.IMAP4, data: bytes) -> None:
        head = bytes(data).split(b"\r\n", 1)[0].split(b" ")
        if head and head[0] in tags:
            words = [w.decode(errors="replace") for w in head[1:3]]
            name = " ".join(words[:2]) if words and words[0] == "UID" else words[0] if words else ""
            sent.append(name)
        send(self, data)

    sink = CsvSink(state_path.parent / "spark_codes.csv", state_path.parent / "failures.csv")
    mtime = sink.path.stat().st_mtime_ns if sink.path.exists() else None
    with (
        patched(imaplib.IMAP4, "_new_tag", counting_new_tag),
        patched(imaplib.IMAP4, "send", recording_send),
        instrumented(stages, [0]),
    ):
        t0 = time.perf_counter()
        with State(state_path) as state:
            mailbox = Mailbox(settings_for(account, batch_size), account.password)
            with stages("connect+login+select"):
                mailbox.open()
            try:
                summary = sync_pass(mailbox, state, sink, state_path.parent)
            finally:
                commands = mailbox.commands
                with stages("logout"):
                    mailbox.close()
        seconds = time.perf_counter() - t0
    return {
        "mailbox_commands": commands,
        "with_logout": commands + 1,
        "tagged_on_wire": len(tags),
        "sent": sent,
        "fetched": summary.fetched,
        "csv_untouched": mtime is not None and sink.path.stat().st_mtime_ns == mtime,
        "ms": round(1000 * seconds, 1),
        "stages_ms": {k: round(1000 * v, 1) for k, v in stages.seconds.items()},
    }


# --------------------------------------------------------------------------- report


def machine_info() -> dict[str, Any]:
    mach = machine(("mail-parser", "selectolax", "regex", "IMAPClient", "pandas"))
    mach["code"] = code_version()
    with contextlib.suppress(OSError):  # other work on the machine shows up as noise
        mach["load_average"] = [round(x, 2) for x in os.getloadavg()]
    try:
        mach["dovecot"] = dovecot_version()
    except Exception as exc:  # reported, not fatal: the server start will say what is wrong
        mach["dovecot"] = f"? ({exc})"
    return mach


def code_version() -> dict[str, Any]:
    """Which code was measured: the commit and the files changed on top of it (read-only git)."""

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return ""
        return done.stdout

    dirty = [line[3:] for line in git("status", "--porcelain").splitlines() if line[:2] != "??"]
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or "?", "modified": dirty}


def print_machine(mach: dict[str, Any]) -> None:
    v = mach["versions"]
    print(
        f"machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable_cores']} usable), "
        f"{mach['python']}, Dovecot {mach['dovecot']}, IMAPClient {v['IMAPClient']}, "
        f"mail-parser {v['mail-parser']}, pandas {v['pandas']}, "
        f"load average {mach.get('load_average', '?')}"
    )
    code = mach.get("code", {})
    modified = ", ".join(code.get("modified", [])) or "none"
    print(f"code: commit {code.get('commit', '?')}, uncommitted changes to: {modified}")


def size_line(messages: Sequence[bytes]) -> str:
    sizes = sorted(len(m) for m in messages)

    def kb(q: float) -> str:
        return f"{sizes[min(len(sizes) - 1, round(q * (len(sizes) - 1)))] / 1024:.1f}"

    return f"size KB: min {kb(0)}, p10 {kb(0.1)}, p50 {kb(0.5)}, p90 {kb(0.9)}, max {kb(1)}"


def side_figures(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    best = min(runs, key=lambda r: r["seconds"])
    n, mb, s = best["messages"], best["bytes"] / 1e6, best["seconds"]
    return {
        "messages": n,
        "mb": round(mb, 2),
        "best_s": round(s, 3),
        "median_s": round(statistics.median(r["seconds"] for r in runs), 3),
        "passes_s": [round(r["seconds"], 3) for r in runs],
        "messages_per_s": round(n / s, 1),
        "mb_per_s": round(mb / s, 2),
        "peak_rss_mb": round(max(r["memory_kb"]["peak"] or 0 for r in runs) / 1024, 1),
        "stages_s": {k: round(v, 3) for k, v in best["stages"].items()},
    }


_STAGE_ORDER = (
    "connect+login+select",
    "search",
    "fetch",
    "parse / extract",
    "csv sink",
    "state",
    "mark (STORE)",
    "review store",
    "logout",
)


def print_stages(base: dict[str, Any], spark: dict[str, Any]) -> None:
    print("\nwhere the best pass of each side spent its time (s):")
    print(f"  {'stage':<24}{'baseline':>10}{'sparkcodes':>12}")
    names = list(_STAGE_ORDER) + sorted(
        (set(base["stages_s"]) | set(spark["stages_s"])) - set(_STAGE_ORDER)
    )
    for name in names:
        b, s = base["stages_s"].get(name), spark["stages_s"].get(name)
        if b is None and s is None:
            continue
        cell_b = f"{b:10.3f}" if b is not None else f"{'-':>10}"
        cell_s = f"{s:12.3f}" if s is not None else f"{'-':>12}"
        print(f"  {name:<24}{cell_b}{cell_s}")
    other_b = base["best_s"] - sum(base["stages_s"].values())
    other_s = spark["best_s"] - sum(spark["stages_s"].values())
    print(f"  {'other (loop, glue)':<24}{other_b:10.3f}{other_s:12.3f}")


def print_memory(table: dict[str, dict[int, dict[str, Any]]], sizes: Sequence[int]) -> None:
    print("\npeak RSS (VmHWM) of a fresh interpreter doing one backfill, MB:")
    header = "".join(f"{f'{n} msgs':>12}" for n in sizes)
    print(f"  {'':<14}{header}{'difference':>12}{'after imports':>15}")
    for kind in ("baseline", "sparkcodes"):
        row = table.get(kind, {})
        cells = "".join(f"{row[n]['peak_mb']:12.1f}" if n in row else f"{'-':>12}" for n in sizes)
        diff = ""
        if len(sizes) > 1 and sizes[0] in row and sizes[-1] in row:
            diff = f"{row[sizes[-1]]['peak_mb'] - row[sizes[0]]['peak_mb']:+12.1f}"
        floor = min((r["after_imports_mb"] for r in row.values()), default=0.0)
        print(f"  {kind:<14}{cells}{diff:>12}{floor:15.1f}")


# --------------------------------------------------------------------------- setup


@dataclass(slots=True)
class Setup:
    server: Dovecot
    main: Account
    accounts: dict[int, Account]  # by size
    corpus: dict[str, Any]


@contextlib.contextmanager
def mailbox_setup(args: argparse.Namespace, sizes: Sequence[int]) -> Iterator[Setup]:
    workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    t0 = time.perf_counter()
    messages = build_messages(args.messages, args.distinct or args.messages, args.seed, workers)
    gen_s = time.perf_counter() - t0
    total = sum(map(len, messages))
    distinct = min(args.messages, args.distinct or args.messages)
    print(
        f"corpus: {len(messages)} messages ({distinct} distinct), {total / 1e6:.2f} MB, "
        f"generated in {gen_s:.1f} s on {workers} processes\n  {size_line(messages)}",
        flush=True,
    )
    desc = {"messages": len(messages), "distinct": distinct, "total_bytes": total,
            "generate_s": round(gen_s, 1), "seed": args.seed}  # fmt: skip
    with Dovecot() as server:
        accounts: dict[int, Account] = {}
        for size in sorted({args.messages, *sizes}, reverse=True):
            username = f"bench{size}"
            password = f"pw-{size}"
            server.add_user(username, password)
            took = deliver(server, username, messages[:size])
            clear_keyword(server, username)  # also Dovecot's first SELECT, so no pass pays it
            accounts[size] = Account(
                server.host, server.ssl_port, server.ca_file, username, password, size
            )
            print(
                f"server: {username} got {size} messages by MULTIAPPEND in {took:.1f} s "
                f"(Dovecot on {server.host}:{server.ssl_port}, implicit TLS)",
                flush=True,
            )
        del messages
        gc.collect()
        yield Setup(server, accounts[args.messages], accounts, desc)


# --------------------------------------------------------------------------- bench


def bench(args: argparse.Namespace) -> int:
    mach = machine_info()
    print_machine(mach)
    sizes = (
        sorted({*args.rss_sizes, args.messages})
        if args.rss_sizes
        else sorted({min(1000, args.messages), args.messages})
    )
    if any(s > args.messages for s in sizes):
        raise SystemExit("--rss-sizes may not exceed --messages")
    batch = args.batch_size
    with (
        tempfile.TemporaryDirectory(prefix="bench-imap-") as tmp,
        mailbox_setup(args, sizes) as setup,
    ):
        work = Path(tmp)
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "sparkcodes": []}
        print(
            f"timing {args.repeat} alternating backfills per side, batch {batch}, "
            "each in a fresh interpreter (best pass counts):",
            flush=True,
        )
        last_state: Path | None = None
        for r in range(args.repeat):
            order = ("baseline", "sparkcodes") if r % 2 == 0 else ("sparkcodes", "baseline")
            for kind in order:
                if kind == "sparkcodes":
                    clear_keyword(setup.server, setup.main.username)
                result = run_child(kind, setup.main, batch, work / f"{kind}-{r}")
                runs[kind].append(result)
                if kind == "sparkcodes":
                    last_state = Path(result["state_path"])
                print(
                    f"  pass {r + 1}/{args.repeat} {kind:<11}{result['seconds']:8.3f} s "
                    f"{result['messages']} msgs, peak RSS "
                    f"{(result['memory_kb']['peak'] or 0) / 1024:.1f} MB",
                    flush=True,
                )
        assert last_state is not None
        poll = quiet_poll(setup.main, batch, last_state)

        memory: dict[str, dict[int, dict[str, Any]]] = {"baseline": {}, "sparkcodes": {}}
        for kind, kind_runs in runs.items():
            memory[kind][args.messages] = _memory_cell(kind_runs)
        for size in sizes:
            if size == args.messages:
                continue
            for kind in ("baseline", "sparkcodes"):
                if kind == "sparkcodes":
                    clear_keyword(setup.server, setup.accounts[size].username)
                result = run_child(kind, setup.accounts[size], batch, work / f"{kind}-{size}")
                memory[kind][size] = _memory_cell([result])
                print(
                    f"  memory run {kind:<11}{size:>6} msgs {result['seconds']:8.3f} s, peak RSS "
                    f"{(result['memory_kb']['peak'] or 0) / 1024:.1f} MB",
                    flush=True,
                )
        corpus_desc = setup.corpus

    bf, sf = side_figures(runs["baseline"]), side_figures(runs["sparkcodes"])
    ratio = sf["best_s"] / bf["best_s"]
    print()
    print(
        f"{'':<36}{'messages':>9}{'MB':>8}{'best s':>9}{'msg/s':>9}{'MB/s':>8}{'peak RSS MB':>13}"
    )
    for kind, f in (("baseline", bf), ("sparkcodes", sf)):
        print(
            f"{LABELS[kind]:<36}{f['messages']:>9}{f['mb']:>8.2f}{f['best_s']:>9.3f}"
            f"{f['messages_per_s']:>9.1f}{f['mb_per_s']:>8.2f}{f['peak_rss_mb']:>13.1f}"
        )
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio sparkcodes/baseline time: {ratio:.2f}x (target <= {TARGET_RATIO}x: {verdict})")
    spark_best = min(runs["sparkcodes"], key=lambda x: x["seconds"])
    s = spark_best["summary"]
    print(
        f"sparkcodes wrote {s['codes']} codes ({s['inserted']} new, {s['updated']} updated) and "
        f"{s['failures']} failures; {s['skipped']} skipped as already seen"
    )
    print_stages(bf, sf)

    trips = poll["with_logout"]
    verdict = "met" if trips <= TARGET_ROUND_TRIPS else "MISSED"
    print(
        f"\nquiet poll (no new mail, state of the last backfill): Mailbox.commands "
        f"{poll['mailbox_commands']} + LOGOUT = {trips} IMAP round trips "
        f"(target <= {TARGET_ROUND_TRIPS}: {verdict}); on the wire {poll['tagged_on_wire']} "
        f"tagged commands ({', '.join(poll['sent'])}), plus the TCP and TLS handshakes; "
        f"{poll['ms']:.1f} ms; fetched {poll['fetched']}, CSV "
        f"{'untouched' if poll['csv_untouched'] else 'REWRITTEN'}"
    )
    print("  of which (ms): " + ", ".join(f"{k} {v:.1f}" for k, v in poll["stages_ms"].items()))
    print_memory(memory, sizes)

    if args.json:
        report = {
            "benchmark": "IMAP backfill: sparkcodes vs bare imapclient + mail-parser",
            "settings": {
                "messages": args.messages,
                "repeat": args.repeat,
                "seed": args.seed,
                "batch_size": batch,
                "rss_sizes": sizes,
            },
            "machine": mach,
            "corpus": corpus_desc,
            "baseline": bf,
            "sparkcodes": sf,
            "ratio": round(ratio, 3),
            "target_ratio": TARGET_RATIO,
            "target_met": ratio <= TARGET_RATIO,
            "quiet_poll": poll,
            "target_round_trips": TARGET_ROUND_TRIPS,
            "memory_mb": {k: {str(n): v for n, v in row.items()} for k, row in memory.items()},
            "runs": [
                {k: v for k, v in r.items() if k not in ("state_path",)}
                for kind_runs in runs.values()
                for r in kind_runs
            ],
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    return 0


def _memory_cell(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        "peak_mb": round(max(r["memory_kb"]["peak"] or 0 for r in runs) / 1024, 1),
        "after_imports_mb": round(
            min(r["memory_kb"]["rss_after_imports"] or 0 for r in runs) / 1024, 1
        ),
    }


# --------------------------------------------------------------------------- profile


# Stages worth a line of their own: (label, file suffix, function).
_PROFILE_STAGES = (
    ("Mailbox.guarded (all IMAP commands)", "sources/imap.py", "guarded"),
    ("  of which imapclient fetch", "imapclient/imapclient.py", "fetch"),
    ("  of which ssl reads", "ssl.py", "recv_into"),
    ("pipeline.run.process", "pipeline/run.py", "process"),
    ("  extract", "parsers/extract.py", "extract"),
    ("    of which mail-parser from_bytes", "mailparser/core.py", "from_bytes"),
    ("  CsvSink.write", "sinks/csv.py", "write"),
    ("    of which _load (read the whole CSV)", "sinks/csv.py", "_load"),
    ("    of which _csv_bytes (serialize changed rows)", "sinks/csv.py", "_csv_bytes"),
    ("    of which _save (write the file)", "sinks/csv.py", "_save"),
    ("    of which merge", "sinks/upsert.py", "merge"),
    ("    of which fsync", "~", "<built-in method posix.fsync>"),
    ("  State.seen", "pipeline/state.py", "seen"),
    ("State.commit", "pipeline/state.py", "commit"),
    ("Mailbox.mark", "sources/imap.py", "mark"),
)


def profile(args: argparse.Namespace) -> int:
    mach = machine_info()
    print_machine(mach)
    with (
        tempfile.TemporaryDirectory(prefix="bench-imap-") as tmp,
        mailbox_setup(args, [args.messages]) as setup,
    ):
        work = Path(tmp)
        # An unprofiled pass first, for scale (and so the server's caches are as warm).
        plain = backfill_sparkcodes(setup.main, args.batch_size, work / "plain")
        clear_keyword(setup.server, setup.main.username)
        prof = cProfile.Profile()
        prof.enable()
        result = backfill_sparkcodes(setup.main, args.batch_size, work / "profiled")
        prof.disable()
    if args.profile_out:
        prof.dump_stats(args.profile_out)
    stats = pstats.Stats(prof)
    entries: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    total = max(ct for (_cc, _nc, _tt, ct, _c) in entries.values())
    print(
        f"profiled one sparkcodes backfill of {result['messages']} messages "
        f"({result['bytes'] / 1e6:.2f} MB): {total:.3f} s under cProfile (unprofiled: "
        f"{plain['seconds']:.3f} s; cProfile slows Python code far more than C code, so read "
        "shares, not absolute times)"
    )
    print("\nwhere the time goes (cumulative, under cProfile):")
    for label, suffix, func in _PROFILE_STAGES:
        ct = sum(
            v[3]
            for (file, _line, name), v in entries.items()
            if name == func and file.replace(os.sep, "/").endswith(suffix)
        )
        if ct:
            print(f"  {label:<44}{ct:8.3f} s {100 * ct / total:5.1f}%")
    profile_tops(entries, PROJECT_DIRS, "parsers/, pipeline/ and sinks/")
    if args.profile_out:
        print(f"\nwrote {args.profile_out} (open with: python -m pstats {args.profile_out})")
    return 0


# --------------------------------------------------------------------------- entry


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(s) for s in text.split(",") if s.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of message counts") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be at least 1")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_imap",
        description="End-to-end IMAP backfill of sparkcodes against bare imapclient + mail-parser.",
    )
    ap.add_argument("--messages", type=int, default=5000, help="mailbox size (default 5000)")
    ap.add_argument("--repeat", type=int, default=2, help="backfills per side (default 2)")
    ap.add_argument(
        "--distinct",
        type=int,
        default=None,
        help="generate only this many distinct messages and cycle them (default: all distinct)",
    )
    ap.add_argument(
        "--rss-sizes",
        type=_sizes,
        default=None,
        help="mailbox sizes for the memory table, e.g. 1000,5000 (default: 1000 and --messages)",
    )
    ap.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH,
        help=f"messages per FETCH, both sides (default {DEFAULT_BATCH}, the app's default)",
    )
    ap.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    ap.add_argument("--profile", action="store_true", help="cProfile the sparkcodes side instead")
    ap.add_argument("--profile-out", metavar="PATH", help="with --profile: dump pstats here")
    ap.add_argument("--child", choices=sorted(SIDES), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child_main(args.child)
    if args.messages < 1 or args.repeat < 1 or args.batch_size < 1:
        ap.error("--messages, --repeat and --batch-size must be at least 1")
    if args.distinct is not None and args.distinct < 1:
        ap.error("--distinct must be at least 1")
    if args.profile:
        return profile(args)
    return bench(args)


if __name__ == "__main__":
    sys.exit(main())
