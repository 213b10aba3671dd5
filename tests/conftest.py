"""Shared fixtures: paths to the shipped cases and a CLI runner."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEMO = FIXTURES / "demo" / "case.yaml"
EXPANSION = FIXTURES / "expansion" / "case.yaml"
BROKEN = FIXTURES / "broken"
SHARED = ROOT.parent / "shared"
TODAY = None  # validate against the real date; fixtures are all in the past


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo case folder, safe to edit."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO.parent, target)
    return target / "case.yaml"
