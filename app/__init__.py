"""The order system's Faust app: ``faust -A app worker`` finds ``app`` here."""

from app import lifecycle  # noqa: F401  (registers the health log hooks and service)
from app.faust_app import app

__all__ = ["app"]
