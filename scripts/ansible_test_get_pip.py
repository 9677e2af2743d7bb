"""Offline stand-in for the pip bootstrap script ansible-test downloads.

ansible-test creates each sanity test's virtual environment without pip, then runs
``~/.ansible/test/cache/get_pip_<version>.py <pip options> pip==<version> --no-setuptools --no-wheel``,
downloading that script from ci-files.testing.ansible.com the first time. That host is out of reach
offline (only the package index is), so scripts/sanity puts this file there instead when none is
cached. Like get-pip.py it installs the pip version asked for: first the pip wheel bundled with
Python (ensurepip, no network), then ``pip install`` with the arguments given, from the configured
package index.
"""

from __future__ import annotations

import subprocess
import sys

# get-pip.py's own options, which pip install does not take.
_GET_PIP_ONLY = frozenset(("--no-setuptools", "--no-wheel"))


def main(argv: list[str]) -> int:
    pip_args = [arg for arg in argv if arg not in _GET_PIP_ONLY]
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True)
    return subprocess.run([sys.executable, "-m", "pip", "install", *pip_args], check=False).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
