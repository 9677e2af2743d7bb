"""Scenarios: YAML files shipped in lifeline_lab/scenarios/ that describe a fleet's starting state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class ScenarioError(Exception):
    pass


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    name_prefix: str


def available() -> list[str]:
    return sorted(path.stem for path in SCENARIO_DIR.glob("*.yaml"))


def load(name: str) -> Scenario:
    path = SCENARIO_DIR / f"{name}.yaml"
    if not path.is_file():
        raise ScenarioError(f"unknown scenario {name!r}; available: {', '.join(available())}")
    data = yaml.safe_load(path.read_text())
    if not isinstance(data, dict):
        raise ScenarioError(f"scenario file {path} is not a mapping")
    prefix = str(data.get("name_prefix", "WS"))
    if not prefix.isalnum() or len(prefix) > 8:
        raise ScenarioError(f"{path}: name_prefix must be up to 8 letters or digits (NetBIOS names are 15 at most)")
    return Scenario(name=str(data.get("name", name)), description=str(data.get("description", "")), name_prefix=prefix)
