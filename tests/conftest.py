"""Settings for the whole suite.

Hypothesis: no per-example deadline (a loaded 2-core machine must not turn slowness into a failure);
under CI (CI=true) the `ci` profile also derandomizes, so every CI run draws the same examples. Any
seed must pass all the same: `pytest --hypothesis-seed=N` explores others locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("dev"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI", "").lower() in ("1", "true", "yes") else "dev")
