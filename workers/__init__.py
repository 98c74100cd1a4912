"""The Celery side of the close: ``celery -A workers worker`` finds the app here.

Importing this package is the worker process's start-up, so this is where the settings are read
from the environment (in a process that opened a ``CloseSession`` first, the session's stand). The
app, its queues and the canvas belong to the run layer (``close.run.broker``, reached through
``close.api``); the tasks it runs are ``workers.tasks``.
"""

from close.api import celery_app

app = celery_app()

__all__ = ["app"]
