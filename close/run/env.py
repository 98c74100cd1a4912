"""What the run's machinery works with: the tenant's database, the process settings, and who acts.

Below every part of ``close.run`` (stages, leases, the checklist and alerts, the lifecycle), so
that each can take it without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from close.config import Settings
from close.storage import Database


@dataclass(frozen=True)
class StageEnv:
    """What a stage works with: the tenant's database, the process settings, and who acts."""

    db: Database
    settings: Settings
    actor: str = "worker"
