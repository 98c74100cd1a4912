"""Storage at the edge: PostgreSQL through SQLAlchemy Core and psycopg 3.

``open_database(settings)`` gives a :class:`Database` (migrated on first use); every unit of work
runs in ``db.tx()``, one transaction scoped to the tenant with ``SET LOCAL app.tenant_id``, as the
application role (it owns nothing and is subject to row-level security).

All SQL of the product lives in this package: the rest of ``close``, ``connectors``, ``workers`` and
``reports`` call its repository functions (``tests/sql/test_sql_lives_in_storage.py`` checks it).

For tests: ``Database.connect(url, tenant)`` with a URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/somedb`` (``tests/conftest.py`` creates a fresh
database per test session and exposes a ``db`` fixture).
"""

from close.storage.engine import Database, open_database

__all__ = ["Database", "open_database"]
