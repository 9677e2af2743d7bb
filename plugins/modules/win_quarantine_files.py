#!/usr/bin/python
# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module runs as the action plugin plugins/action/win_quarantine_files.py.

DOCUMENTATION = r"""
---
module: win_quarantine_files
short_description: Move files matching a pattern into a quarantine folder, recording them, or put them back
version_added: "0.1.0"
description:
  - Finds files in one folder by file name wildcards, optionally narrowed by their first bytes, their SHA-256
    and a LastWriteTimeUtc window, and moves them into a quarantine folder on the same volume,
    C(<volume>\Lifeline\Quarantine\<quarantine_id>). The rollback record
    C(<volume>\ProgramData\Lifeline\records\quarantine-<quarantine_id>.json) (Lifeline's one record format, kind
    C(quarantine), written before the files move) lists each file's original path, size, SHA-256, LastWriteTimeUtc
    and the time it was quarantined, so a later play can restore the files from the host alone.
    M(lifeline.recovery.win_recovery_records) lists it with what undoes it.
  - O(state=restored) moves the files listed in the record back to where they were and marks them restored. Without
    a record there is nothing to restore, and the task is ok and unchanged (RV(nothing_to_restore=true)). A quarantine
    made by Lifeline 0.1.0, whose record is C(lifeline-quarantine-manifest.json) in the quarantine folder, is
    restored from that file, and the record is written in the records folder from then on.
    A file that has reappeared at an original path is never overwritten; it is reported in RV(conflicts).
  - 'Protected-paths policy: the folder must be O(allowed_roots) or below one of them. Always refused, whatever
    O(allowed_roots) says: the volume root, C(Windows), C(Windows\System32) and C(Windows\SysWOW64) themselves;
    C(Windows\System32\config) (the registry hives), C(Boot), C(EFI), C(Windows\Boot) (boot files),
    C(Recovery), C(System Volume Information), C(Windows\WinSxS), C(Lifeline) and C(ProgramData\Lifeline)
    (Lifeline''s own quarantine and records), and everything below them.'
  - The host is asked twice at most - one survey listing the candidates with size, time, SHA-256 and header
    bytes, then one script that creates the folder, writes the record and moves the files. Which files match
    is decided on the controller. Bad input fails before anything is sent.
  - Works in Safe Mode and in WinRE (where the Windows volume usually is C(D:)), with Windows PowerShell 5.1
    cmdlets only (Get-ChildItem, Get-FileHash, Get-Content, ConvertTo-Json, Move-Item, Set-Content).
author:
  - Lifeline maintainers (@lifeline)
options:
  path:
    description:
      - The folder to search, relative to O(os_volume) (C(Windows\System32\drivers\CrowdStrike)) or absolute
        (C(D:\Windows\System32\drivers\CrowdStrike)); an absolute path's own volume is used.
      - Literal - no wildcards, no C(..), no alternate data streams. Subfolders are not searched.
    type: str
    required: true
  patterns:
    description:
      - File name wildcards (C(*) and C(?)) of the files to quarantine, such as C(C-00000291*.sys).
      - A pattern names files inside O(path) only - C(..), C(\), C(/), C(:) (drive letters, alternate data
        streams) and C(< > " |) are refused, and so is a pattern that matches every file (C(*), C(*.*)).
      - Every name the host lists is checked against the patterns again on the controller, so 8.3 short names
        never widen a match.
    type: list
    elements: str
    required: true
  os_volume:
    description:
      - The volume holding Windows, such as C(C:) (Safe Mode) or C(D:) (WinRE).
      - Defaults to the fact C(lifeline_recovery.os_volume) from M(lifeline.recovery.win_recovery_facts).
        Not used when O(path) is absolute.
    type: str
  header:
    description:
      - Hex bytes the file must start with, such as C(AAAAAAAA01002301) (spaces, C(-) and C(:) between bytes
        are allowed); at most 64 bytes.
    type: str
  sha256:
    description: Only files whose SHA-256 is one of these (64 hex digits, any case).
    type: list
    elements: str
    default: []
  modified_after:
    description:
      - Only files whose LastWriteTimeUtc is at or after this ISO 8601 time (C(2024-07-19T04:00:00Z)); a time
        without an offset is UTC.
    type: str
  modified_before:
    description: Only files whose LastWriteTimeUtc is before this ISO 8601 time (the window is half-open).
    type: str
  quarantine_id:
    description:
      - The quarantine folder's name under C(<volume>\Lifeline\Quarantine), 1-64 letters, digits, C(.), C(_), C(-).
      - Defaults to a name derived from O(path) and O(patterns) (the last folder name in lower case and a hash),
        so a rerun and a restore with the same O(path) and O(patterns) find the same folder.
    type: str
  allowed_roots:
    description:
      - Volume-relative folders that O(path) must be in or below. The always-refused folders in the description
        stay refused.
      - Defaults to C(Windows\System32\drivers), C(ProgramData), C(Program Files), C(Program Files (x86)) and
        C(Windows\Temp).
    type: list
    elements: str
  max_files:
    description:
      - Fail, moving nothing, when more files than this match (a safety net against a too wide pattern).
    type: int
    default: 10
  state:
    description:
      - V(quarantined) moves the matching files into quarantine; a rerun finds nothing left and changes nothing.
      - V(restored) moves the files the record lists back and marks them restored in the record.
    type: str
    choices: [quarantined, restored]
    default: quarantined
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Lists what would move, with hashes, and moves nothing.
  diff_mode:
    support: full
    details: The matching files in the folder and the files in the quarantine folder, before and after.
  platform:
    platforms: windows
notes:
  - The quarantine folder is on the same volume, so a move is a rename - no file content is copied, and a locked
    BitLocker volume must be unlocked first (M(lifeline.recovery.win_bitlocker_unlock)).
  - Hidden and system files are found and moved; attributes and timestamps move with the file.
  - A file is never deleted. Matches that would land on a file already in the quarantine folder fail the task
    before anything moves.
seealso:
  - module: lifeline.recovery.win_recovery_facts
  - module: lifeline.recovery.win_recovery_records
"""

EXAMPLES = r"""
- name: Quarantine CrowdStrike channel file 291 of 04:09 UTC 19 July 2024 (not the 05:27 fix)
  lifeline.recovery.win_quarantine_files:
    path: Windows\System32\drivers\CrowdStrike
    patterns: ['C-00000291*.sys']
    header: AAAAAAAA01002301
    modified_after: "2024-07-19T04:00:00Z"
    modified_before: "2024-07-19T05:27:00Z"
  register: quarantine

- name: Put them back (rollback)
  lifeline.recovery.win_quarantine_files:
    path: Windows\System32\drivers\CrowdStrike
    patterns: ['C-00000291*.sys']
    state: restored
"""

RETURN = r"""
matched:
  description: The files that matched, with what the host reported for each.
  returned: state is quarantined
  type: list
  elements: dict
  contains:
    path: {description: Full path of the file., type: str}
    size: {description: Size in bytes., type: int}
    sha256: {description: 'SHA-256, 64 upper-case hex digits.', type: str}
    last_write_time: {description: LastWriteTimeUtc in ISO 8601 (UTC)., type: str}
  sample: [{path: 'C:\Windows\System32\drivers\CrowdStrike\C-00000291-00000000-00000032.sys', size: 40960,
            sha256: 328F53AFA28EDD77EF1E155A85184A38FB4D4EA3796B773AE2F4DD09CD0947C0,
            last_write_time: '2024-07-19T04:09:00.000Z'}]
quarantined:
  description: Original paths of the files moved into quarantine (in check mode, those that would be).
  returned: always
  type: list
  elements: str
restored:
  description: Original paths of the files moved back (in check mode, those that would be).
  returned: always
  type: list
  elements: str
conflicts:
  description: Files not restored because a file is at the original path again (its SHA-256 and the quarantined one's).
  returned: always
  type: list
  elements: dict
manifest:
  description: The rollback record (kind C(quarantine)) as it is after the task, or null when there is none.
  returned: always
  type: dict
record:
  description: Where the rollback record is on the host (it replaces 0.1.0's C(manifest_path)).
  returned: always
  type: str
nothing_to_restore:
  description: Whether O(state=restored) found nothing to put back (no record, or every file already restored).
  returned: when O(state=restored)
  type: bool
quarantine_folder:
  description: The quarantine folder, such as C(C:\Lifeline\Quarantine\crowdstrike-1a2b3c4d5e6f).
  returned: always
  type: str
quarantine_id:
  description: The quarantine folder's name.
  returned: always
  type: str
folder:
  description: The folder searched, as an absolute path.
  returned: always
  type: str
folder_found:
  description: Whether the folder exists (a missing folder matches nothing).
  returned: always
  type: bool
commands_sent:
  description: Remote commands sent (0 when the input was refused).
  returned: always
  type: int
"""
