"""What every benchmark prints the same way: the machine it ran on, and profile tables."""

from __future__ import annotations

import os
import platform
import re
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import parsers

ROOT = Path(str(parsers.__file__)).resolve().parent.parent


def machine(distributions: Sequence[str]) -> dict[str, Any]:
    """CPU model, cores, Python, and the versions of the packages the figures depend on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 0
    versions = {}
    for dist in distributions:
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "?"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "platform": platform.platform(),
        "versions": versions,
    }


def where(file: str, line: int, func: str) -> str:
    """A profile entry's place, relative to the repo or to site-packages."""
    if file == "~":
        return func
    path = Path(file)
    try:
        rel = str(path.resolve().relative_to(ROOT))
    except ValueError:
        m = re.search(r"(?:site-packages|lib/python3\.\d+)/(.*)$", str(path))
        rel = m.group(1) if m else str(path)
    return f"{rel}:{line}({func})"


def profile_table(rows: list[tuple[tuple[str, int, str], tuple[Any, ...]]], title: str) -> None:
    print(f"\n{title}")
    print(f"{'ncalls':>9}{'tottime':>9}{'cumtime':>9}{'percall ms':>11}  function")
    for (file, line, func), (_cc, nc, tt, ct, _callers) in rows:
        per = 1000 * ct / nc if nc else 0.0
        print(f"{nc:>9}{tt:>9.3f}{ct:>9.3f}{per:>11.4f}  {where(file, line, func)}")


def profile_tops(
    entries: dict[tuple[str, int, str], tuple[Any, ...]], project_dirs: tuple[str, ...], ours: str
) -> None:
    """The two tables every profile ends with: our functions by cumulative time, and every
    function by its own time."""
    mine = [
        (k, v) for k, v in entries.items() if str(Path(k[0]).resolve()).startswith(project_dirs)
    ]
    mine.sort(key=lambda kv: -kv[1][3])
    profile_table(mine[:25], f"top 25 by cumulative time in {ours}")
    everything = sorted(entries.items(), key=lambda kv: -kv[1][2])
    profile_table(everything[:25], "top 25 by own (tottime) time, everything")
