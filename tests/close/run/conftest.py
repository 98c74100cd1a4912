from tests.close.run.demo_close import demo_close  # noqa: F401 - a shared session fixture
