"""DMTF's own checkers against one lab BMC, offline (PyPI: redfish-use-case-checkers, redfish-protocol-validator).

The use case checkers' PowerControl and BootOverride (reset types, ForceOff/On/restarts watched through
PowerState, continuous and one-time boot overrides, Once consumed by the next boot) pass with no failure. They
wait fixed times sized for real servers (10 s for every reset to settle, polls every 5 or 10 s); the lab's BMC
completes a reset in 0.2 s, so the checkers run here with every wait a tenth as long (what they check and
how often they look is unchanged). The protocol validator runs in full; what it
cannot reach offline it reports NOT_TESTED. The one requirement the lab's BMC does not meet is the
AccountService's predefined roles (Administrator, Operator, ReadOnly): the lab serves no AccountService (one
fixed account per BMC). The host is a healthy estate host, running Windows, so graceful resets act.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

from .conftest import lab, start_fleet

NOT_MODELLED = {"SEC_PRIV_SUPPORT_PREDEFINED_ROLES"}  # no AccountService in the lab


# The checkers' console entry points, run with their waits scaled down (see the module's docstring).
ENTRY_POINTS = {
    "rf_use_case_checkers": "redfish_use_case_checkers.console_scripts",
    "rf_protocol_validator": "redfish_protocol_validator.console_scripts",
}
WAIT_SCALE = 0.1
SCALED_RUN = """import sys, time
sleep = time.sleep
time.sleep = lambda seconds: sleep(seconds * {scale})
from {module} import main
sys.argv[0] = {name!r}
sys.exit(main())
"""


def checker(name: str, arguments: list[str], ca_file: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "REQUESTS_CA_BUNDLE": ca_file}  # the checkers' requests validate the lab CA
    program = SCALED_RUN.format(scale=WAIT_SCALE, module=ENTRY_POINTS[name], name=name)
    return subprocess.run(
        [sys.executable, "-c", program, *arguments],
        capture_output=True, text=True, timeout=600, env=environment, check=False,
    )  # fmt: skip


def test_dmtf_checkers_against_a_lab_bmc(tmp_path: Path) -> None:
    fleet = start_fleet(tmp_path, "--scenario", "estate", "--hosts", "2", "--reboot-seconds", "0.2")
    try:
        bmc = fleet.host(0)["bmc"]  # estate: the hosts without BitLocker have a BMC
        login = ["-u", bmc["username"], "-p", bmc["password"], "-r", f"https://{bmc['address']}:{bmc['port']}"]
        use_cases = checker(
            "rf_use_case_checkers",
            [*login, "--report-dir", str(tmp_path / "use-cases"), "--test-list", "PowerControl", "BootOverride"],
            fleet.ca_file,
        )
        assert use_cases.returncode == 0, use_cases.stdout + use_cases.stderr
        counts = re.search(r"\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|", use_cases.stdout)
        assert counts is not None, use_cases.stdout
        passed, _warned, failed, _untested = map(int, counts.groups())
        assert failed == 0 and passed > 0, use_cases.stdout

        reports = tmp_path / "protocol"
        validator = checker(
            "rf_protocol_validator",
            [
                *login,
                "--ca-bundle",
                fleet.ca_file,
                "--report-dir",
                str(reports),
                "--report-type",
                "tsv",
                "--avoid-http-redirect",
            ],
            fleet.ca_file,
        )
        assert "Summary - PASS:" in validator.stdout + validator.stderr, validator.stderr
        rows = [row for report in reports.glob("*.tsv") for row in csv.reader(report.open(), delimiter="\t")]
        failed_ids = {row[0] for row in rows if "FAIL" in row[1:6]}
        assert failed_ids <= NOT_MODELLED, failed_ids
        assert sum("PASS" in row[1:6] for row in rows) > 150
    finally:
        lab("down", "--fleet-file", str(fleet.fleet_file))
