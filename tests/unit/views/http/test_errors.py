"""Every error leaves as JSON with the headers it needs: aiohttp's own (``Allow`` on a 405), and a
write the broker did not take is a 503 with ``Retry-After``, not a 500."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from aiokafka.errors import KafkaTimeoutError

from app import topics
from domain.messages import UserRegistered
from views.http import bodies
from views.http.errors import BadRequestError, json_errors


async def test_a_method_not_allowed_keeps_its_allow_header() -> None:
    async def handler(request: web.Request) -> web.Response:
        raise web.HTTPMethodNotAllowed("PATCH", ["GET", "POST"])

    response = await json_errors(make_mocked_request("PATCH", "/orders"), handler)
    assert response.status == 405
    assert set(response.headers["Allow"].split(",")) == {"GET", "POST"}
    assert response.content_type == "application/json"
    assert orjson.loads(response.body)["error"] == "method_not_allowed"


class Refusing:
    """A topic whose broker does not acknowledge: aiokafka's timeout on the send's future."""

    async def send(self, **_: Any) -> Any:
        raise KafkaTimeoutError()


async def test_a_write_the_broker_did_not_take_is_a_503_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = UserRegistered(userId="u-1", name="Ada", email="ada@example.com")
    monkeypatch.setitem(topics.BY_NAME, body.stream, Refusing())  # the dict ``publish`` reads
    with pytest.raises(BadRequestError) as raised:
        await bodies.publish(body)
    response = raised.value.response
    assert response.status == 503 and int(response.headers["Retry-After"]) >= 1
    assert isinstance(response.body, bytes)
    answer = orjson.loads(response.body)
    assert answer["error"] == "unavailable" and "Idempotency-Key" in answer["detail"]


async def test_a_redrive_the_broker_did_not_take_is_a_503_to_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from domain.dlq import Entry
    from views import dlq as dlq_view

    monkeypatch.setattr(dlq_view, "dlq_index_topic", Refusing())
    letter = {
        "id": "d-1", "originalTopic": "orders.events", "originalPartition": 0,
        "originalOffset": 1, "originalKey": "o-1", "originalPayload": "{}",
        "failureReason": "validation", "errorMessage": "bad", "consumerGroup": "g",
        "processingHost": "h",
    }  # fmt: skip
    entry = Entry.model_validate({"letter": letter, "dlqPartition": 0, "dlqOffset": 7})
    with pytest.raises(BadRequestError) as raised:
        await dlq_view.request_redrives([entry], by="test")
    response = raised.value.response
    assert response.status == 503 and int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    "body", [{"id": None, "all": True}, {"ids": None, "reason": "timeout"}, {"reason": None}]
)
def test_a_redrive_selector_given_as_null_is_invalid_not_absent(body: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from views.dlq import RedriveBody

    with pytest.raises(ValidationError, match="not null"):
        RedriveBody.model_validate(body)


def test_redrive_all_takes_a_boolean_not_a_number() -> None:
    from pydantic import ValidationError

    from views.dlq import RedriveBody

    with pytest.raises(ValidationError):
        RedriveBody.model_validate({"all": 0.0, "reason": "validation"})  # found by the fuzzer
    assert RedriveBody.model_validate({"all": True}).all is True
