"""The lifeline.recovery.bitlocker_recovery_password lookup and the escrow rules behind it.

The first half tests the pure helpers in plugin_utils/_escrow.py: reading an escrow export,
choosing a computer's row, checking a recovery password, and the promise that no message ever
contains a recovery password. The second half runs the real `ansible` command with the
repository's ansible.cfg, as users run it: plain and ansible-vault encrypted exports, the option
sources, and failing lookups at -vvvv whose whole output must not contain a password.

No recovery password is written literally here: `fake_password` builds obviously fake ones from
small block numbers, `random_password` builds random valid ones (each block random(0..65535) * 11).
"""

from __future__ import annotations

import codecs
import json
import os
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ansible_collections.lifeline.recovery.plugins.plugin_utils._escrow import (
    PASSWORD_BLOCK_LIMIT,
    EscrowColumns,
    EscrowEntry,
    EscrowError,
    check_recovery_password,
    decode_escrow,
    find_entry,
    is_key_id,
    is_valid_recovery_password,
    normalize_key_id,
    parse_escrow,
    recovery_password_for,
    recovery_password_problem,
    shown,
    shown_key_id,
)

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent
LOOKUP = "lifeline.recovery.bitlocker_recovery_password"
HEADER = "ComputerName,VolumeType,KeyProtectorId,RecoveryPassword"
PATH = "/srv/escrow/bitlocker.csv"


def fake_password(*blocks: int) -> str:
    """A valid recovery password that looks fake: block n is n * 11 (000011-000022-...)."""
    blocks = blocks or tuple(range(1, 9))
    assert len(blocks) == 8
    return "-".join(f"{block * 11:06d}" for block in blocks)


def random_password(rng: random.Random | None = None) -> str:
    """A random valid recovery password: 8 blocks of random(0..65535) * 11."""
    rng = rng or random.Random()
    return "-".join(f"{rng.randrange(65536) * 11:06d}" for _ in range(8))


def key_id(number: int) -> str:
    return "{" + f"0000{number:04d}-0000-4000-8000-{number:012d}" + "}"


def escrow_text(rows: list[tuple[str, ...]], header: str = HEADER, newline: str = "\r\n") -> str:
    """An escrow export as the lab writes it: a header, one comma-separated row per protector, CRLF."""
    return newline.join([header, *(",".join(row) for row in rows)]) + newline


def assert_secret_free(text: str, *passwords: str) -> None:
    """No password, and no block sequence of one, appears in ``text``."""
    for password in passwords:
        assert password not in text
        blocks = password.split("-")
        for start in range(len(blocks) - 1):
            assert "-".join(blocks[start : start + 2]) not in text


# ---------------------------------------------------------------------------------------------
# Recovery password rule


def test_random_and_boundary_passwords_are_valid():
    rng = random.Random(20240719)
    for _ in range(500):
        assert is_valid_recovery_password(random_password(rng))
    assert is_valid_recovery_password(fake_password(0, 0, 0, 0, 0, 0, 0, 0))
    assert is_valid_recovery_password(fake_password(*[65535] * 8))  # 720885, the largest block


@pytest.mark.parametrize(
    ("candidate", "reason"),
    [
        pytest.param(fake_password().replace("000011", "000012", 1), "divisible by 11", id="block-not-multiple-of-11"),
        pytest.param(fake_password().replace("000011", f"{PASSWORD_BLOCK_LIMIT:06d}", 1), "below 720896", id="2^16*11"),
        pytest.param(fake_password().replace("000011", "990000", 1), "below 720896", id="over-limit"),
        pytest.param(fake_password().rsplit("-", 1)[0], "8 blocks", id="seven-blocks"),
        pytest.param(fake_password() + "-000011", "8 blocks", id="nine-blocks"),
        pytest.param(fake_password().replace("-", ""), "8 blocks", id="no-dashes"),
        pytest.param(fake_password().replace("-", " "), "8 blocks", id="spaces"),
        pytest.param(fake_password().replace("000011", "00011", 1), "8 blocks", id="short-block"),
        pytest.param(fake_password() + "\n", "8 blocks", id="trailing-newline"),
        pytest.param(fake_password().replace("0", "\u0660"), "8 blocks", id="arabic-indic-digits"),
        pytest.param("", "8 blocks", id="empty"),
    ],
)
def test_invalid_passwords_are_refused_with_a_reason_that_hides_the_value(candidate, reason):
    problem = recovery_password_problem(candidate)
    assert problem is not None and reason in problem
    assert not is_valid_recovery_password(candidate)
    if candidate.strip():
        assert candidate.strip() not in problem


# ---------------------------------------------------------------------------------------------
# Reading the export


def test_parse_reads_the_lab_format_with_crlf_and_counts_lines_and_rows():
    first, second = random_password(), random_password()
    text = escrow_text(
        [("WS-0001", "OperatingSystem", key_id(1), first), ("WS-0002", "OperatingSystem", key_id(2), second)]
    )
    entries = parse_escrow(text, PATH)
    assert entries == (
        EscrowEntry("WS-0001", "OperatingSystem", key_id(1), first, line=2, row=1),
        EscrowEntry("WS-0002", "OperatingSystem", key_id(2), second, line=3, row=2),
    )


def test_entry_repr_hides_the_password():
    password = random_password()
    entry = parse_escrow(escrow_text([("WS-0001", "OperatingSystem", key_id(1), password)]), PATH)[0]
    assert password not in repr(entry)


def test_parse_accepts_export_csv_quirks():
    """Windows PowerShell's Export-Csv: a #TYPE line, every cell quoted; plus LF endings, blank lines,
    spaces around cells, headers in another case, a quoted line break in an unrelated column."""
    password = random_password()
    text = (
        "#TYPE System.Management.Automation.PSCustomObject\n"
        '"computername","Note","volumetype","KEYPROTECTORID","RecoveryPassword"\n'
        "\n"
        f'"WS-0001","two\nlines","OperatingSystem","{key_id(1)}"," {password} "\n'
        "\n"
        f'"WS-0002","","OperatingSystem","{key_id(2)}","{fake_password()}"\n'
    )
    first, second = parse_escrow(text, PATH)
    assert (first.computer, first.key_id, first.recovery_password, first.line, first.row) == (
        "WS-0001",
        key_id(1),
        password,
        4,
        1,
    )
    assert (second.computer, second.line, second.row) == ("WS-0002", 7, 2)


def test_parse_with_custom_column_names_and_without_optional_columns():
    password = random_password()
    text = escrow_text([("ws-0042.corp.example", password, "Intune")], header="Device name,Recovery key,Source")
    columns = EscrowColumns(computer="device NAME", password="Recovery Key", key_id="", volume_type="")
    (entry,) = parse_escrow(text, PATH, columns)
    assert (entry.computer, entry.key_id, entry.volume_type) == ("ws-0042.corp.example", None, None)
    assert recovery_password_for([entry], "WS-0042.corp.example", PATH, columns) == password


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        pytest.param(codecs.BOM_UTF8, "utf-8", id="utf-8-bom"),
        pytest.param(b"", "utf-8", id="utf-8"),
        pytest.param(b"", "utf-16", id="utf-16-with-bom"),
        pytest.param(codecs.BOM_UTF16_BE, "utf-16-be", id="utf-16-be-with-bom"),
    ],
)
def test_decode_accepts_utf8_and_utf16_with_bom(data, encoding):
    password = random_password()
    text = escrow_text([("WS-0001", "OperatingSystem", key_id(1), password)])
    (entry,) = parse_escrow(decode_escrow(data + text.encode(encoding), PATH), PATH)
    assert entry.computer == "WS-0001" and entry.recovery_password == password


def test_utf16_without_byte_order_mark_is_refused():
    text = decode_escrow(
        escrow_text([("WS-0001", "OperatingSystem", key_id(1), fake_password())]).encode("utf-16-le"), PATH
    )
    with pytest.raises(EscrowError, match=f"{PATH} line 1 contains NUL characters"):
        parse_escrow(text, PATH)


def test_decode_refuses_binary_data_naming_the_file():
    with pytest.raises(EscrowError, match=f"{PATH} is not a CSV text file"):
        decode_escrow(b"PK\x03\x04\xff\xfe\x00garbage", PATH)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", f"{PATH} is empty", id="empty"),
        pytest.param(" \r\n\r\n", f"{PATH} is empty", id="blank"),
        pytest.param(
            "ComputerName,KeyProtectorId\r\nWS-0001,x\r\n",
            f"{PATH} line 1 \\(the header\\) lacks the column\\(s\\) RecoveryPassword, VolumeType; "
            "it has: ComputerName, KeyProtectorId",
            id="missing-columns",
        ),
        pytest.param(
            "plugin: lifeline.recovery.fleet\nhosts: []\n",
            f"{PATH} line 1 \\(the header\\) lacks the column\\(s\\) ComputerName, RecoveryPassword",
            id="yaml-not-csv",
        ),
        pytest.param(
            "ComputerName;VolumeType;KeyProtectorId;RecoveryPassword\r\n",
            "another separator",
            id="semicolons",
        ),
        pytest.param(
            HEADER + ",RecoveryPassword\r\n",
            "has the column RecoveryPassword 2 times",
            id="duplicate-column",
        ),
        pytest.param(
            escrow_text([("WS-0001", "OperatingSystem", key_id(1))]),
            f"{PATH} line 2 has 3 cells where the header \\(line 1\\) has 4",
            id="short-row",
        ),
        pytest.param(HEADER + '\r\n"WS-0001\r\n', f"{PATH} line 2 is not valid CSV", id="unterminated-quote"),
        pytest.param(HEADER + "\r\nWS-0001,\x00\r\n", f"{PATH} line 2 contains NUL characters", id="nul"),
    ],
)
def test_malformed_exports_are_refused_naming_file_and_line(text, message):
    with pytest.raises(EscrowError, match=message):
        parse_escrow(text, PATH)


def test_empty_column_names_for_the_needed_columns_are_refused():
    with pytest.raises(EscrowError, match=r"password column name .* is empty"):
        parse_escrow(escrow_text([]), PATH, EscrowColumns(password=" "))


def test_header_only_export_has_no_entries_and_says_so_per_computer():
    entries = parse_escrow(escrow_text([]), PATH)
    assert entries == ()
    with pytest.raises(EscrowError, match=f"{PATH} has no row for the computer WS-0001"):
        find_entry(entries, "WS-0001", PATH)


def test_an_export_without_header_never_shows_the_first_rows_password():
    password = random_password()
    text = f"WS-0001,OperatingSystem,{key_id(1)},{password}\r\n"
    with pytest.raises(EscrowError) as raised:
        parse_escrow(text, PATH)
    message = str(raised.value)
    assert "needs a header line" in message and "withheld" in message
    assert_secret_free(message, password)


# ---------------------------------------------------------------------------------------------
# Choosing the row


@pytest.fixture
def fleet_rows():
    rng = random.Random(7)
    passwords = {name: random_password(rng) for name in ("one", "old", "new", "data", "bad")}
    rows = [
        ("WS-0001", "OperatingSystem", key_id(1), passwords["one"]),
        ("WS-0002", "OperatingSystem", key_id(2), passwords["old"]),
        ("WS-0002", "OperatingSystem", key_id(3), passwords["new"]),
        ("WS-0002", "FixedData", key_id(4), passwords["data"]),
        ("WS-0003", "OperatingSystem", key_id(5), passwords["bad"].replace("-", "", 1)),
        ("WS-0001", "OperatingSystem", key_id(1).lower(), passwords["one"]),  # the same key exported twice
    ]
    return parse_escrow(escrow_text(rows), PATH), passwords


def test_lookup_by_computer_ignores_case_and_repeated_rows(fleet_rows):
    entries, passwords = fleet_rows
    assert recovery_password_for(entries, "ws-0001", PATH) == passwords["one"]
    assert recovery_password_for(entries, " WS-0001 ", PATH) == passwords["one"]


def test_rotated_keys_without_key_id_name_the_candidates_and_hide_the_passwords(fleet_rows):
    entries, passwords = fleet_rows
    with pytest.raises(EscrowError) as raised:
        recovery_password_for(entries, "WS-0002", PATH)
    message = str(raised.value)
    assert f"{PATH} has 2 candidate recovery passwords for WS-0002 (lines 3, 4;" in message
    assert key_id(2) in message and key_id(3) in message and "pass key_id" in message
    assert_secret_free(message, *passwords.values())


@pytest.mark.parametrize(
    "spelling", [key_id(3), key_id(3).strip("{}"), key_id(3).lower(), f" {key_id(3).strip('{}')} "]
)
def test_key_id_chooses_the_protector_with_or_without_braces_in_any_case(fleet_rows, spelling):
    entries, passwords = fleet_rows
    assert recovery_password_for(entries, "WS-0002", PATH, key_id=spelling) == passwords["new"]


def test_volume_type_chooses_the_data_volume_and_empty_accepts_any(fleet_rows):
    entries, passwords = fleet_rows
    assert recovery_password_for(entries, "WS-0002", PATH, volume_type="fixeddata") == passwords["data"]
    with pytest.raises(EscrowError, match="has 3 candidate recovery passwords"):
        recovery_password_for(entries, "WS-0002", PATH, volume_type="")
    with pytest.raises(
        EscrowError, match="none for a volume of type RemovableData \\(found: FixedData, OperatingSystem\\)"
    ):
        recovery_password_for(entries, "WS-0002", PATH, volume_type="RemovableData")


def test_unknown_key_id_lists_the_known_ones(fleet_rows):
    entries, _ = fleet_rows
    with pytest.raises(EscrowError, match=f"no row for WS-0002 with key protector ID \\{{{key_id(9).strip('{}')}\\}}"):
        recovery_password_for(entries, "WS-0002", PATH, key_id=key_id(9))


def test_a_key_id_that_is_not_a_guid_is_refused_without_being_echoed(fleet_rows):
    entries, passwords = fleet_rows
    with pytest.raises(EscrowError, match="key_id is not a key protector ID") as raised:
        recovery_password_for(entries, "WS-0002", PATH, key_id=passwords["new"])
    assert_secret_free(str(raised.value), *passwords.values())


def test_unknown_computer_hints_at_the_name_the_export_uses(fleet_rows):
    entries, _ = fleet_rows
    with pytest.raises(
        EscrowError, match=re.escape("no row for the computer ws-0001.corp.example (it has rows for WS-0001")
    ):
        find_entry(entries, "ws-0001.corp.example", PATH)
    with pytest.raises(EscrowError, match="is empty"):
        find_entry(entries, " ", PATH)


def test_an_invalid_password_names_computer_line_row_and_column_but_not_the_value(fleet_rows):
    entries, passwords = fleet_rows
    with pytest.raises(EscrowError) as raised:
        recovery_password_for(entries, "WS-0003", PATH)
    message = str(raised.value)
    assert f"{PATH} line 6 (data row 5), column RecoveryPassword" in message
    assert "WS-0003" in message and "8 blocks of 6 digits" in message
    assert_secret_free(message, *passwords.values(), passwords["bad"].replace("-", "", 1))


def test_an_invalid_row_of_another_computer_does_not_block_this_one(fleet_rows):
    entries, passwords = fleet_rows
    assert recovery_password_for(entries, "WS-0001", PATH) == passwords["one"]


def test_conflicting_rows_for_one_key_protector_are_refused(fleet_rows):
    entries, passwords = fleet_rows
    clash = EscrowEntry("WS-0001", "OperatingSystem", key_id(1), random_password(), line=9, row=8)
    with pytest.raises(EscrowError, match="different recovery passwords \\(lines 2, 9\\)") as raised:
        recovery_password_for((*entries, clash), "WS-0001", PATH, key_id=key_id(1))
    assert_secret_free(str(raised.value), passwords["one"], clash.recovery_password)


def test_key_id_needs_a_key_id_column(fleet_rows):
    entries, _ = fleet_rows
    with pytest.raises(EscrowError, match="no key_id_column"):
        recovery_password_for(entries, "WS-0002", PATH, EscrowColumns(key_id=""), key_id=key_id(3))


def test_check_recovery_password_returns_a_valid_one():
    password = random_password()
    entry = EscrowEntry("WS-0001", "OperatingSystem", key_id(1), password, line=2, row=1)
    assert check_recovery_password(entry, PATH, "RecoveryPassword") == password


def test_every_error_message_is_free_of_every_password_in_the_file():
    """Build an export where passwords also sit in the wrong columns, provoke each error, and search
    every message for every password."""
    rng = random.Random(11)
    passwords = [random_password(rng) for _ in range(6)]
    misplaced = [
        ("WS-0001", "OperatingSystem", key_id(1), passwords[0]),
        ("WS-0001", "OperatingSystem", passwords[1], passwords[2]),  # a password in the key ID column
        ("WS-0002", passwords[3], key_id(2), passwords[4]),  # a password in the volume type column
        (passwords[5], "OperatingSystem", key_id(3), passwords[5].replace("-", "", 2)),
    ]
    entries = parse_escrow(escrow_text(misplaced), PATH)
    attempts = [
        lambda: recovery_password_for(entries, "WS-0001", PATH),
        lambda: recovery_password_for(entries, "WS-0001", PATH, key_id=key_id(7)),
        lambda: recovery_password_for(entries, "WS-0002", PATH),
        lambda: recovery_password_for(entries, passwords[5], PATH),
        lambda: recovery_password_for(entries, passwords[5][:13], PATH),
        lambda: recovery_password_for(entries, "WS-0001", PATH, key_id=passwords[0]),
        lambda: parse_escrow(escrow_text(misplaced, header=",".join(misplaced[0])), PATH),
        lambda: parse_escrow(escrow_text(misplaced, header=passwords[0]), PATH),
    ]
    for attempt in attempts:
        with pytest.raises(EscrowError) as raised:
            attempt()
        assert_secret_free(str(raised.value), *passwords)


def test_shown_withholds_secret_like_text_and_keeps_names():
    assert shown("WS-0001") == "WS-0001"
    assert shown("PC-123456") == "PC-123456"  # an asset number is not a password
    assert "withheld" in shown(fake_password())
    assert "withheld" in shown(fake_password()[:13])
    assert "withheld" in shown(fake_password().replace("-", ""))
    assert shown("x" * 100).endswith("...")
    assert shown(None) == "(none)"


def test_key_id_helpers():
    assert normalize_key_id(" {abc} ") == "ABC"
    assert normalize_key_id("") is None
    assert is_key_id(key_id(1).lower()) and is_key_id(key_id(1).strip("{}"))
    assert not is_key_id(fake_password())
    assert shown_key_id(key_id(1).lower()) == key_id(1)
    assert shown_key_id(fake_password()) == "(not a key protector ID)"


# ---------------------------------------------------------------------------------------------
# The lookup through ansible


def run(tool: str, *arguments: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("ANSIBLE_", "LIFELINE_"))}
    environment.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    environment.update(env or {})
    return subprocess.run(
        [str(BIN / tool), *arguments], capture_output=True, text=True, cwd=cwd, env=environment, timeout=120
    )


def adhoc(expression: str, *options: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`ansible localhost -m ansible.builtin.debug -a "msg={{ <expression> }}"` over a local connection."""
    return run(
        "ansible",
        "localhost",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-m",
        "ansible.builtin.debug",
        "-a",
        f"msg={{{{ {expression} }}}}",
        *options,
        cwd=cwd,
        env=env,
    )


def debug_msg(result: subprocess.CompletedProcess):
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    return json.loads(output[output.index("{") :])["msg"]


def write_escrow(path: Path, rows: list[tuple[str, ...]], mode: int = 0o600) -> Path:
    path.write_bytes(escrow_text(rows).encode())
    path.chmod(mode)
    return path


@pytest.fixture
def escrow(tmp_path):
    rng = random.Random()
    passwords = {name: random_password(rng) for name in ("WS-0001", "old", "new", "WS-0003")}
    rows = [
        ("WS-0001", "OperatingSystem", key_id(1), passwords["WS-0001"]),
        ("WS-0002", "OperatingSystem", key_id(2), passwords["old"]),
        ("WS-0002", "OperatingSystem", key_id(3), passwords["new"]),
        ("WS-0003", "OperatingSystem", key_id(4), passwords["WS-0003"].replace("-", "", 1)),
    ]
    return write_escrow(tmp_path / "bitlocker-escrow.csv", rows), passwords


def test_ansible_reads_a_plain_export(escrow, tmp_path):
    path, passwords = escrow
    result = adhoc(f"lookup('{LOOKUP}', 'WS-0001', escrow_file='{path}') | length", cwd=tmp_path)
    assert debug_msg(result) == 55
    assert_secret_free(result.stdout + result.stderr, *passwords.values())
    chosen = adhoc(
        f"lookup('{LOOKUP}', 'ws-0002', escrow_file='{path}', key_id='{key_id(3).strip('{}').lower()}') "
        f"== '{passwords['new']}'",
        cwd=tmp_path,
    )
    assert debug_msg(chosen) is True


def test_one_password_per_term_and_key_id_only_with_one_term(escrow, tmp_path):
    path, _ = escrow
    several = adhoc(
        f"query('{LOOKUP}', 'WS-0001', 'ws-0001', escrow_file='{path}') | map('length') | list", cwd=tmp_path
    )
    assert debug_msg(several) == [55, 55]
    with_key = adhoc(
        f"query('{LOOKUP}', 'WS-0001', 'WS-0002', escrow_file='{path}', key_id='{key_id(1)}')", cwd=tmp_path
    )
    assert with_key.returncode != 0 and "key_id selects one key protector: name one computer, not 2" in with_key.stdout


def test_ansible_reads_a_vault_encrypted_export(escrow, tmp_path):
    path, passwords = escrow
    vault_password_file = tmp_path / "vault-pass"
    vault_password_file.write_text("correct horse battery staple\n")
    encrypted = run(
        "ansible-vault", "encrypt", "--vault-password-file", str(vault_password_file), str(path), cwd=tmp_path
    )
    assert encrypted.returncode == 0, encrypted.stderr
    assert path.read_bytes().startswith(b"$ANSIBLE_VAULT;")
    local_tmp = tmp_path / "local-tmp"
    env = {"ANSIBLE_LOCAL_TEMP": str(local_tmp)}

    expression = f"lookup('{LOOKUP}', 'WS-0001', escrow_file='{path}') | length"
    result = adhoc(expression, "--vault-password-file", str(vault_password_file), cwd=tmp_path, env=env)
    assert debug_msg(result) == 55
    assert "plain text" not in result.stderr  # no permission warning for an encrypted file
    leftovers = [item for item in local_tmp.rglob("*") if item.is_file()] if local_tmp.exists() else []
    assert leftovers == []

    without = adhoc(expression, cwd=tmp_path, env=env)
    assert without.returncode != 0
    assert f"{path} is encrypted with ansible-vault and no vault secret was given" in without.stdout
    wrong_password_file = tmp_path / "wrong-pass"
    wrong_password_file.write_text("wrong\n")
    wrong = adhoc(expression, "--vault-password-file", str(wrong_password_file), "-vvvv", cwd=tmp_path, env=env)
    assert wrong.returncode != 0
    assert f"{path} could not be decrypted with the vault secrets given" in wrong.stdout
    for outcome in (result, without, wrong):
        assert_secret_free(outcome.stdout + outcome.stderr, *passwords.values())


@pytest.mark.parametrize(
    ("computer", "expected"),
    [
        pytest.param("WS-0002", "has 2 candidate recovery passwords for WS-0002", id="rotated-keys"),
        pytest.param("WS-0003", "line 5 (data row 4), column RecoveryPassword", id="invalid-password"),
    ],
)
def test_a_failing_lookup_at_vvvv_never_shows_a_password(escrow, tmp_path, computer, expected):
    path, passwords = escrow
    result = adhoc(
        f"lookup('{LOOKUP}', '{computer}', escrow_file='{path}') | length",
        "-vvvv",
        cwd=tmp_path,
        env={"ANSIBLE_DISPLAY_TRACEBACK": "always"},
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert expected in output
    assert_secret_free(output, *passwords.values(), passwords["WS-0003"].replace("-", "", 1))


def test_a_playbook_with_no_log_at_vvvv_uses_the_password_and_never_shows_it(escrow, tmp_path):
    path, passwords = escrow
    playbook = tmp_path / "unlock.yml"
    playbook.write_text(
        textwrap.dedent(
            f"""\
            - name: Use a recovery password
              hosts: localhost
              connection: local
              tasks:
                - name: Hand the password to a task, as an unlock task would
                  ansible.builtin.assert:
                    that:
                      - recovery_password | length == 55
                      - recovery_password is match('^([0-9]{{6}}-){{7}}[0-9]{{6}}$')
                  vars:
                    recovery_password: "{{{{ lookup('{LOOKUP}', 'WS-0001', escrow_file='{path}') }}}}"
                  no_log: true
                - name: Show it (censored by no_log)
                  ansible.builtin.debug:
                    msg: "{{{{ lookup('{LOOKUP}', 'WS-0001', escrow_file='{path}') }}}}"
                  no_log: true
            """
        )
    )
    result = run("ansible-playbook", "-i", "localhost,", "-vvvv", str(playbook), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok=2" in result.stdout and "censored" in result.stdout
    assert_secret_free(result.stdout + result.stderr, *passwords.values())


def test_the_escrow_file_comes_from_the_environment_vars_or_ansible_cfg(escrow, tmp_path):
    path, _ = escrow
    expression = f"lookup('{LOOKUP}', 'WS-0001') | length"
    assert debug_msg(adhoc(expression, cwd=tmp_path, env={"LIFELINE_BITLOCKER_ESCROW_FILE": str(path)})) == 55
    assert debug_msg(adhoc(expression, "-e", f"lifeline_bitlocker_escrow_file={path}", cwd=tmp_path)) == 55

    # A relative path in ansible.cfg is relative to that file's directory, not the working directory.
    config_dir = path.parent
    (config_dir / "ansible.cfg").write_text(
        textwrap.dedent(
            f"""\
            [defaults]
            collections_path = {REPO / ".collections"}
            [lifeline]
            bitlocker_escrow_file = {path.name}
            """
        )
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = adhoc(expression, cwd=elsewhere, env={"ANSIBLE_CONFIG": str(config_dir / "ansible.cfg")})
    assert debug_msg(result) == 55


def test_no_escrow_file_or_a_missing_one_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere.csv"
    unset = adhoc(f"lookup('{LOOKUP}', 'WS-0001') | length", cwd=tmp_path)
    assert unset.returncode != 0 and "no BitLocker escrow file: pass escrow_file" in unset.stdout
    absent = adhoc(f"lookup('{LOOKUP}', 'WS-0001', escrow_file='{missing}') | length", cwd=tmp_path)
    assert absent.returncode != 0 and f"the BitLocker escrow file {missing} does not exist" in absent.stdout


def test_a_malformed_export_is_a_clear_error(tmp_path):
    path = tmp_path / "escrow.csv"
    path.write_text("ComputerName,Password\r\nWS-0001,x\r\n")
    path.chmod(0o600)
    result = adhoc(f"lookup('{LOOKUP}', 'WS-0001', escrow_file='{path}') | length", cwd=tmp_path)
    assert result.returncode != 0
    assert f"{path} line 1 (the header) lacks the column(s) RecoveryPassword" in result.stdout


def test_a_plain_export_readable_by_others_gets_a_warning(escrow, tmp_path):
    path, passwords = escrow
    path.chmod(0o644)
    result = adhoc(f"lookup('{LOOKUP}', 'WS-0001', escrow_file='{path}') | length", cwd=tmp_path)
    assert debug_msg(result) == 55
    assert "other users can read it (mode 0644)" in result.stdout + result.stderr
    assert_secret_free(result.stdout + result.stderr, *passwords.values())


def test_the_plugin_returns_untrusted_values_and_removes_the_decrypted_copy(escrow, tmp_path):
    """In a fresh Python process: load the plugin through Ansible's plugin loader with a DataLoader
    that holds the vault secret, call it, and look at what it returned and what it left behind."""
    path, passwords = escrow
    vault_password_file = tmp_path / "vault-pass"
    vault_password_file.write_text("s3cret\n")
    encrypted = run(
        "ansible-vault", "encrypt", "--vault-password-file", str(vault_password_file), str(path), cwd=tmp_path
    )
    assert encrypted.returncode == 0, encrypted.stderr
    script = textwrap.dedent(
        f"""\
        import json, os
        from ansible._internal._datatag._tags import TrustedAsTemplate
        from ansible.parsing.dataloader import DataLoader
        from ansible.parsing.vault import VaultSecret
        from ansible.plugins.loader import init_plugin_loader, lookup_loader

        init_plugin_loader()
        loader = DataLoader()
        loader.set_vault_secrets([("default", VaultSecret(b"s3cret"))])
        real_paths = []
        get_real_file = loader.get_real_file
        def spy(*args, **kwargs):
            real_paths.append(get_real_file(*args, **kwargs))
            return real_paths[-1]
        loader.get_real_file = spy
        lookup = lookup_loader.get("{LOOKUP}", loader=loader)
        values = lookup.run(["WS-0001"], {{}}, escrow_file="{path}", volume_type="operatingsystem")
        values += lookup.run(["ws-0002"], {{}}, escrow_file="{path}", key_id="{key_id(3)}")
        print(json.dumps({{
            "expected": values == ["{passwords["WS-0001"]}", "{passwords["new"]}"],
            "trusted": [TrustedAsTemplate.is_tagged_on(value) for value in values],
            "decrypted_copies": [real != "{path}" for real in real_paths],
            "copies_left": [real for real in real_paths if real != "{path}" and os.path.exists(real)],
            "loader_tempfiles": len(loader._tempfiles),
        }}))
        """
    )
    result = run("python", "-c", script, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {
        "expected": True,
        "trusted": [False, False],
        "decrypted_copies": [True, True],
        "copies_left": [],
        "loader_tempfiles": 0,
    }
