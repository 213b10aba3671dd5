"""The server's warm LibreOffice: converts like the cold runs, and comes back after a crash or a hang."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest
from pypdf import PdfReader

from paperwork.binder.libreoffice import OfficeSettings
from paperwork.binder.warm_office import WarmOffice, uno_python
from tests.conftest import REFERENCE_FORMS


@pytest.fixture()
def office(soffice: Path) -> WarmOffice:
    if uno_python() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Python with LibreOffice's uno module (apt install python3-uno)")
        pytest.skip("no Python with uno")
    made = WarmOffice(OfficeSettings(timeout=10))
    yield made  # type: ignore[misc]
    made.close()


def _convert(office: WarmOffice, tmp: Path, name: str) -> PdfReader:
    source = REFERENCE_FORMS / "高压供电方案答复单.docx"
    (pdf,) = office([source], tmp / name)
    return PdfReader(str(pdf))


def test_converts_and_keeps_running(office: WarmOffice, tmp_path: Path) -> None:
    first = _convert(office, tmp_path, "a")
    pid = office.pid()
    second = _convert(office, tmp_path, "b")
    assert office.pid() == pid and office.restarts == 0  # the same LibreOffice both times
    assert "高压供电方案答复单" in first.pages[0].extract_text().replace(" ", "")
    assert len(first.pages) == len(second.pages) >= 1
    # the second conversion is the same form, not an empty page: its text came through too
    assert "高压供电方案答复单" in second.pages[0].extract_text().replace(" ", "")


def test_a_libreoffice_past_its_memory_budget_is_renewed_between_batches(
    office: WarmOffice, tmp_path: Path
) -> None:
    _convert(office, tmp_path, "a")
    pid = office.pid()
    assert pid is not None and office.memory() > 50 << 20  # a running LibreOffice, as measured
    office.renew_above = office.memory() - 1  # past it now: the next batch gets a fresh one
    reader = _convert(office, tmp_path, "b")
    assert "高压供电方案答复单" in reader.pages[0].extract_text().replace(" ", "")
    assert office.pid() not in (None, pid) and office.renewals == 1 and office.restarts == 0
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    office.renew_above = 1 << 40
    _convert(office, tmp_path, "c")
    assert office.renewals == 1  # under the budget: kept


def test_a_killed_libreoffice_is_started_again(office: WarmOffice, tmp_path: Path) -> None:
    _convert(office, tmp_path, "a")
    pid = office.pid()
    assert pid is not None
    for proc in psutil.Process(pid).children(recursive=True):
        proc.kill()  # LibreOffice dies under the bridge
    reader = _convert(office, tmp_path, "b")
    assert len(reader.pages) >= 1 and office.restarts == 1 and office.pid() != pid


def test_a_hung_libreoffice_is_ended_and_replaced(office: WarmOffice, tmp_path: Path) -> None:
    _convert(office, tmp_path, "a")
    pid = office.pid()
    assert pid is not None
    hung = psutil.Process(pid).children(recursive=True)
    for proc in hung:
        proc.send_signal(signal.SIGSTOP)  # LibreOffice stops answering
    reader = _convert(office, tmp_path, "b")  # waits out the timeout, then a fresh LibreOffice
    assert len(reader.pages) >= 1 and office.restarts == 1
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in hung)
