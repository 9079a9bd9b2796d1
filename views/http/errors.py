"""aiohttp middleware: every error leaves as JSON ``{error, detail}``, never as a stack trace."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

log = logging.getLogger(__name__)
_BODY_HEADERS = frozenset({"content-type", "content-length"})  # of aiohttp's text body, not ours


class BadRequestError(Exception):
    """Raised by a view to answer an error it has built (bad JSON, invalid fields, a 503)."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


def problem(
    status: int, error: str, detail: str, headers: dict[str, str] | None = None
) -> web.Response:
    return web.json_response({"error": error, "detail": detail}, status=status, headers=headers)


@web.middleware
async def json_errors(request: web.Request, handler):  # type: ignore[no-untyped-def]
    try:
        return await handler(request)
    except BadRequestError as exc:
        return exc.response
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        kept = {k: v for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS}
        return problem(  # its headers kept (``Allow`` on a 405)
            exc.status, exc.reason.lower().replace(" ", "_"), exc.text or exc.reason, kept
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.error(
            "unhandled error on %s %s: %s: %s",
            request.method,
            request.path,
            type(exc).__name__,
            exc,
        )
        return problem(500, "internal_error", f"{type(exc).__name__} while serving {request.path}")
