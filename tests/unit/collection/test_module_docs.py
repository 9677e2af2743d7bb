"""Every module's documentation stub (what ansible-doc, ansible-lint and AWX show) parses and describes exactly
what its action plugin accepts: the same options with the same type, elements, choices, default, required and
aliases."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import yaml

MODULES = sorted(path.stem for path in (Path(__file__).resolve().parents[3] / "plugins" / "modules").glob("*.py"))
FIELDS = ("type", "elements", "choices", "default", "required", "aliases")
PACKAGE = "ansible_collections.lifeline.recovery.plugins"


def test_every_action_plugin_has_a_documentation_stub() -> None:
    actions = Path(__file__).resolve().parents[3] / "plugins" / "action"
    assert sorted(path.stem for path in actions.glob("*.py")) == MODULES


@pytest.mark.parametrize("name", MODULES)
def test_the_documentation_parses_and_matches_the_argument_spec(name: str) -> None:
    documentation = importlib.import_module(f"{PACKAGE}.modules.{name}")
    spec = importlib.import_module(f"{PACKAGE}.action.{name}").ActionModule.ARGUMENT_SPEC
    documented = yaml.safe_load(documentation.DOCUMENTATION)
    assert yaml.safe_load(documentation.EXAMPLES) and yaml.safe_load(documentation.RETURN)
    assert documented["module"] == name
    assert documented["short_description"] and documented["attributes"]["check_mode"]["support"]
    options = documented.get("options") or {}
    assert set(options) == set(spec)
    for option, declared in spec.items():
        for field in FIELDS:
            shown = options[option].get(field)
            wanted = declared.get(field)
            if field == "required" and not wanted:
                assert not shown, (option, field)  # "required: false" may be written or left out
            else:
                assert shown == wanted, (option, field)
