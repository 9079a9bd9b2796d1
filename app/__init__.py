"""The order system's Faust app: ``faust -A app worker`` finds ``app`` here."""

import os

import mode.loop

from app.settings import get_settings

# Before any event loop exists (Faust creates it after importing the app): uvloop, as Faust
# recommends (within noise in ``make bench`` here); ORDERS_EVENT_LOOP=aio opts out. Faust's own
# ``-L``/``FAUST_LOOP`` (applied before the app is imported) wins when given.
if not os.environ.get("FAUST_LOOP"):
    mode.loop.use(get_settings().event_loop)

from app.application import app
from app.runtime import lifecycle, watchdog  # noqa: F401  (register the health log and the watchdog)

__all__ = ["app"]
