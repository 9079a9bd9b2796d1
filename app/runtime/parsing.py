"""A record parsed once on a worker, whoever reads it."""

from __future__ import annotations

from domain.envelope import Invalid, Parsed, parse

# A record can be parsed more than once on a worker: an ``orders.events`` record that crosses the
# by-user repartition is parsed again by the aggregator, on this worker for about half of the
# users (two pydantic validations a time). The last records' results are kept by (topic, bytes):
# parsing is a function of those alone, and ``Parsed`` is frozen.
PARSED_KEPT = 4096
PARSED_MAX_BYTES = 16 * 1024  # a larger record is parsed for each reader: at most 64 MB kept
_parsed: dict[tuple[str, bytes], Parsed | Invalid] = {}


def parsed(raw: bytes | None, name: str) -> Parsed | Invalid:
    """``domain.envelope.parse``, once per record on a worker."""
    if type(raw) is not bytes or len(raw) > PARSED_MAX_BYTES:  # None: a tombstone
        return parse(raw, name)
    key = (name, raw)
    result = _parsed.get(key)
    if result is None:
        if len(_parsed) >= PARSED_KEPT:
            _parsed.clear()
        result = _parsed[key] = parse(raw, name)
    return result
