"""Where tests find the repository, and the one place that knows where the API corpus lives.

The corpus (official Azure examples and captures in ``azure-specs/``, walkthroughs in ``seeds/``) is
not part of the repository: it sits beside the checkout (``../shared``) on the team's machines and in
CI, or wherever ``BACKUP_AUTOPILOT_CORPUS`` points. Tests marked ``corpus`` need it; every other test
relies only on what is in the repository. ``tests/conftest.py`` skips the ``corpus`` tests when the
corpus is missing, and fails the session instead when ``REQUIRE_CORPUS=1`` (as ``.ci/run`` sets).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TEST_APPS = REPO_ROOT / "tests" / "apps"

CORPUS_ENV = "BACKUP_AUTOPILOT_CORPUS"
REQUIRE_CORPUS_ENV = "REQUIRE_CORPUS"
DEFAULT_CORPUS = REPO_ROOT.parent / "shared"
CORPUS_PARTS = ("azure-specs", "seeds")


def corpus_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """``$BACKUP_AUTOPILOT_CORPUS`` if set (and not empty), else ``../shared`` beside the checkout."""
    value = environ.get(CORPUS_ENV, "").strip()
    return Path(value).expanduser().resolve() if value else DEFAULT_CORPUS


def missing_corpus_parts(root: Path) -> list[str]:
    """The corpus folders (``azure-specs``, ``seeds``) that ``root`` lacks; empty when it is complete."""
    return [part for part in CORPUS_PARTS if not (root / part).is_dir()]


def corpus_required(environ: Mapping[str, str] = os.environ) -> bool:
    """``REQUIRE_CORPUS`` is set to a true value (1/true/yes/on): a missing corpus is an error."""
    return environ.get(REQUIRE_CORPUS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


CORPUS = corpus_dir()
AZURE_SPECS = CORPUS / "azure-specs"
SEEDS = CORPUS / "seeds"
CORPUS_PRESENT = not missing_corpus_parts(CORPUS)
