"""Structured logs carry the run, stage and entity they are about."""

from __future__ import annotations

import json
import logging

from close.logs import JsonFormatter, log_context


def test_a_record_inside_a_stage_names_its_run_stage_and_entity() -> None:
    record = logging.LogRecord("close.x", logging.INFO, __file__, 1, "read %d lines", (3,), None)
    with log_context(run_id="r-1", stage="EXTRACTING", entity="BR1"):
        line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "read 3 lines"
    assert (line["run_id"], line["stage"], line["entity"]) == ("r-1", "EXTRACTING", "BR1")
    outside = json.loads(JsonFormatter().format(record))
    assert outside["run_id"] is None
