"""What a team checks before vendoring the collection, besides ansible-test sanity (scripts/sanity): the
changelog fragments lint, galaxy.yml says where the project lives, meta/runtime.yml groups the modules that
act on a Windows host, and there is no sanity ignore file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_antsibull_changelog_lint_passes() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "antsibull-changelog"), "lint"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr
    assert list((ROOT / "changelogs" / "fragments").glob("*.yml"))


def test_galaxy_metadata_names_the_repository_documentation_and_issues() -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    for key in ("repository", "documentation", "issues"):
        assert str(galaxy.get(key, "")).startswith("https://"), key


def test_the_action_group_holds_every_module_that_acts_on_a_windows_host() -> None:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    windows_modules = sorted(path.stem for path in (ROOT / "plugins" / "modules").glob("win_*.py"))
    assert runtime["requires_ansible"]
    assert runtime["action_groups"] == {"recovery": windows_modules}


def test_there_is_no_sanity_ignore_file() -> None:
    assert not list(ROOT.glob("tests/sanity/ignore-*.txt"))
