"""The fleet file: how clients (tests, the demo, the inventory) find and reach a running lab fleet.

YAML when the path ends in .yml or .yaml, JSON otherwise. It holds the hosts' passwords, so it is
written with mode 0600.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import yaml

VERSION = 1


class FleetFileError(Exception):
    pass


def _is_yaml(path: Path) -> bool:
    return path.suffix.lower() in (".yml", ".yaml")


def write(path: Path, content: dict) -> None:
    text = yaml.safe_dump(content, sort_keys=False) if _is_yaml(path) else json.dumps(content, indent=2) + "\n"
    temporary = path.with_name(f".{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(temporary, path)


def read(path: Path) -> dict:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise FleetFileError(f"no fleet file at {path}") from None
    try:
        content = yaml.safe_load(text) if _is_yaml(path) else json.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise FleetFileError(f"fleet file {path} is not valid {'YAML' if _is_yaml(path) else 'JSON'}: {exc}") from None
    if not isinstance(content, dict) or content.get("version") != VERSION or "control" not in content:
        raise FleetFileError(f"{path} is not a lifeline-lab fleet file (version {VERSION})")
    return content


def state_dir_for(path: Path) -> Path:
    """Certificates, credential files and the log live beside the fleet file."""
    return path.with_name(path.name + ".d")
