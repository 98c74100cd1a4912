"""The close as the team runs it: the checklist beside the pipeline, distribution and alerts.

- ``settings``: the group config's ``[distribution]``, ``[calendar]`` and ``[[checklist]]``.
- ``calendar``: business days after a period end (Brazil's national holidays and the group's own).
- ``checklist``: which tasks are open, overdue, or gate a stage (pure).
- ``delivery``: e-mail (SMTP with STARTTLS) and Slack incoming webhooks, one record per recipient.
- ``alerts``: failed, stranded and waiting runs, overdue tasks and slow stages, sent once each.
- ``durations``: stage durations from the audit trail, medians, p90 and an expected finish.
"""
