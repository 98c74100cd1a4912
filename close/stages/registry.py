"""Which adapter runs each stage."""

from __future__ import annotations

from collections.abc import Mapping

from close.run_state import RunStatus
from close.stages import StageFn
from close.stages.analyzing import analyze_run
from close.stages.consolidating import consolidate_run
from close.stages.distributing import distribute_run
from close.stages.extracting import extract_entity
from close.stages.mapping import map_accounts
from close.stages.reporting import report_run
from close.stages.validating import validate_run

STAGE_FUNCTIONS: Mapping[RunStatus, StageFn] = {
    RunStatus.EXTRACTING: extract_entity,
    RunStatus.MAPPING: map_accounts,
    RunStatus.CONSOLIDATING: consolidate_run,
    RunStatus.VALIDATING: validate_run,
    RunStatus.ANALYZING: analyze_run,
    RunStatus.REPORTING: report_run,
    RunStatus.DISTRIBUTING: distribute_run,
}
