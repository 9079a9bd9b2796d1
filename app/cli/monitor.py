"""``faust -A app monitor [--url URL …]``: a live terminal dashboard over the workers' ``/stats``.

It only reads HTTP, so it runs from any machine that reaches the workers; ``q`` quits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, ClassVar, NoReturn

import httpx
from faust.cli import AppCommand, option
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

from app.application import app
from app.observability import dashboard
from app.settings import settings

DEFAULT_URLS = ("http://127.0.0.1:6066", "http://127.0.0.1:6067")  # make demo's two workers


async def fetch(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        resp = await client.get(f"{url}/stats")
        if resp.status_code != 200:
            return {"worker": url, "error": f"answered {resp.status_code}"}
        return dict(resp.json())
    except (httpx.HTTPError, ValueError) as exc:
        return {"worker": url, "error": f"unreachable: {type(exc).__name__}"}


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def _or_unknown(value: object) -> str:
    return "?" if value is None else str(value)


def _short(url: str) -> str:
    return url.removeprefix("http://").removeprefix("https://").rstrip("/")


def render_totals(total: dict[str, Any]) -> RenderableType:
    grid = Table.grid(padding=(0, 3))
    grid.add_row(
        f"[b]messages/s[/b] {total['messagesPerSecond']:.1f}",
        f"[b]success[/b] {_pct(total['successRate'])}",
        f"[b]records[/b] {total['records']}",
        f"[b]DLQ[/b] {total['dlqSent']} sent · {_or_unknown(total['dlqSize'])} in topic",
        f"[b]lag[/b] {total['lag']}",
        f"[b]stalled[/b] [red]{', '.join(total['stalled'])}[/red]"
        if total["stalled"]
        else "[b]stalled[/b] none",
        f"[b]workers[/b] {total['workers'] - len(total['down'])}/{total['workers']}",
    )
    orders = " · ".join(f"{k} {v}" for k, v in sorted(total["orders"].items()))
    sagas = " · ".join(f"{k} {v}" for k, v in total["sagas"].items())
    grid.add_row(f"[b]orders[/b] {orders}", f"[b]sagas[/b] {sagas}")
    return grid


def render_workers(snaps: list[dict[str, Any]]) -> RenderableType:
    table = Table(title="workers", expand=True)
    for col in ("worker", "msg/s", "success", "lag", "DLQ", "circuits", "uptime"):
        table.add_column(col)
    for s in snaps:
        if "error" in s:
            table.add_row(_short(s["worker"]), Text(s["error"], style="red"), "", "", "", "", "")
            continue
        circuits = ", ".join(f"{k.removeprefix('gateway-')} {v}" for k, v in s["circuits"].items())
        table.add_row(
            _short(s["worker"]),
            f"{s['messagesPerSecond']:.1f}",
            _pct(s["successRate"]),
            str(s["lagTotal"]),
            str(s["dlq"]["total"]),
            circuits or "—",
            f"{s['uptimeSeconds']:.0f} s",
        )
    return table


def render_owners(snaps: list[dict[str, Any]]) -> RenderableType:
    topics = sorted({t for s in snaps if "error" not in s for t in s["partitions"]["active"]})
    width = max(
        (
            p + 1
            for s in snaps
            if "error" not in s
            for ps in s["partitions"]["active"].values()
            for p in ps
        ),
        default=0,
    )
    table = Table(title="partition owners", expand=True)
    table.add_column("topic")
    for p in range(width):
        table.add_column(str(p))
    for topic in topics:
        owner = dashboard.owners(snaps, topic)
        table.add_row(topic, *(_short(owner[p]) if p in owner else "—" for p in range(width)))
    return table


def _line(row: dict[str, Any]) -> str:
    skip = {"ts", "worker", "event", "message", "totals"}
    extra = " ".join(f"{k}={v}" for k, v in row.items() if k not in skip)
    return f"{str(row.get('ts', ''))[11:19]} {_short(row['worker'])} {row.get('event', '')} {extra}"


def render_health(snaps: list[dict[str, Any]]) -> RenderableType:
    lines = [
        Text(_line(r)[:200], no_wrap=True, overflow="ellipsis")
        for r in dashboard.health_tail(snaps)
    ]
    return Group(Text("health log (last lines)", style="b"), *lines)


class Dashboard(App[None]):
    """Polls every URL's ``/stats`` each ``interval`` seconds and redraws."""

    TITLE = "orders monitor"
    BINDINGS: ClassVar = [("q", "quit", "Quit")]
    CSS = "Static { padding: 0 1; }"

    def __init__(self, urls: Iterable[str], interval: float) -> None:
        super().__init__()
        self.urls = [u.rstrip("/") for u in urls]
        self.interval = interval
        self.client = httpx.AsyncClient(timeout=max(interval, 2.0), headers=settings.api_headers())

    def compose(self) -> ComposeResult:
        yield Header(show_clock=True)
        for name in ("totals", "workers", "owners", "health"):
            yield Static(id=name)
        yield Footer()

    async def on_mount(self) -> None:
        self.sub_title = " ".join(_short(u) for u in self.urls)
        await self.poll()
        self.set_interval(self.interval, self.poll)

    async def poll(self) -> None:
        snaps = list(await asyncio.gather(*(fetch(self.client, u) for u in self.urls)))
        self.query_one("#totals", Static).update(render_totals(dashboard.totals(snaps)))
        self.query_one("#workers", Static).update(render_workers(snaps))
        self.query_one("#owners", Static).update(render_owners(snaps))
        self.query_one("#health", Static).update(render_health(snaps))

    async def on_unmount(self) -> None:
        await self.client.aclose()


class TerminalCommand(AppCommand):
    """A command that owns the terminal: run in its own event loop, not inside a Faust worker
    (which would install its own signal handlers and logging)."""

    abstract: ClassVar[bool] = True

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        asyncio.run(self.execute(*self.args, *args, **{**self.kwargs, **kwargs}))
        raise SystemExit(0)


@app.command(
    option("--url", "urls", multiple=True, help="a worker's base URL (repeat for each worker)"),
    option("--interval", type=float, default=1.0, show_default=True, help="seconds per refresh"),
    base=TerminalCommand,
)
async def monitor(self: AppCommand, urls: tuple[str, ...], interval: float) -> None:
    """Live dashboard of the workers (default: make demo's two); q quits."""
    await Dashboard(urls or DEFAULT_URLS, interval).run_async()
