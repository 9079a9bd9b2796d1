"""The worker's local table stores are trusted only after a stop that left nothing unsent.

A table write lands in RocksDB at once and in its changelog when the producer gets it out. A
``kill -9`` between the two leaves the local store *ahead* of the changelog; the record that
caused the write is redelivered (its offset was not committed), the handler finds its effect
already applied and, being idempotent, writes nothing — so the changelog never gets the write,
and the next owner of the partition (or a standby) never sees it. The fault harness found an
order stuck at STOCK_RESERVED this way, stock left reserved and a user's totals missing a
confirmation (issue 17). Kafka Streams answers the same problem under exactly-once by wiping a
task's state after an unclean shutdown; so does this: a marker written at exit when every send
was acknowledged, and at start, without it, the local stores are removed and rebuilt from the
changelogs (a longer recovery after a crash, never a lost write). ``OrdersApp.on_first_start``
runs the check, in the worker only, before any store is opened.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from app.runtime.sends import failed_sends, unacked_sends

MARKER = "tables-clean-stop"


def marker(datadir: str | Path) -> Path:
    return Path(datadir) / MARKER


def trust_or_wipe(tabledir: Path, marker: Path) -> bool:
    """Remove ``tabledir`` unless ``marker`` says the last stop was clean; True if wiped. The
    marker is consumed either way: only the next clean stop writes it again."""
    clean = marker.exists()
    marker.unlink(missing_ok=True)
    if clean or not tabledir.exists() or not any(tabledir.iterdir()):
        return False
    shutil.rmtree(tabledir)
    return True


def mark_clean(marker: Path) -> bool:
    """Write the marker if every send of this process reached the broker; True if written."""
    if unacked_sends or failed_sends:
        return False
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("every table write of the last run reached its changelog\n")
    return True
