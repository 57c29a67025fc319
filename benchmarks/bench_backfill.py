"""Backfills as whole processes, `--jobs 1` and `--jobs 2` side by side, against bare baselines
measured in the same run.

    python -m benchmarks.bench_backfill                      # all three parts (~10 min, 2 cores)
    python -m benchmarks.bench_backfill --parts parse        # parse only (~1 min)
    python -m benchmarks.bench_backfill --parts parse,imap --imap-messages 2000 --repeat 2
    python -m benchmarks.bench_backfill --mbox-messages 10000 --parts mbox --json out.json

Every figure is a whole process from exec to exit, start-up and imports included, since that
is what a person waits for. Nothing here asserts a timing: it is a benchmark. Passes alternate
(baseline, jobs 1, jobs 2, then the reverse, ...) so machine noise falls on every side; each
side's time is its best pass, its memory the largest of its passes.

Parts:

- **parse**: `sparkcodes parse DIR --jobs J > /dev/null` on `--parse-messages` (1,000)
  realistic emails (benchmarks/corpus.py, written as .eml files) against a bare script that
  reads the same files in the same order with mail-parser (`MailParser.from_bytes` and the
  bodies, attachments and main headers, as bench_parse's baseline), one process.
  Target: at most 1.0x with `--jobs 2`.
- **imap**: `sparkcodes run --config C --jobs J` (a fresh state and CSV each pass, the
  keywords removed from every message before it) on a Dovecot user with `--imap-messages`
  (5,000), against a bare script: IMAPClient over implicit TLS, `UID FETCH (BODY.PEEK[]
  INTERNALDATE)` in batches of 200, mail-parser on each message. Target: at most 1.0x. Each
  side also runs once on a user with the first 1,000 messages, for memory.
- **mbox**: `sparkcodes parse MBOX --jobs J` on one mbox of `--mbox-messages` (50,000)
  messages (the corpus cycled, each copy with its own Message-ID), with its time and peak
  memory, and a bare mailbox.mbox + mail-parser script for scale.

Memory is the whole process tree (the command, its fork server and workers, the resource
tracker): sampled every 50 ms from /proc, the largest sum of VmRSS seen ("tree RSS"; pages
the workers share with their fork server count once per process), the largest sum of PSS
("tree PSS": shared pages split among their sharers, what the tree really costs), and the
sum of every process's own peak, VmHWM ("sum of peaks", an upper bound sampling cannot
miss). CPU is the tree's user + system time: the command's own from wait4, its children's as
last sampled (short by one sample at most); with other work on the machine, compare CPU.
Target: the tree at 5,000 messages at most 1.3x the tree at 1,000.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.bench_imap import (
    Account,
    build_messages,
    clear_keyword,
    deliver,
    generate_corpus,
    with_message_id,
)
from benchmarks.report import ROOT, machine

SPARKCODES = str(Path(sys.executable).with_name("sparkcodes"))
TARGET_RATIO = 1.0
TARGET_MEMORY_RATIO = 1.3
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024

BARE_PARSE = """
import sys
from pathlib import Path
import mailparser
for path in sorted(Path(sys.argv[1]).rglob("*.eml")):
    mail = mailparser.MailParser.from_bytes(path.read_bytes())
    (mail.text_plain, mail.text_html, mail.attachments, mail.subject, mail.from_, mail.date)
"""

BARE_MBOX = """
import mailbox, sys
import mailparser
box = mailbox.mbox(sys.argv[1], create=False)
for key in box.iterkeys():
    mail = mailparser.MailParser.from_bytes(box.get_bytes(key))
    (mail.text_plain, mail.text_html, mail.attachments, mail.subject, mail.from_, mail.date)
"""

BARE_IMAP = """
import json, os, ssl
import mailparser
from imapclient import IMAPClient
spec = json.loads(os.environ["BENCH_ACCOUNT"])
context = ssl.create_default_context()
context.load_verify_locations(cafile=spec["ca_file"])
client = IMAPClient(spec["host"], port=spec["port"], ssl=True, ssl_context=context, timeout=120)
client.normalise_times = False
client.login(spec["username"], spec["password"])
client.select_folder("INBOX")
uids = sorted(int(u) for u in client.search(["UID", "1:*"]))
for start in range(0, len(uids), 200):
    chunk = uids[start : start + 200]
    data = client.fetch(chunk, ["BODY.PEEK[]", "INTERNALDATE"])
    for uid in chunk:
        mail = mailparser.MailParser.from_bytes(bytes(data[uid][b"BODY[]"]))
        (mail.text_plain, mail.text_html, mail.attachments, mail.subject, mail.from_, mail.date)
    del data
client.logout()
"""


# --------------------------------------------------------------------------- measuring


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds `pid` has used so far; 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            fields = fh.read().rsplit(b")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split among the processes sharing them."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _status_kb(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM of `pid` in KiB; zeros once it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"VmHWM:"):
                    hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


class TreeSampler(threading.Thread):
    """The process tree under `root`, every `interval` seconds, until `stop`."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop = threading.Event()
        self.peak_rss_kb = 0
        self.peak_pss_kb = 0
        self.hwm_kb: dict[int, int] = {}
        self.most_processes = 0
        self.cpu_s: dict[int, float] = {}

    def sample(self) -> None:
        tree = _children()
        pids, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            todo.extend(tree.get(pid, ()))
        total = pss = 0
        for pid in pids:
            rss, hwm = _status_kb(pid)
            self.cpu_s[pid] = max(self.cpu_s.get(pid, 0.0), _cpu_s(pid))
            total += rss
            pss += _pss_kb(pid)
            if hwm:
                self.hwm_kb[pid] = max(self.hwm_kb.get(pid, 0), hwm)
        self.peak_rss_kb = max(self.peak_rss_kb, total)
        self.peak_pss_kb = max(self.peak_pss_kb, pss)
        self.most_processes = max(self.most_processes, len(pids))

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()


@dataclass(slots=True)
class Pass:
    seconds: float
    returncode: int
    tree_rss_mb: float
    tree_pss_mb: float
    sum_of_peaks_mb: float
    processes: int
    cpu_s: float  # the tree's user + system CPU, from the samples: short by a sample at most


@dataclass(slots=True)
class Side:
    name: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    passes: list[Pass] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(p.seconds for p in self.passes)

    @property
    def cpu_s(self) -> float:
        return min(p.cpu_s for p in self.passes)

    @property
    def tree_rss_mb(self) -> float:
        return max(p.tree_rss_mb for p in self.passes)

    @property
    def tree_pss_mb(self) -> float:
        return max(p.tree_pss_mb for p in self.passes)

    @property
    def sum_of_peaks_mb(self) -> float:
        return max(p.sum_of_peaks_mb for p in self.passes)


def measure(command: list[str], env: dict[str, str] | None = None) -> Pass:
    """One whole process (and its children), stdout discarded, timed from exec to exit."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            cwd=ROOT,
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        sampler.stop.set()
        sampler.join()
        # The command's own CPU exactly (wait4); its children's as last sampled.
        sampler.cpu_s[proc.pid] = usage.ru_utime + usage.ru_stime
        if proc.returncode not in (0, 1):
            err.seek(0)
            raise RuntimeError(
                f"{' '.join(command)} failed ({proc.returncode}):\n{err.read().decode()}"
            )
    return Pass(
        seconds=seconds,
        returncode=proc.returncode,
        tree_rss_mb=sampler.peak_rss_kb / 1024,
        tree_pss_mb=sampler.peak_pss_kb / 1024,
        sum_of_peaks_mb=sum(sampler.hwm_kb.values()) / 1024,
        processes=sampler.most_processes,
        cpu_s=sum(sampler.cpu_s.values()),
    )


def alternate(sides: Sequence[Side], repeat: int, before: Any = None) -> None:
    for r in range(repeat):
        for side in sides if r % 2 == 0 else list(reversed(sides)):
            if before is not None:
                before(side)
            side.passes.append(measure(side.command, side.env))
            p = side.passes[-1]
            print(
                f"    pass {r + 1}: {side.name:<24} {p.seconds:7.2f} s  "
                f"CPU {p.cpu_s:6.2f} s  tree RSS {p.tree_rss_mb:6.1f} MB  "
                f"({p.processes} processes)",
                flush=True,
            )


def table(sides: Sequence[Side], messages: int, target: float | None) -> list[dict[str, Any]]:
    base = sides[0].best
    print(
        f"  {'side':<24}{'best s':>8}{'msg/s':>7}{'ratio':>8}{'CPU s':>8}{'tree RSS MB':>13}"
        f"{'tree PSS MB':>13}{'sum of peaks MB':>17}"
    )
    rows = []
    for side in sides:
        ratio = side.best / base
        mark = ""
        if target is not None and side is not sides[0]:
            mark = "  ok" if ratio <= target else f"  over {target:.1f}x"
        print(
            f"  {side.name:<24}{side.best:8.2f}{messages / side.best:7.0f}{ratio:7.2f}x"
            f"{side.cpu_s:8.2f}{side.tree_rss_mb:13.1f}{side.tree_pss_mb:13.1f}"
            f"{side.sum_of_peaks_mb:17.1f}{mark}"
        )
        rows.append(
            {
                "side": side.name,
                "best_s": round(side.best, 3),
                "ratio": round(ratio, 3),
                "cpu_s": round(side.cpu_s, 2),
                "tree_rss_mb": round(side.tree_rss_mb, 1),
                "tree_pss_mb": round(side.tree_pss_mb, 1),
                "sum_of_peaks_mb": round(side.sum_of_peaks_mb, 1),
                "passes": [asdict(p) for p in side.passes],
            }
        )
    return rows


def _sparkcodes(name: str, args: list[str], jobs: int) -> Side:
    return Side(name, [SPARKCODES, *args, "--jobs", str(jobs)])


# --------------------------------------------------------------------------- parts


def part_parse(args: argparse.Namespace, messages: Sequence[bytes], work: Path) -> dict[str, Any]:
    folder = work / "parse"
    folder.mkdir()
    for i, raw in enumerate(messages[: args.parse_messages]):
        (folder / f"{i:06d}.eml").write_bytes(raw)
    n = min(args.parse_messages, len(messages))
    print(f"\nparse: {n} .eml files, whole processes, stdout to /dev/null", flush=True)
    sides = [Side("bare mail-parser", [sys.executable, "-c", BARE_PARSE, str(folder)])]
    sides += [_sparkcodes(f"sparkcodes --jobs {j}", ["parse", str(folder)], j) for j in args.jobs]
    alternate(sides, args.repeat)
    return {"messages": n, "sides": table(sides, n, TARGET_RATIO)}


def _imap_config(work: Path, account: Account, name: str) -> Path:
    home = work / name
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    path = home / "sparkcodes.toml"
    path.write_text(
        f"""
[imap]
host = "{account.host}"
port = {account.port}
security = "ssl"
username = "{account.username}"
password_env = "BENCH_IMAP_PASSWORD"
folder = "INBOX"
ca_file = "{account.ca_file}"
batch_size = 200
timeout_seconds = 120

[csv]
path = "out/spark_codes.csv"
failures_path = "out/failures.csv"

[state]
path = "state/state.sqlite3"
""",
        encoding="utf-8",
    )
    return path


def part_imap(args: argparse.Namespace, messages: Sequence[bytes], work: Path) -> dict[str, Any]:
    from tests.servers.dovecot import Dovecot

    big, small = args.imap_messages, min(args.memory_small, args.imap_messages)
    out: dict[str, Any] = {"messages": big}
    with Dovecot() as server:
        accounts: dict[int, Account] = {}
        for size in sorted({big, small}, reverse=True):
            user = f"bench{size}"
            server.add_user(user, f"pw-{size}")
            took = deliver(server, user, messages[:size])
            clear_keyword(server, user)
            accounts[size] = Account(
                server.host, server.ssl_port, server.ca_file, user, f"pw-{size}", size
            )
            print(f"server: {user} got {size} messages in {took:.1f} s", flush=True)

        def sides_for(account: Account) -> list[Side]:
            spec = json.dumps(asdict(account))
            sides = [Side("bare imapclient+parser", [sys.executable, "-c", BARE_IMAP])]
            sides[0].env = {"BENCH_ACCOUNT": spec}
            for j in args.jobs:
                config = _imap_config(work, account, f"imap-{account.messages}-j{j}")
                side = _sparkcodes(
                    f"sparkcodes run --jobs {j}", ["run", "--config", str(config)], j
                )
                side.env = {"BENCH_IMAP_PASSWORD": account.password}
                sides.append(side)
            return sides

        def fresh(account: Account) -> Any:
            def before(side: Side) -> None:
                clear_keyword(server, account.username)
                if side.env.get("BENCH_IMAP_PASSWORD"):  # a first backfill: nothing done yet
                    config = Path(side.command[side.command.index("--config") + 1])
                    _imap_config(work, account, config.parent.name)

            return before

        print(f"\nimap: a {big}-message backfill, whole processes", flush=True)
        sides = sides_for(accounts[big])
        alternate(sides, args.repeat, fresh(accounts[big]))
        out["sides"] = table(sides, big, TARGET_RATIO)
        if small != big:
            print(f"\nimap memory: the same at {small} messages (one pass each)", flush=True)
            small_sides = sides_for(accounts[small])
            alternate(small_sides, 1, fresh(accounts[small]))
            table(small_sides, small, None)
            print(f"\n  tree RSS at {big} / at {small} (target at most {TARGET_MEMORY_RATIO}x):")
            memory = []
            for a, b in zip(small_sides, sides, strict=True):
                ratio = b.tree_rss_mb / a.tree_rss_mb
                peaks = b.sum_of_peaks_mb / a.sum_of_peaks_mb
                pss = b.tree_pss_mb / a.tree_pss_mb
                print(
                    f"  {a.name:<24} {a.tree_rss_mb:7.1f} -> {b.tree_rss_mb:7.1f} MB  "
                    f"{ratio:5.2f}x   (PSS {pss:.2f}x, sum of peaks {peaks:.2f}x)"
                )
                memory.append(
                    {
                        "side": a.name,
                        "small_mb": round(a.tree_rss_mb, 1),
                        "big_mb": round(b.tree_rss_mb, 1),
                        "ratio": round(ratio, 3),
                        "pss_ratio": round(pss, 3),
                        "sum_of_peaks_ratio": round(peaks, 3),
                    }
                )
            out["memory"] = {"small": small, "big": big, "sides": memory}
    return out


def part_mbox(args: argparse.Namespace, messages: Sequence[bytes], work: Path) -> dict[str, Any]:
    n = args.mbox_messages
    path = work / "backfill.mbox"
    t0 = time.perf_counter()
    with path.open("wb") as fh:
        for i in range(n):
            raw = messages[i % len(messages)]
            if i >= len(messages):
                raw = with_message_id(raw, f"<mbox-copy-{i}@sparkcodes.invalid>")
            body = raw.replace(b"\r\n", b"\n")
            body = b"\n".join(
                b">" + ln if ln.startswith(b"From ") else ln for ln in body.split(b"\n")
            )
            fh.write(b"From bench@sparkcodes.invalid Thu Jan  1 00:00:00 2026\n" + body + b"\n\n")
    size = path.stat().st_size
    print(
        f"\nmbox: {n} messages, one {size / 1e9:.2f} GB file (written in "
        f"{time.perf_counter() - t0:.0f} s), one pass each",
        flush=True,
    )
    sides = [Side("bare mailbox+parser", [sys.executable, "-c", BARE_MBOX, str(path)])]
    sides += [_sparkcodes(f"sparkcodes --jobs {j}", ["parse", str(path)], j) for j in args.jobs]
    alternate(sides, 1)
    rows = table(sides, n, None)
    path.unlink()
    return {"messages": n, "bytes": size, "sides": rows}


# --------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--parts", default="parse,imap,mbox", help="which parts (default: all)")
    ap.add_argument("--jobs", default="1,2", help="--jobs values side by side (default 1,2)")
    ap.add_argument("--parse-messages", type=int, default=1000)
    ap.add_argument("--imap-messages", type=int, default=5000)
    ap.add_argument("--memory-small", type=int, default=1000, help="the smaller memory size")
    ap.add_argument("--mbox-messages", type=int, default=50000)
    ap.add_argument("--repeat", type=int, default=3, help="passes per side (default 3)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    args.jobs = [int(j) for j in args.jobs.split(",")]
    parts = args.parts.split(",")
    mach = machine(["mail-parser", "IMAPClient"])
    load = os.getloadavg()
    print(
        f"machine: {mach['cpu']}, {mach['usable_cores']} usable cores, {mach['python']}; "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    cores = len(os.sched_getaffinity(0))
    distinct = max(args.parse_messages, args.imap_messages if "imap" in parts else 0)
    t0 = time.perf_counter()
    if "imap" in parts:
        messages = build_messages(distinct, distinct, args.seed, cores)
    else:
        messages = generate_corpus(distinct, args.seed, cores)
    total = sum(map(len, messages))
    print(
        f"corpus: {len(messages)} distinct messages, {total / 1e6:.1f} MB "
        f"(benchmarks/corpus.py, seed {args.seed}), generated in {time.perf_counter() - t0:.0f} s"
    )
    results: dict[str, Any] = {"machine": mach, "load_before": load}
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        work = Path(tmp)
        if "parse" in parts:
            results["parse"] = part_parse(args, messages, work)
        if "imap" in parts:
            results["imap"] = part_imap(args, messages, work)
        if "mbox" in parts:
            results["mbox"] = part_mbox(args, messages, work)
    results["load_after"] = os.getloadavg()
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
