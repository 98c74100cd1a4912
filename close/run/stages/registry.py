"""Which adapter runs each stage, resolved on first use so a worker imports only what it runs."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from close.run.stages import StageFn
from close.run.state import RunStatus

_ADAPTERS: Mapping[RunStatus, str] = {
    RunStatus.EXTRACTING: "close.run.stages.extracting:extract_entity",
    RunStatus.MAPPING: "close.run.stages.mapping:map_accounts",
    RunStatus.CONSOLIDATING: "close.run.stages.consolidating:consolidate_run",
    RunStatus.VALIDATING: "close.run.stages.validating:validate_run",
    RunStatus.ANALYZING: "close.run.stages.analyzing:analyze_run",
    RunStatus.REPORTING: "close.run.stages.reporting:report_run",
    RunStatus.DISTRIBUTING: "close.run.stages.distributing:distribute_run",
}


def stage_function(stage: RunStatus) -> StageFn:
    """Return the adapter of a stage."""
    module, name = _ADAPTERS[stage].split(":")
    fn: StageFn = getattr(importlib.import_module(module), name)
    return fn
