"""Which adapter runs each stage, resolved on first use so a worker imports only what it runs."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from close.run_state import RunStatus
from close.stages import StageFn

_ADAPTERS: Mapping[RunStatus, str] = {
    RunStatus.EXTRACTING: "close.stages.extracting:extract_entity",
    RunStatus.MAPPING: "close.stages.mapping:map_accounts",
    RunStatus.CONSOLIDATING: "close.stages.consolidating:consolidate_run",
    RunStatus.VALIDATING: "close.stages.validating:validate_run",
    RunStatus.ANALYZING: "close.stages.analyzing:analyze_run",
    RunStatus.REPORTING: "close.stages.reporting:report_run",
    RunStatus.DISTRIBUTING: "close.stages.distributing:distribute_run",
}


def stage_function(stage: RunStatus) -> StageFn:
    """Return the adapter of a stage."""
    module, name = _ADAPTERS[stage].split(":")
    fn: StageFn = getattr(importlib.import_module(module), name)
    return fn
