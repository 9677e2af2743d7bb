# Copyright: (c) 2026, Lifeline maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes every module whose action runs on the controller alone shares (plugin_utils/_controller_action.py:
rollout_lock, rollout_halt, bmc_evidence). Each module still documents its own check_mode support."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller only, without the host's connection plugin.
"""
