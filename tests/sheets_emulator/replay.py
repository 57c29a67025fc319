"""Replay recorded (vcrpy JSON) Google API traffic against the emulator and diff responses.

Each recorded request is sent, in order, to a fresh emulator; the emulator's status and
JSON body are compared with the recorded ones. Ids Google generated at record time
(spreadsheet ids from Drive ``files.create``, sheet ids from ``addSheet`` replies) are
learned from the paired responses and mapped both ways. Spreadsheets the cassette uses
without creating them are seeded from the recorded responses (a recorded 200
``spreadsheets.get`` body gives the sheets; a recorded 403 means "exists, not shared").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from .server import SheetsEmulator

# Fields that legitimately differ between a recording and a replay.
IGNORED_KEYS = frozenset({"createdTime", "modifiedTime"})


@dataclass
class Mismatch:
    index: int
    method: str
    url: str
    problem: str

    def __str__(self) -> str:
        return f"#{self.index} {self.method} {self.url}: {self.problem}"


@dataclass
class ReplayReport:
    cassette: str
    checked: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    # (method, path-with-ids-normalised) of every checked interaction
    endpoints: list[tuple[str, str]] = field(default_factory=list)


def load_interactions(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    interactions: list[dict[str, Any]] = data["interactions"]
    return interactions


def _json_or_none(text: str | bytes | None) -> Any:
    if text is None or text in ("", b""):
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _walk(obj: Any, fn: Callable[[str | None, Any], Any], key: str | None = None) -> Any:
    if isinstance(obj, dict):
        return {k: _walk(v, fn, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, fn, key) for v in obj]
    return fn(key, obj)


def _strip_ignored(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_ignored(v) for k, v in obj.items() if k not in IGNORED_KEYS}
    if isinstance(obj, list):
        return [_strip_ignored(v) for v in obj]
    return obj


def diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Human-readable differences between two JSON values (numbers compare by value)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out: list[str] = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append(f"{path}.{key} missing (expected {expected[key]!r:.80})")
            elif key not in expected:
                out.append(f"{path}.{key} unexpected ({actual[key]!r:.80})")
            else:
                out.extend(diff(expected[key], actual[key], f"{path}.{key}"))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{path}: expected {len(expected)} items, got {len(actual)}: {actual!r:.200}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out.extend(diff(e, a, f"{path}[{i}]"))
        return out
    if isinstance(expected, bool) or isinstance(actual, bool):
        same = type(expected) is type(actual) and expected == actual
    elif isinstance(expected, int | float) and isinstance(actual, int | float):
        same = expected == actual
    else:
        same = type(expected) is type(actual) and expected == actual
    return [] if same else [f"{path}: expected {expected!r:.120}, got {actual!r:.120}"]


class Replayer:
    def __init__(self, emu: SheetsEmulator) -> None:
        self.emu = emu
        self.session = requests.Session()
        self.session.trust_env = False
        self.ids: dict[str, str] = {}  # recorded spreadsheet id -> emulator id
        self.sheet_ids: dict[int, int] = {}  # recorded sheetId -> emulator sheetId

    def close(self) -> None:
        self.session.close()

    # ------------------------------------------------------------------ id mapping

    def _to_emulator(self, text: str) -> str:
        for recorded, live in self.ids.items():
            text = text.replace(recorded, live)
        return text

    def _body_to_emulator(self, body: Any) -> Any:
        def fn(key: str | None, value: Any) -> Any:
            if key == "sheetId" and isinstance(value, int):
                return self.sheet_ids.get(value, value)
            return value

        return _walk(body, fn)

    def _body_from_emulator(self, body: Any) -> Any:
        reverse_ids = {live: recorded for recorded, live in self.ids.items()}
        reverse_sheets = {live: recorded for recorded, live in self.sheet_ids.items()}

        def fn(key: str | None, value: Any) -> Any:
            if key == "sheetId" and isinstance(value, int):
                return reverse_sheets.get(value, value)
            if isinstance(value, str):
                for live, recorded in reverse_ids.items():
                    value = value.replace(live, recorded)
            return value

        return _walk(body, fn)

    def _seed_unknown(self, path: str, status: int, recorded: Any) -> None:
        prefix = "/v4/spreadsheets/"
        if not path.startswith(prefix):
            return
        sid = unquote(path[len(prefix) :].split("/")[0].split(":")[0])
        if not sid or sid in self.ids or sid in self.emu.spreadsheet_ids():
            return
        if status == 403:
            self.emu.create_spreadsheet("private", spreadsheet_id=sid, shared=False)
            self.ids[sid] = sid
        elif status == 200 and isinstance(recorded, dict) and "sheets" in recorded:
            sheets = [
                {
                    "title": s["properties"]["title"],
                    "sheetId": s["properties"]["sheetId"],
                    **s["properties"].get("gridProperties", {}),
                }
                for s in recorded["sheets"]
            ]
            self.emu.create_spreadsheet(recorded["properties"]["title"], sheets, spreadsheet_id=sid)
            self.ids[sid] = sid

    def _learn(self, method: str, path: str, recorded: Any, live: Any) -> None:
        if not (isinstance(recorded, dict) and isinstance(live, dict)):
            return
        if method == "POST" and path == "/drive/v3/files" and "id" in recorded and "id" in live:
            self.ids[recorded["id"]] = live["id"]
        if method == "POST" and path.endswith(":batchUpdate"):
            for rec, got in zip(recorded.get("replies", []), live.get("replies", []), strict=False):
                rec_id = rec.get("addSheet", {}).get("properties", {}).get("sheetId")
                got_id = got.get("addSheet", {}).get("properties", {}).get("sheetId")
                if isinstance(rec_id, int) and isinstance(got_id, int):
                    self.sheet_ids[rec_id] = got_id

    # ------------------------------------------------------------------ replay

    def replay(self, cassette: Path) -> ReplayReport:
        report = ReplayReport(cassette.stem)
        for index, interaction in enumerate(load_interactions(cassette)):
            request = interaction["request"]
            response = interaction["response"]
            method = request["method"].upper()
            url = urlsplit(request["uri"])
            recorded_status = int(response["status"]["code"])
            recorded_body = _json_or_none(response["body"]["string"])
            self._seed_unknown(url.path, recorded_status, recorded_body)
            path = self._to_emulator(url.path)
            query = self._to_emulator(url.query)
            target = self.emu.base_url + path.lstrip("/") + (f"?{query}" if query else "")
            body = _json_or_none(request.get("body"))
            data = None
            headers = {}
            if body is not None:
                data = json.dumps(self._body_to_emulator(body)).encode("utf-8")
                headers["Content-Type"] = "application/json"
            got = self.session.request(method, target, data=data, headers=headers, timeout=10)
            live_body = _json_or_none(got.content)
            self._learn(method, url.path, recorded_body, live_body)
            normalised = self._body_from_emulator(live_body)
            report.checked += 1
            report.endpoints.append((method, _endpoint_kind(url.path)))
            problems: list[str] = []
            if got.status_code != recorded_status:
                problems.append(f"status {got.status_code} != recorded {recorded_status}")
            problems.extend(diff(_strip_ignored(recorded_body), _strip_ignored(normalised)))
            for problem in problems:
                report.mismatches.append(Mismatch(index, method, unquote(url.path), problem))
        return report


def _endpoint_kind(path: str) -> str:
    """``/v4/spreadsheets/<id>/values/<range>:append`` -> ``v4 values/{range}:append``."""
    if path.startswith("/drive/v3/files"):
        return "drive files" + ("/{id}" if path != "/drive/v3/files" else "")
    rest = path.split("/v4/spreadsheets/", 1)[-1]
    _, _, tail = rest.partition("/")
    action = ""
    head = rest.split("/")[0]
    if ":" in head:
        action = ":" + head.split(":", 1)[1]
    if not tail:
        return "v4 spreadsheets/{id}" + action
    if tail.startswith("values/"):
        suffix = ""
        for candidate in (":append", ":clear"):
            if tail.endswith(candidate):
                suffix = candidate
        return "v4 values/{range}" + suffix
    return "v4 " + tail
