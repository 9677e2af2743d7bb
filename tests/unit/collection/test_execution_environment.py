"""The execution environment definition (ee/): `ansible-builder create` makes its build context from the
collection built from this repository, with the pins the collection is tested with. Building the image needs
a registry and a container runtime, out of reach here."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import ansible_collections.awx.awx as awx_collection
import ansible_collections.community.general as general_collection
import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
EE = REPO / "ee"
DEFINITION = yaml.safe_load((EE / "execution-environment.yml").read_text())
VERSION = yaml.safe_load((REPO / "galaxy.yml").read_text())["version"]
TARBALL = f"lifeline-recovery-{VERSION}.tar.gz"
RUNNER = "2.4.3"  # ansible-runner, as AWX 24 execution nodes run it
_PIN = re.compile(r"^([A-Za-z0-9_.-]+)==(\S+)", re.M)


def pins(path: Path) -> dict[str, str]:
    return {name.lower(): version for name, version in _PIN.findall(path.read_text())}


@pytest.fixture(scope="module")
def context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The documented steps: build the collection into ee/dist, then `ansible-builder create` (on a copy of ee/)."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copytree(EE, work / "ee", ignore=shutil.ignore_patterns("dist", "context"))
    for command in (
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work / "ee/dist"), "."],
        [
            str(BIN / "ansible-builder"),
            "create",
            "-f",
            str(work / "ee" / "execution-environment.yml"),
            "-c",
            str(work / "context"),
            "--output-filename",
            "Containerfile",
        ],
    ):
        result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr
    return work / "context"


def test_the_containerfile_installs_the_pinned_ansible_on_the_base_image(context: Path):
    containerfile = (context / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{DEFINITION["images"]["base_image"]["name"]}"' in containerfile
    repository = pins(REPO / "requirements.txt")
    core = repository["ansible-core"]
    assert f'ARG ANSIBLE_INSTALL_REFS="ansible-core=={core} ansible-runner=={RUNNER}"' in containerfile
    assert 'ARG PYCMD="/usr/bin/python3.11"' in containerfile
    assert "ansible-galaxy collection install" in containerfile and "requirements.yml" in containerfile


def test_the_context_carries_the_python_and_system_requirements(context: Path):
    assert pins(context / "_build" / "requirements.txt") == pins(EE / "requirements.txt")
    assert {"pywinrm", "pyspnego", "requests-ntlm", "pypsrp", "cryptography"} <= set(pins(EE / "requirements.txt"))
    bindep = (context / "_build" / "bindep.txt").read_text()
    assert "krb5-workstation [platform:rpm]" in bindep and "gcc [platform:rpm compile]" in bindep


def test_the_ee_pins_are_the_ones_the_collection_is_tested_with():
    repository = pins(REPO / "requirements.txt")
    for name, version in pins(EE / "requirements.txt").items():
        assert repository[name] == version, name


def test_the_context_installs_this_collection_and_its_companions(context: Path):
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())["collections"]
    by_name = {entry["name"]: entry for entry in requirements}
    # The Containerfile copies _build to /build: the tarball named in requirements.yml is the one built.
    assert by_name[f"/build/collections/{TARBALL}"]["type"] == "file"
    assert (context / "_build" / "collections" / TARBALL).is_file()
    installed = {
        "community.general": json.loads((Path(general_collection.__path__[0]) / "MANIFEST.json").read_text()),
        "awx.awx": json.loads((Path(awx_collection.__path__[0]) / "MANIFEST.json").read_text()),
    }
    for name, manifest in installed.items():
        assert by_name[name]["version"] == manifest["collection_info"]["version"], name


def test_the_collection_tarball_declares_its_ee_dependencies_and_leaves_the_lab_out(context: Path):
    with tarfile.open(context / "_build" / "collections" / TARBALL) as tarball:
        names = set(tarball.getnames())
        meta = yaml.safe_load(tarball.extractfile("meta/execution-environment.yml").read())
    assert {meta["dependencies"]["python"], meta["dependencies"]["system"]} <= names
    assert not any(name.split("/")[0] in {"lab", "tests", ".venv", "bench"} for name in names)
    assert not any(name.startswith(("ee/dist", "ee/context")) for name in names)
