"""Shared field types: identifiers, money, quantities, UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, PlainSerializer


def _to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def utc_iso(value: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, millisecond precision: the one timestamp format on the wire."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# never only dots: "." and ".." are path segments a URL normalizes away (/users/.. is /)
Id = Annotated[
    str,
    Field(min_length=1, max_length=128,
          pattern=r"^[A-Za-z0-9._:@-]*[A-Za-z0-9_:@-][A-Za-z0-9._:@-]*$"),
]  # fmt: skip
Sku = Annotated[
    str,
    Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]*[A-Za-z0-9_-][A-Za-z0-9._-]*$"),
]
Quantity = Annotated[int, Field(gt=0, le=10_000, strict=True)]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False),
    PlainSerializer(float, return_type=float, when_used="json"),
]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Tier = Literal["standard", "gold"]
UtcDatetime = Annotated[
    AwareDatetime,
    AfterValidator(_to_utc),
    PlainSerializer(utc_iso, return_type=str, when_used="json"),
]


def now_utc() -> datetime:
    return datetime.now(UTC)
