"""The Celery side of the close: ``celery -A workers worker`` finds the app here.

Importing this package is the worker process's start-up, so this is where the settings are read
from the environment (the CLI reconfigures with the same settings). The app, its queues and the
canvas belong to the run layer (``close.run.broker``, reached through ``close.api``); the tasks
it runs are ``workers.tasks``.
"""

import os

from close.api import configure_celery
from close.config import Settings

app = configure_celery(Settings.from_environ(os.environ))

__all__ = ["app"]
