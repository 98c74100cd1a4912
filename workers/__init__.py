"""The Celery side of the close: ``celery -A workers worker`` finds the app here.

Importing this package is the worker process's start-up, so this is where the settings are read
from the environment (the CLI reconfigures with the same settings).
"""

import os

from close.config import Settings
from workers.app import app, configure

configure(Settings.from_environ(os.environ))

__all__ = ["app"]
