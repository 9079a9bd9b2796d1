"""A record parsed once for all of its topic's readers on a worker."""

from __future__ import annotations

from domain.envelope import Invalid, Parsed, parse

# A topic's record reaches each of its readers on a worker (``orders.events``: the status tracker,
# the saga and the by-user forward), and each parsed it: two pydantic validations a time, two
# thirds of them repeated. The last records' results are kept by (topic, bytes): parsing is a
# function of those alone, and ``Parsed`` is frozen.
PARSED_KEPT = 4096
PARSED_MAX_BYTES = 16 * 1024  # a larger record is parsed for each reader: at most 64 MB kept
_parsed: dict[tuple[str, bytes], Parsed | Invalid] = {}


def parsed(raw: bytes | None, name: str) -> Parsed | Invalid:
    """``domain.envelope.parse``, once per record for all of a topic's readers."""
    if type(raw) is not bytes or len(raw) > PARSED_MAX_BYTES:  # None: a tombstone
        return parse(raw, name)
    key = (name, raw)
    result = _parsed.get(key)
    if result is None:
        if len(_parsed) >= PARSED_KEPT:
            _parsed.clear()
        result = _parsed[key] = parse(raw, name)
    return result
