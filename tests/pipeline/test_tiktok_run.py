"""`run` with `[tiktok]`: every code checked once, its row written once with TikTok's verdict,
review items for codes that will not run, exit codes, and no request when nothing is new."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.pipeline.mailgen import code_for
from tests.pipeline.tiktok_helpers import (  # noqa: F401 (fixtures)
    Project,
    fast_retries,
    project,
    video_of,
    write_config,
)
from tests.tiktok_emulator.conftest import tiktok_emulator  # noqa: F401
from tests.tiktok_emulator.server import TikTokEmulator
from tests.tiktok_emulator.state import (
    CODE_DELETED,
    EXPIRED,
    VIDEO_DELETED,
    VIDEO_PRIVATE,
    VIDEO_UNDER_REVIEW,
)


def test_every_status_lands_in_the_csv_with_review_items(project: Project) -> None:
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(days=20)
    active = project.code(0, auth_end=end, tiktok_name="mia")
    # Ended before its email came (mailgen's emails arrive on 2026-11-01): expired on arrival.
    expired = project.code(1, EXPIRED, auth_end=datetime(2026, 10, 1, tzinfo=UTC))
    deleted_video = project.code(2, VIDEO_DELETED)
    private = project.code(3, VIDEO_PRIVATE)
    review = project.code(4, VIDEO_UNDER_REVIEW)
    wrong = project.code(5, item_id="7399999999999999999")
    refused = project.code(6, CODE_DELETED)
    unknown = code_for(7)  # TikTok never issued it
    project.mail(*range(8))

    result = project.cli("run")
    assert result.exit_code == 1, result.output  # review items for the bad ones
    codes = project.codes()
    status = dict(zip(codes["spark_code"], codes["tiktok_status"], strict=True))
    assert status == {
        active: "active",
        expired: "expired",
        deleted_video: "video_unavailable",
        private: "video_unavailable",
        review: "video_unavailable",
        wrong: "wrong_video",
        refused: "rejected",
        unknown: "rejected",
    }
    good = codes.loc[active]
    assert good["expires_at"] == end.isoformat()  # TikTok's auth_end_time, not the email's
    assert good["duration_source"] == "tiktok"
    assert good["expiry_status"] == "active"
    assert (good["tiktok_item_id"], good["tiktok_name"]) == (video_of(0), "mia")
    assert good["checked_at"] and good["tiktok_detail"] == "" and good["ad_account"] == ""
    assert codes.loc[expired, "expiry_status"] == "expired"
    assert "7399999999999999999" in codes.loc[wrong, "tiktok_detail"]
    assert "40007" in codes.loc[refused, "tiktok_detail"]
    reasons = sorted(project.failures()["reason"])
    assert reasons == sorted(
        [
            "expired_on_arrival",
            "video_unavailable",
            "video_unavailable",
            "video_unavailable",
            "wrong_video",
            "tiktok_rejected",
            "tiktok_rejected",
        ]
    )
    assert project.emu.count("/tt_video/info/") == 8
    assert project.emu.count("/tt_video/authorize/") == 0  # authorize is off by default


def test_a_quiet_rerun_sends_no_request(project: Project) -> None:
    project.code(0)
    project.code(1)
    project.mail(0, 1)
    assert project.cli("run").exit_code == 0
    sent = len(project.emu.requests)
    assert sent == 2
    again = project.cli("run")
    assert again.exit_code == 0, again.output
    assert len(project.emu.requests) == sent


def test_only_new_mail_is_checked(project: Project) -> None:
    project.code(0)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    project.code(1)
    project.mail(1)
    assert project.cli("run").exit_code == 0
    asked = [r.query["auth_code"][0] for r in project.emu.requests]
    assert asked == [code_for(0), code_for(1)]


def test_without_tiktok_nothing_is_sent_and_rows_stay_unverified(
    tmp_path: Path, tiktok_emulator: TikTokEmulator
) -> None:
    config = write_config(tmp_path, None)
    (tmp_path / "inbox").mkdir()
    project = Project(tmp_path, tiktok_emulator, config)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    codes = project.codes()
    assert list(codes["tiktok_status"]) == ["unverified"]
    assert list(codes["duration_source"]) == ["stated"]
    assert tiktok_emulator.requests == []


def test_throttling_and_server_errors_are_survived(project: Project) -> None:
    codes = [project.code(i) for i in range(4)]
    project.mail(*range(4))
    project.emu.inject(code=40100, count=2, path_contains="info")
    project.emu.inject(code=50002, count=1, path_contains="info")
    project.emu.inject(http_status=502, count=1, path_contains="info")
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    assert set(project.codes()["tiktok_status"]) == {"active"}
    assert sorted(project.codes()["spark_code"]) == sorted(codes)


def test_an_outage_leaves_codes_unverified_exit_1_and_the_next_run_checks_them(
    project: Project,
) -> None:
    project.code(0)
    project.code(1)
    project.mail(0, 1)
    project.emu.inject(code=50000, count=1000, path_contains="info")
    result = project.cli("run")
    assert result.exit_code == 1, result.output
    assert "2 unverified" in result.stdout
    codes = project.codes()
    assert set(codes["tiktok_status"]) == {"unverified"}
    assert all("50000" in d for d in codes["tiktok_detail"])
    assert set(codes["duration_source"]) == {"stated"}  # the email's period meanwhile
    assert project.failures().empty  # a temporary failure is not a person's job

    project.emu._faults.clear()
    before = project.emu.count("info")
    again = project.cli("run")  # no new mail: the unverified codes are checked again
    assert again.exit_code == 0, again.output
    assert set(project.codes()["tiktok_status"]) == {"active"}
    assert set(project.codes()["duration_source"]) == {"tiktok"}
    assert project.emu.count("info") - before == 2
    after = len(project.emu.requests)
    assert project.cli("run").exit_code == 0
    assert len(project.emu.requests) == after  # nothing unverified is left: quiet


@pytest.mark.parametrize("break_token", ["revoke_token", "expire_token"])
def test_a_bad_token_exits_2_after_the_sinks_got_the_rows(
    project: Project, break_token: str
) -> None:
    project.code(0)
    project.mail(*range(10))
    getattr(project.emu, break_token)()
    result = project.cli("run")
    assert result.exit_code == 2
    assert "get a new token" in result.stderr
    assert "Traceback" not in result.output
    assert project.emu.token not in result.output
    codes = project.codes()  # written with what the emails gave
    assert sorted(codes["spark_code"]) == sorted(code_for(i) for i in range(10))
    assert set(codes["tiktok_status"]) == {"unverified"}
    # The first refusal stopped the rest: only requests already in flight (4 workers) went out.
    assert project.emu.count("info") <= 6

    project.emu._tokens[project.emu.token].revoked = False  # a new token, in effect
    project.emu._tokens[project.emu.token].expired = False
    fixed = project.cli("run")  # no new mail: the codes left unverified are checked now
    assert fixed.exit_code == 1, fixed.output  # the 9 unknown codes are for review now
    codes = project.codes()
    assert codes.loc[code_for(0), "tiktok_status"] == "active"
    assert set(codes["tiktok_status"]) == {"active", "rejected"}
    failures = project.failures()
    assert sorted(failures["reason"]) == ["tiktok_rejected"] * 9
    assert sorted(failures["message_id"]) == sorted(
        f"<creator-{i}@example.net>" for i in range(1, 10)
    )
    queue = project.cli("failures", "--format", "json")
    assert queue.stdout.count("tiktok_rejected") == 9
    assert project.cli("run").exit_code == 0  # nothing new, nothing unverified: quiet


def test_a_missing_scope_names_the_scope(project: Project) -> None:
    project.code(0)
    project.mail(0)
    project.emu.set_scopes({691})
    result = project.cli("run")
    assert result.exit_code == 2
    assert "scope 690" in result.stderr
    assert project.codes().loc[code_for(0), "tiktok_status"] == "unverified"


def test_codes_written_before_tiktok_was_added_are_checked_once(
    tmp_path: Path, tiktok_emulator: TikTokEmulator, fast_retries: None
) -> None:
    (tmp_path / "inbox").mkdir()
    offline = Project(tmp_path, tiktok_emulator, write_config(tmp_path, None))
    offline.mail(0, 1)
    assert offline.cli("run").exit_code == 0
    offline.code(0)
    offline.code(1, VIDEO_DELETED)
    online = Project(tmp_path, tiktok_emulator, write_config(tmp_path, tiktok_emulator))
    result = online.cli("run")
    assert result.exit_code == 1, result.output  # the deleted video is for review
    codes = online.codes()
    assert codes.loc[code_for(0), "tiktok_status"] == "active"
    assert codes.loc[code_for(1), "tiktok_status"] == "video_unavailable"
    failures = online.failures()
    assert list(failures["reason"]) == ["video_unavailable"]
    assert list(failures["message_id"]) == ["<creator-1@example.net>"]
    sent = len(tiktok_emulator.requests)
    assert sent == 2
    assert online.cli("run").exit_code == 0
    assert len(tiktok_emulator.requests) == sent


def test_throttling_beyond_patience_leaves_codes_unverified(project: Project) -> None:
    project.code(0)
    project.mail(0)
    project.emu.inject(code=40100, count=10_000, path_contains="info")
    result = project.cli("run")
    assert result.exit_code == 1, result.output
    row = project.codes().loc[code_for(0)]
    assert row["tiktok_status"] == "unverified" and "rate" in row["tiktok_detail"]


def test_the_token_is_in_no_log_file_or_store(
    project: Project, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    project.code(0)
    project.code(1, CODE_DELETED)
    project.mail(0, 1, 2)
    project.emu.inject(code=50002, count=1, path_contains="info")
    assert project.cli("run").exit_code == 1
    project.emu.revoke_token()
    project.mail(3)
    result = project.cli("run")
    assert result.exit_code == 2
    token = project.emu.token
    assert caplog.records and token not in caplog.text
    assert token not in result.output
    for path in project.root.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_a_code_that_expired_after_its_email_came_is_not_for_review(project: Project) -> None:
    # mailgen's emails arrived on 2026-11-01: one code ended before, one after that.
    before = project.code(0, EXPIRED, auth_end=datetime(2026, 10, 30, tzinfo=UTC))
    after = project.code(1, EXPIRED, auth_end=datetime(2026, 11, 20, tzinfo=UTC))
    project.mail(0, 1)
    assert project.cli("run").exit_code == 1
    codes = project.codes()
    assert set(codes.loc[[before, after], "tiktok_status"]) == {"expired"}
    failures = project.failures()
    assert list(failures["reason"]) == ["expired_on_arrival"]
    assert before in failures["detail"].iloc[0]


def test_a_first_verdict_after_an_outage_joins_the_emails_review_item(project: Project) -> None:
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Creator <creator@example.net>"
    message["To"] = "spark@brand.example"
    message["Subject"] = "my code"
    message["Message-ID"] = "<two-periods@example.net>"
    message["Date"] = "Sun, 01 Nov 2026 10:00:00 +0000"
    message.set_content(f"Hi!\n\n{code_for(0)}\n\nIt's valid for 30 days, or maybe 60 days.\n")
    (project.inbox / "two-periods.eml").write_bytes(message.as_bytes())
    project.code(0, CODE_DELETED)
    project.emu.inject(code=50000, count=1000, path_contains="info")
    assert project.cli("run").exit_code == 1
    assert list(project.failures()["reason"]) == ["ambiguous_period"]

    project.emu._faults.clear()
    assert project.cli("run").exit_code == 1
    failures = project.failures()
    assert list(failures["reason"]) == ["tiktok_rejected"]
    assert list(failures["status"]) == ["open"]
    assert "; also ambiguous_period: " in failures["detail"].iloc[0]
    assert project.codes().loc[code_for(0), "tiktok_status"] == "rejected"
    listed = project.cli("failures", "--format", "json")
    assert "tiktok_rejected" in listed.stdout and "ambiguous_period" in listed.stdout


def test_reprocess_checks_codes_with_tiktok_like_a_run(project: Project) -> None:
    """A review item that parses after a config change gets TikTok's verdict on its way to
    the codes, as the same email would in a run."""
    code = project.code(0)
    _long_mail(project, 0)
    config = project.config.read_text(encoding="utf-8")
    project.config.write_text(config + "\n[parsing]\nmax_message_bytes = 1025\n", "utf-8")
    assert project.cli("run").exit_code == 1
    assert list(project.failures()["reason"]) == ["message_too_large"]
    asked = len(project.emu.requests)

    project.config.write_text(config, encoding="utf-8")
    result = project.cli("reprocess", "--all")
    assert result.exit_code == 0, result.output
    row = project.codes().loc[code]
    assert (row["tiktok_status"], row["tiktok_item_id"]) == ("active", video_of(0))
    assert row["duration_source"] == "tiktok"
    assert len(project.emu.requests) == asked + 1


def test_reprocess_with_a_revoked_token_writes_the_rows_then_exits_2(project: Project) -> None:
    code = project.code(0)
    _long_mail(project, 0)
    config = project.config.read_text(encoding="utf-8")
    project.config.write_text(config + "\n[parsing]\nmax_message_bytes = 1025\n", "utf-8")
    assert project.cli("run").exit_code == 1
    project.config.write_text(config, encoding="utf-8")
    project.emu.revoke_token()
    result = project.cli("reprocess", "--all")
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and project.emu.token not in result.output
    assert project.codes().loc[code, "tiktok_status"] == "unverified"


def _long_mail(project: Project, i: int) -> None:
    """Creator email i, over the 1,025 bytes these tests first allow (a message_too_large
    review item until the limit is lifted)."""
    project.mail(i)
    path = project.inbox / f"{i}.eml"
    path.write_bytes(path.read_bytes().rstrip(b"\n") + b"\n\nP.S. " + b"la " * 400 + b"\n")
