"""A Slack incoming webhook, as https://api.slack.com/messaging/webhooks documents it.

``POST /services/T…/B…/token`` with a JSON body that has ``text`` (or ``blocks``): 200 with the
plain-text body ``ok``. Errors are plain-text bodies with a status: 400 ``invalid_payload`` (not
JSON, or neither text nor blocks), 404 ``no_service`` (an unknown or revoked webhook). Rate limit
(https://api.slack.com/apis/rate-limits, "Incoming webhooks": about one message a second per
webhook): 429 ``rate_limited`` with a ``Retry-After`` header in seconds — scripted here with
``fail_next(1, 429, b"rate_limited", headers={"Retry-After": "1"})``.
"""

from __future__ import annotations

import json

from connectors.fakes.server import FakeRequest, FakeServer, Reply

HOOK_PATH = "/services/T0000TEST/B0000TEST/testtoken0000000000000000"


class SlackWebhook(FakeServer):
    """Records every message; ``messages`` holds those accepted (200 ``ok``)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict] = []

    @property
    def webhook_url(self) -> str:
        return self.url + HOOK_PATH

    def handle(self, request: FakeRequest) -> Reply:
        if request.method != "POST" or request.path != HOOK_PATH:
            return Reply(404, b"no_service", {"Content-Type": "text/plain"})
        try:
            body = json.loads(request.body)
        except ValueError:
            return Reply(400, b"invalid_payload", {"Content-Type": "text/plain"})
        if not isinstance(body, dict) or not (body.get("text") or body.get("blocks")):
            return Reply(400, b"invalid_payload", {"Content-Type": "text/plain"})
        self.messages.append(body)
        return Reply(200, b"ok", {"Content-Type": "text/plain"})
