"""Shared fixtures: the real book, staged and executed once per test session.

``smoke_run`` runs ``stage`` + ``execute --mode smoke --jobs 2`` on the repository's chapters,
into ``_build/test/`` so that a full site from ``make book`` (in ``_build/stage``) survives
``make test``. ``site`` then builds it with ``jupyter-book -W``. Both are used by
test_chapters.py and test_site.py; the first test that needs them pays for them.
"""

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # the one place the tests choose a backend (figures are never shown)

import pytest  # noqa: E402

from initlab import book, notebook_run  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TEST_BUILD = ROOT / "_build" / "test"


@dataclass
class SmokeRun:
    stage_dir: Path
    results_dir: Path
    runs: dict[str, notebook_run.Run]


@pytest.fixture(scope="session")
def smoke_run() -> SmokeRun:
    stage_dir = book.stage(ROOT, TEST_BUILD / "stage")
    results_dir = TEST_BUILD / "results" / "smoke"
    runs = book.execute(stage_dir, results_dir, "smoke", jobs=2) if book.notebooks(
        stage_dir / "chapters") else []
    return SmokeRun(stage_dir, results_dir, {r.name: r for r in runs})


@pytest.fixture(scope="session")
def site(smoke_run: SmokeRun) -> Path | None:
    """index.html of the built site, or None if ``jupyter-book build -W`` failed."""
    return book.build(smoke_run.stage_dir)
