"""The terminal monitor's screen shows the summed numbers."""

from __future__ import annotations

from rich.console import Console

from app.cli import monitor
from app.observability import dashboard
from tests.unit.app.observability.test_dashboard import SNAPS


def test_the_monitor_screen_shows_the_numbers() -> None:
    console = Console(record=True, width=160)
    console.print(monitor.render_totals(dashboard.totals(SNAPS)))
    console.print(monitor.render_workers(SNAPS))
    console.print(monitor.render_owners(SNAPS))
    console.print(monitor.render_health(SNAPS))
    text = console.export_text()
    for shown in ("messages/s 40.0", "records 31", "confirmed 6", "87.5 %", "unreachable",
                  "EUR closed", "orders.events", "health log",
                  "stalled w2 orders.commands/1"):  # fmt: skip
        assert shown in text, shown
