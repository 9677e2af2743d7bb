# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: bitlocker_recovery_password
short_description: A computer's BitLocker recovery password, read from an escrow export when it is needed
version_added: 0.1.0
author:
  - Lifeline maintainers (@lifeline)
description:
  - Returns the BitLocker recovery password of each computer named in the terms, read from an escrow
    export at the moment of use, for a task that unlocks the computer's volume.
  - An escrow export is the CSV file an organisation exports from AD DS or Intune, one row per key
    protector. The default column names are the property names of the BitLocker PowerShell module
    (C(Get-BitLockerVolume) and its key protectors), as an export made with it has them,
    C(ComputerName,VolumeType,KeyProtectorId,RecoveryPassword); the O(computer_column),
    O(password_column), O(key_id_column) and O(volume_type_column) options name the columns of other
    exports. Column names are matched without regard to case; the file may be UTF-8 (with or without a
    byte order mark) or UTF-16 with a byte order mark, with CRLF or LF line endings, quoted or not, and
    may start with the C(#TYPE) line of Windows PowerShell's C(Export-Csv).
  - The whole file may be encrypted with ansible-vault. It is decrypted with the vault secrets given to
    Ansible (C(--vault-password-file), C(--ask-vault-pass), C(--vault-id)); the decrypted copy is a
    private temporary file removed as soon as it has been read. An escrow file that is not encrypted
    should be readable only by its owner; the lookup warns when other users can read it.
  - Computer names are matched without regard to case. Rows are narrowed to the volume type
    O(volume_type) and, when given, to the key protector O(key_id). Rows that repeat the same key
    protector and password count once. When a computer still has several candidates (rotated keys,
    several volumes), the lookup fails and lists their key protector IDs and lines; pass O(key_id) to choose.
  - Every password returned is checked first (8 blocks of 6 digits, each divisible by 11 and below
    720896). Only the rows asked for are checked, so one damaged row does not block other computers.
  - A recovery password is a secret. It never appears in an error, warning or message of this lookup,
    at any verbosity; errors name the file, the line and the column instead. The values returned are
    marked unsafe so that they are never templated.
  - B(Every task that uses a password must set no_log to true), since Ansible shows module arguments
    and results otherwise. Pass the lookup straight to the module argument that needs it rather than
    storing the password in a fact.
notes:
  - Lookups run on the controller. The escrow file is read again for each task and host that calls the
    lookup, so a rotated export is picked up without restarting the play.
  - Relative paths given as a lookup keyword or in the environment are relative to the current working
    directory; in C(ansible.cfg) they are relative to that file's directory. C(~) is expanded.
seealso:
  - name: BitLocker recovery overview
    description: Where recovery passwords come from and how they are escrowed (Microsoft Learn).
    link: https://learn.microsoft.com/windows/security/operating-system-security/data-protection/bitlocker/recovery-overview
options:
  _terms:
    description:
      - The computer names (as the escrow export spells them; case is ignored) whose recovery
        password to return, one result per name.
    type: list
    elements: str
    required: true
  escrow_file:
    description:
      - Path of the escrow export (CSV), plain or encrypted as a whole with ansible-vault.
      - Required; the lookup fails with a clear message when no source sets it.
    type: path
    env:
      - name: LIFELINE_BITLOCKER_ESCROW_FILE
    ini:
      - section: lifeline
        key: bitlocker_escrow_file
    vars:
      - name: lifeline_bitlocker_escrow_file
  key_id:
    description:
      - The ID of the key protector (numerical password) whose password to return, a GUID with or
        without braces, case ignored. The recovery screen of a locked volume shows its first block; the
        escrow export (AD DS, Intune) lists it whole. (C(manage-bde -protectors -get) shows it too, but on
        an unlocked volume it also prints every recovery password, so avoid it in logged sessions.)
      - Needed when the export has several rows for the computer, for example after key rotation.
      - With a O(key_id) the terms must name a single computer.
    type: str
  volume_type:
    description:
      - The volume type of the row to return, as the export writes it (V(OperatingSystem),
        V(FixedData), V(RemovableData)); case is ignored.
      - An empty string accepts any volume type. Ignored when O(volume_type_column) is empty.
    type: str
    default: OperatingSystem
  check_only:
    description:
      - Check that each computer has exactly one valid recovery password in the export and return V(true)
        for it, without returning any password (the rollout checks every locked host this way before it
        touches the first one). The same errors as a real look-up otherwise.
    type: bool
    default: false
  computer_column:
    description: The header of the column that holds the computer name.
    type: str
    default: ComputerName
  password_column:
    description: The header of the column that holds the 48-digit recovery password.
    type: str
    default: RecoveryPassword
  key_id_column:
    description:
      - The header of the column that holds the key protector ID.
      - An empty string means the export has no such column (then O(key_id) cannot be used).
    type: str
    default: KeyProtectorId
  volume_type_column:
    description:
      - The header of the column that holds the volume type.
      - An empty string means the export has no such column (then rows are not filtered by O(volume_type)).
    type: str
    default: VolumeType
"""

EXAMPLES = r"""
- name: Unlock the operating system volume with the escrowed recovery password
  lifeline.recovery.win_bitlocker_unlock:
    volume: 'D:'
    recovery_password: "{{ lookup('lifeline.recovery.bitlocker_recovery_password', inventory_hostname) }}"
  no_log: true  # always: the password is a module argument

- name: Read another export's column names from a vault-encrypted file, choosing the rotated key
  lifeline.recovery.win_bitlocker_unlock:
    volume: 'D:'
    recovery_password: >-
      {{ lookup('lifeline.recovery.bitlocker_recovery_password', 'WS-0042',
                escrow_file='secrets/bitlocker-keys.csv.vault',
                computer_column='Device name', password_column='Recovery key',
                key_id_column='Key ID', volume_type_column='',
                key_id='6B3D8F2A-1C4E-4A5B-9F0E-2D7C8B9A0E1F') }}
  no_log: true

# ansible.cfg, so that no task has to name the file:
# [lifeline]
# bitlocker_escrow_file = /secure/bitlocker-escrow.csv.vault
"""

RETURN = r"""
_raw:
  description:
    - One recovery password per term (8 blocks of 6 digits separated by C(-)), marked unsafe; with
      O(check_only), V(true) per term instead.
    - A secret; use it only in tasks with C(no_log) set to V(true).
  type: list
  elements: str
"""

import os
import stat
from typing import Any

from ansible.errors import AnsibleError, AnsibleFileNotFound, AnsibleLookupError
from ansible.parsing.vault import is_encrypted_file
from ansible.plugins.lookup import LookupBase
from ansible.utils.display import Display

try:
    from ansible.utils.unsafe_proxy import wrap_var
except ImportError:  # the module is due to go (ansible-core 2.23), where lookup results are untrusted anyway

    def wrap_var(value: Any) -> Any:
        return value


from ansible_collections.lifeline.recovery.plugins.plugin_utils._escrow import (
    EscrowColumns,
    EscrowError,
    decode_escrow,
    parse_escrow,
    recovery_password_for,
)

display = Display()

ESCROW_FILE_ENV = "LIFELINE_BITLOCKER_ESCROW_FILE"


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        path = self.get_option("escrow_file")
        if not path:
            raise AnsibleLookupError(
                "no BitLocker escrow file: pass escrow_file, set the environment variable "
                f"{ESCROW_FILE_ENV}, or set bitlocker_escrow_file in the [lifeline] section of ansible.cfg"
            )
        columns = EscrowColumns(
            computer=self.get_option("computer_column"),
            password=self.get_option("password_column"),
            key_id=self.get_option("key_id_column") or "",
            volume_type=self.get_option("volume_type_column") or "",
        )
        key_id = self.get_option("key_id") or None
        volume_type = self.get_option("volume_type") or None
        if key_id is not None and len(terms) != 1:
            raise AnsibleLookupError(f"key_id selects one key protector: name one computer, not {len(terms)}")

        text = self._read_escrow_text(path)
        try:
            entries = parse_escrow(text, path, columns)
            passwords = [
                recovery_password_for(entries, term, path, columns, key_id=key_id, volume_type=volume_type)
                for term in terms
            ]
        except EscrowError as exc:
            # from None: no chained exception (with its own text) reaches a traceback at -vvv.
            raise AnsibleLookupError(str(exc)) from None
        display.vvv(f"bitlocker_recovery_password: {len(passwords)} valid recovery password(s) read from {path}")
        if self.get_option("check_only"):
            return [True for _password in passwords]
        return [wrap_var(password) for password in passwords]

    def _read_escrow_text(self, path: str) -> str:
        """The escrow export's text, decrypted with the loader's vault secrets when it is vault-encrypted."""
        try:
            with open(path, "rb") as handle:
                encrypted = is_encrypted_file(handle)
                mode = os.fstat(handle.fileno()).st_mode
        except FileNotFoundError:
            raise AnsibleLookupError(f"the BitLocker escrow file {path} does not exist") from None
        except OSError as exc:
            raise AnsibleLookupError(f"cannot read the BitLocker escrow file {path}: {exc.strerror or exc}") from None
        if not stat.S_ISREG(mode):
            raise AnsibleLookupError(f"the BitLocker escrow file {path} is not a regular file")
        if not encrypted and mode & (stat.S_IRWXG | stat.S_IRWXO):
            display.warning(
                f"the BitLocker escrow file {path} holds recovery passwords in plain text and other users can "
                f"read it (mode {stat.S_IMODE(mode):04o}): restrict it with chmod 600 or encrypt it with ansible-vault"
            )

        try:
            real_path = self._loader.get_real_file(path, decrypt=True)
        except AnsibleFileNotFound:
            raise AnsibleLookupError(f"the BitLocker escrow file {path} does not exist") from None
        except AnsibleError:
            # Vault's own messages may carry details of the file; ours say what to do.
            if encrypted and not self._has_vault_secrets():
                raise AnsibleLookupError(
                    f"the BitLocker escrow file {path} is encrypted with ansible-vault and no vault secret was "
                    "given: run with --vault-password-file, --ask-vault-pass or --vault-id"
                ) from None
            if encrypted:
                raise AnsibleLookupError(
                    f"the BitLocker escrow file {path} could not be decrypted with the vault secrets given "
                    "(wrong vault password or vault ID, or a damaged vault file)"
                ) from None
            raise AnsibleLookupError(f"cannot read the BitLocker escrow file {path}") from None
        try:
            with open(real_path, "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise AnsibleLookupError(f"cannot read the BitLocker escrow file {path}: {exc.strerror or exc}") from None
        finally:
            # Removes the decrypted temporary copy; a plain file's own path is left alone.
            self._loader.cleanup_tmp_file(real_path)
        try:
            return decode_escrow(data, path)
        except EscrowError as exc:
            raise AnsibleLookupError(str(exc)) from None

    def _has_vault_secrets(self) -> bool:
        vault = getattr(self._loader, "_vault", None)
        return bool(getattr(vault, "secrets", True))
