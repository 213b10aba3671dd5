"""The queue's pieces that need no Redis: its settings, its messages, an outcome's round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from paperwork.binder.build import BuildOptions, CaseJob, CaseOutcome
from paperwork.binder.libreoffice import BATCH_TIMEOUT, OfficeSettings
from paperwork.cli.queue import queue_settings
from paperwork.dispatch.broker import QueueSettings, address_of, celery_config
from paperwork.dispatch.tasks import WorkerSettings, build_message, options_from
from paperwork.errors import ConfigError
from paperwork.finding import Finding, error, warning


def test_the_settings_suit_long_idempotent_jobs() -> None:
    conf = celery_config(QueueSettings("redis://10.0.0.5:6380/2"))
    assert conf["accept_content"] == ["json"] and conf["task_serializer"] == "json"
    assert conf["result_accept_content"] == ["json"]
    assert conf["task_acks_late"] and conf["task_reject_on_worker_lost"]
    assert conf["worker_prefetch_multiplier"] == 1
    visibility = conf["broker_transport_options"]["visibility_timeout"]
    assert (
        visibility
        == conf["result_backend_transport_options"]["visibility_timeout"]
        == conf["visibility_timeout"]
    )
    # LibreOffice: two runs a case and one retry must end before Celery's soft limit, the hard after it
    assert 3 * BATCH_TIMEOUT < conf["task_soft_time_limit"] < conf["task_time_limit"] < visibility
    assert conf["result_expires"] <= 3600


def test_an_address_is_printed_without_its_password() -> None:
    assert address_of("redis://:s3cret@archive:6390/4") == "archive:6390/4"
    assert address_of("redis://localhost") == "localhost:6379/0"
    assert "s3cret" not in address_of("rediss://user:s3cret@h:1/0")


def test_the_visibility_timeout_may_be_shortened_but_not_to_nonsense() -> None:
    assert queue_settings("redis://h/0", {}).visibility_timeout == 6 * 3600
    assert queue_settings("redis://h/0", {"PAPERWORK_VISIBILITY_TIMEOUT": "30"}).visibility_timeout == 30
    for bad in ("0", "abc", "-5", "1e9"):
        with pytest.raises(ConfigError, match="PAPERWORK_VISIBILITY_TIMEOUT"):
            queue_settings("redis://h/0", {"PAPERWORK_VISIBILITY_TIMEOUT": bad})


def test_a_message_carries_absolute_paths_and_the_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    options = BuildOptions(
        draft=True,
        templates=Path("tpl"),
        today=date(2026, 12, 1),
        bureau=Path("b.yaml"),
        duplex=True,
        pdfa="3b",
        now=datetime(2026, 12, 1, 9, 30, tzinfo=UTC),
        office=OfficeSettings(timeout=90),
    )
    message = build_message(CaseJob(Path("c/case.yaml"), Path("out/C")), options, cache="none")
    assert Path(message["path"]).is_absolute() and message["path"] == str(tmp_path / "c" / "case.yaml")
    assert message["out"] == str(tmp_path / "out" / "C")
    worker = WorkerSettings(OfficeSettings(soffice=Path("/opt/lo/soffice")), Path("/var/cache/pw"))
    back = options_from(message, worker)
    assert (back.draft, back.duplex, back.pdfa, back.today, back.now) == (
        True,
        True,
        "3b",
        options.today,
        options.now,
    )
    assert back.templates == tmp_path / "tpl" and back.bureau == tmp_path / "b.yaml"
    assert back.cache is None  # --no-cache on the sender
    assert back.office.soffice == Path("/opt/lo/soffice") and back.office.timeout == 90
    plain = options_from(build_message(CaseJob(Path("c/case.yaml"), Path("o")), BuildOptions()), worker)
    assert plain.cache == Path("/var/cache/pw") and plain.office.timeout is None  # the worker's own cache


def test_an_outcome_and_its_findings_survive_the_trip() -> None:
    findings = (
        error(
            "DATE_BEFORE_APPLICATION", "受理日期早于申请日期", path="documents[2].date", line=31, rule="R2"
        ),
        warning("FORM_FIELD_BLANK", "缺：户号", path="customer.account_no", line=4),
    )
    outcome = CaseOutcome(
        Path("/s/a/case.yaml"), "A-1", "failed", None, 0, 1.25, "有 1 个错误", findings, worker="w1@h/42"
    )
    back = CaseOutcome.from_dict(outcome.to_dict())
    assert back == outcome
    assert [f.to_dict() for f in back.findings] == [f.to_dict() for f in findings]
    assert (
        Finding.from_dict(
            {"code": "DATE_BEFORE_APPLICATION", "severity": "nonsense", "message": "x"}
        ).severity
        == "error"
    )
    built = CaseOutcome(Path("/s/b/case.yaml"), "B", "built", Path("/o/B"), 61, 2.0, worker="local")
    assert CaseOutcome.from_dict(built.to_dict()) == built
