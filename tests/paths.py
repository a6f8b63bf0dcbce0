"""Where tests find the repository and the read-only shared corpus (``../shared`` beside the checkout)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
AZURE_SPECS = SHARED_DIR / "azure-specs"
SEEDS = SHARED_DIR / "seeds"
TEST_APPS = REPO_ROOT / "tests" / "apps"
