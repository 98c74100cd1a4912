"""End-to-end fixtures: the shared demo close, and a database handle on its tenant."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from close.storage import Database
from tests.close.run.demo_close import DemoClose, demo_close  # noqa: F401 - a shared session fixture


@pytest.fixture(scope="session")
def demo_db(demo_close: DemoClose) -> Iterator[Database]:  # noqa: F811 - the fixture imported above
    """The demo's database, scoped to the demo's tenant, for in-process assertions."""
    database = Database.connect(demo_close.env["DATABASE_URL"], demo_close.env["CLOSE_TENANT"])
    yield database
    database.dispose()
