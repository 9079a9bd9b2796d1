"""Request bodies in, JSON out: 400 for bad JSON, 422 naming each invalid field."""

from __future__ import annotations

import uuid
from typing import TypeVar

import orjson
from aiohttp import web
from aiokafka.errors import KafkaError
from pydantic import BaseModel, ValidationError

from app.observability import tracing
from app.settings import settings
from app.topics import BY_NAME
from domain import envelope
from domain.envelope import Envelope
from domain.messages import Message
from views.http.errors import BadRequestError, problem

B = TypeVar("B", bound=BaseModel)


async def read_body(request: web.Request, model: type[B]) -> B:
    """The validated body, or raise BadRequest carrying the 400/422 answer."""
    raw = await request.read()
    try:
        data = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        raise BadRequestError(
            problem(400, "invalid_json", f"the body is not valid JSON: {exc}")
        ) from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequestError(unprocessable(exc)) from exc


def make(model: type[B], **fields: object) -> B:
    """A message built from path parameters and a body: invalid ones are a 422, not a 500."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        raise BadRequestError(unprocessable(exc)) from exc


def unprocessable(exc: ValidationError) -> web.Response:
    """422 ``{error, detail, fields: [{field, message, type}]}``."""
    fields = [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "<body>",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors(include_url=False)
    ]
    detail = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
    return json({"error": "validation_failed", "detail": detail, "fields": fields}, status=422)


def json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        body=orjson.dumps(body), status=status, content_type="application/json", headers=headers
    )


class Written(BaseModel):
    """202/201 to a write about a user: the event it wrote."""

    userId: str
    eventId: str


def written(user_id: str, event_id: object, status: int = 202, **headers: str) -> web.Response:
    answer = Written(userId=user_id, eventId=str(event_id)).model_dump()
    return json(answer, status=status, headers=headers or None)


async def publish(body: Message, *, event_id: uuid.UUID | None = None) -> Envelope:
    """Write one message and wait until the broker has it (acks=all) before answering."""
    env = envelope.build(body, correlation_id=getattr(body, "orderId", None), event_id=event_id)
    topic = BY_NAME[body.stream]
    try:
        with tracing.producing(
            body.stream, env.eventType, env.eventId
        ) as headers:  # the request's span continues in every worker the message reaches
            sent = await topic.send(
                key=envelope.key_of(body).encode(), value=envelope.dumps(env), headers=headers
            )
            await sent
    except KafkaError as exc:  # the broker did not take it (down, no leader, timed out): a 503
        retry = "it may have been written: a retry with the same Idempotency-Key is safe"
        raise BadRequestError(unacknowledged(env.eventType, exc, retry)) from exc
    return env


def unacknowledged(what: str, exc: Exception, retry: str = "a retry is safe") -> web.Response:
    """503 + Retry-After: the broker did not acknowledge a write (down, no leader, timed out)."""
    detail = f"the broker did not acknowledge {what} ({type(exc).__name__}); {retry}"
    return problem(503, "unavailable", detail, headers={"Retry-After": str(settings.retry_after)})
