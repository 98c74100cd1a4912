"""Running a close: the state machine, orchestration, stages, review and sign-off, workflow."""
