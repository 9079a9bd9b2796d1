"""The order saga on a real broker, driven over HTTP as a client would."""

from __future__ import annotations

import httpx
import orjson
import pytest

from domain import envelope
from domain.messages import AuthorizePayment
from tests.support.kafka import produce, read_topic
from tests.support.shop import outcome, place, register, restock, stock
from tests.support.system import System, Worker, eventually


def test_authorized_order_is_confirmed_and_stock_decremented(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, kb, mouse = register(w), restock(w, 10, 89.9), restock(w, 5, 24.5)
    resp = place(w, user, [(kb, 2), (mouse, 1)])
    assert resp.status_code == 202
    body = resp.json()
    assert (
        body["status"] == "PENDING"
        and resp.headers["Location"] == f"/orders/{body['orderId']}/status"
    )
    status = outcome(w, body["orderId"])
    assert status["status"] == "CONFIRMED", status
    details = status["details"]
    assert details["paymentStatus"] == "AUTHORIZED" and details["authorizationCode"].startswith(
        "AUTH-"
    )
    assert details["amount"] == 204.3 and details["currency"] == "EUR" and details["userId"] == user
    assert [e["type"] for e in status["events"]][-2:] == ["PaymentAuthorized", "OrderConfirmed"]
    assert eventually(lambda: stock(w, kb)["sold"] == 2)
    assert stock(w, kb) | {"name": None} == {
        "sku": kb,
        "name": None,
        "unitPrice": 89.9,
        "available": 8,
        "reserved": 0,
        "sold": 2,
    }


def test_declined_payment_cancels_and_puts_stock_back(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, chair = register(w), restock(w, 10, 329.0)
    status = outcome(w, place(w, user, [(chair, 4)]).json()["orderId"])  # 1,316.00 > 1,000.00
    assert status["status"] == "CANCELLED"
    assert status["details"]["paymentStatus"] == "REJECTED"
    assert "exceeds the standard tier limit 1000.00" in status["details"]["rejectionReason"]
    assert status["details"]["cancellationReason"].startswith("payment rejected")
    assert eventually(lambda: stock(w, chair)["available"] == 10)
    assert stock(w, chair)["reserved"] == 0 and stock(w, chair)["sold"] == 0


def test_gold_customer_may_spend_more(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, chair = register(w, tier="gold"), restock(w, 10, 329.0)
    assert outcome(w, place(w, user, [(chair, 4)]).json()["orderId"])["status"] == "CONFIRMED"


def test_one_unavailable_item_releases_the_other_two(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user = register(w)
    a, b, scarce = restock(w, 10, 5.0), restock(w, 10, 6.0), restock(w, 1, 7.0)
    status = outcome(w, place(w, user, [(a, 2), (b, 3), (scarce, 2)]).json()["orderId"])
    assert status["status"] == "CANCELLED"
    assert status["details"]["cancellationReason"].startswith(f"out of stock: {scarce}")
    for sku, total in ((a, 10), (b, 10), (scarce, 1)):
        assert eventually(lambda sku=sku, total=total: stock(w, sku)["available"] == total), stock(  # type: ignore[misc]  # a lambda binding its loop variable
            w, sku
        )
        assert stock(w, sku)["reserved"] == 0


def test_gateway_down_opens_the_breaker_and_times_out_with_compensation(
    shop: tuple[System, Worker],
) -> None:
    system, w = shop
    user, kb = register(w), restock(w, 10, 10.0)
    orders = [place(w, user, [(kb, 1)], currency="XTS").json()["orderId"] for _ in range(3)]
    for order_id in orders:
        status = outcome(w, order_id)
        assert (
            status["status"] == "CANCELLED" and status["details"]["cancellationReason"] == "timeout"
        )
        assert [e["type"] for e in status["events"]][-2:] == ["OrderTimedOut", "OrderCancelled"]
    assert w.get("/payments/circuits").json()["circuits"]["gateway-XTS"] == "opened"
    assert eventually(lambda: stock(w, kb)["available"] == 10)
    # every unanswered AuthorizePayment is on the DLQ; the later ones were refused by the circuit
    letters = [
        orjson.loads(r.value) for r in read_topic(system.bootstrap, system.topic("orders.dlq"), 3)
    ]
    mine = [d for d in letters if orjson.loads(d["originalPayload"])["data"]["orderId"] in orders]
    assert len(mine) == 3 and all(d["failureReason"] == "processing" for d in mine)
    assert any("CircuitOpen" in d["errorMessage"] for d in mine), [d["errorMessage"] for d in mine]


def test_same_idempotency_key_places_one_order(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, kb = register(w), restock(w, 10, 10.0)
    first, again = (place(w, user, [(kb, 3)], key="checkout-42") for _ in range(2))
    assert first.status_code == again.status_code == 202
    assert first.json() == again.json()
    status = outcome(w, first.json()["orderId"])
    assert [e["type"] for e in status["events"]].count("OrderCreated") == 1
    assert eventually(lambda: stock(w, kb)["sold"] == 3)
    assert stock(w, kb)["available"] == 7


def test_checkout_places_the_cart_and_clears_it(shop: tuple[System, Worker]) -> None:
    _, w = shop
    user, kb, mouse = register(w), restock(w, 10, 10.0), restock(w, 10, 20.0)
    for sku, qty in ((kb, 1), (mouse, 2), (kb, 1)):
        assert (
            httpx.post(
                f"{w.url}/carts/{user}/items", json={"sku": sku, "quantity": qty}
            ).status_code
            == 202
        )
    assert httpx.delete(f"{w.url}/carts/{user}/items/{mouse}").status_code == 202
    eventually(lambda: w.get(f"/carts/{user}").json()["items"] == [{"sku": kb, "quantity": 2}])
    resp = httpx.post(f"{w.url}/carts/{user}/checkout", json={"currency": "EUR"})
    assert resp.status_code == 202, resp.text
    status = outcome(w, resp.json()["orderId"])
    assert status["status"] == "CONFIRMED" and status["details"]["items"][0]["quantity"] == 2
    eventually(lambda: w.get(f"/carts/{user}").json()["items"] == [])
    empty = httpx.post(f"{w.url}/carts/{user}/checkout")
    assert empty.status_code == 409 and empty.json()["error"] == "empty_cart"


def test_unknown_customer_and_sku_are_rejected_with_every_reason(
    shop: tuple[System, Worker],
) -> None:
    _, w = shop
    status = outcome(w, place(w, "nobody-here", [("no-such-sku", 1)]).json()["orderId"])
    assert status["status"] == "REJECTED"
    assert (
        status["details"]["rejectionReason"]
        == "unknown customer nobody-here; unknown sku no-such-sku"
    )


@pytest.mark.parametrize(
    ("body", "status", "error", "field"),
    [
        (b"{not json", 400, "invalid_json", None),
        (b'{"userId": "u", "items": [], "currency": "EUR"}', 422, "validation_failed", "items"),
        (
            b'{"userId": "u", "items": [{"sku": "a", "quantity": 0}], "currency": "EUR"}',
            422,
            "validation_failed",
            "items.0.quantity",
        ),
        (
            b'{"userId": "u", "items": [{"sku": "a", "quantity": 1}], "currency": "euro"}',
            422,
            "validation_failed",
            "currency",
        ),
        (
            b'{"items": [{"sku": "a", "quantity": 1}], "currency": "EUR"}',
            422,
            "validation_failed",
            "userId",
        ),
        (
            b'{"userId": "u", "items": [{"sku": "a", "quantity": 1}], "currency": "EUR", "x": 1}',
            422,
            "validation_failed",
            "x",
        ),
        (
            b'{"userId": "u", "items": "' + b"a" * 300_000 + b'"}',
            413,
            "request_entity_too_large",
            None,
        ),
    ],
)
def test_bad_order_requests_get_a_json_4xx(
    shop: tuple[System, Worker], body: bytes, status: int, error: str, field: str | None
) -> None:
    _, w = shop
    resp = httpx.post(
        w.url + "/orders", content=body, headers={"Content-Type": "application/json"}, timeout=10
    )
    assert resp.status_code == status, resp.text
    answer = resp.json()
    assert answer["error"] == error and answer["detail"]
    if field:
        assert field in [f["field"] for f in answer["fields"]]


def test_corrupt_commands_go_to_the_dlq_and_the_flow_goes_on(shop: tuple[System, Worker]) -> None:
    system, w = shop
    # Given a bad command on each input topic of the saga's slices
    pay = AuthorizePayment(orderId="o-x", userId="u-x", amount="1", currency="EUR", tier="gold")
    future = envelope.dumps(envelope.build(pay, correlation_id="o-x")).replace(b'"1.0"', b'"9.0"')
    bad = {"orders.commands": b'{"eventType": "PlaceOrder"', "inventory.commands": b"[]",
           "payments.commands": future}  # fmt: skip
    for topic, value in bad.items():
        produce(system.bootstrap, system.topic(topic), [(b"bad-key", value, None)])
    # Then each is on the DLQ with its origin, and orders still complete
    user, kb = register(w), restock(w, 5, 10.0)
    assert outcome(w, place(w, user, [(kb, 1)]).json()["orderId"])["status"] == "CONFIRMED"

    def mine() -> dict[str, dict]:
        letters = [
            orjson.loads(r.value)
            for r in read_topic(system.bootstrap, system.topic("orders.dlq"), 1, timeout=5)
        ]
        return {d["originalTopic"]: d for d in letters if d["originalKey"] == "bad-key"}

    letters = eventually(lambda: len(found := mine()) == 3 and found, 30)
    assert {t.removeprefix(system.prefix) for t in letters} == set(bad)
    assert letters[system.topic("payments.commands")]["errorMessage"].startswith(
        "version: unsupported major"
    )


def test_late_authorization_after_a_timeout_is_voided(system: System) -> None:
    # Given a gateway slower than the saga's deadline
    w = system.start_worker(ORDERS_SAGA_TIMEOUT="2", ORDERS_PAYMENT_LATENCY_MS="4000")
    w.wait_ready()
    user, sku = register(w), restock(w, 10, 10.0)
    # When an order's payment is authorized after the saga gave up on it
    order_id = place(w, user, [(sku, 2)]).json()["orderId"]

    def voided() -> dict | None:
        resp = w.get(f"/orders/{order_id}/status")
        body = resp.json() if resp.status_code == 200 else {}
        return body if body.get("details", {}).get("paymentStatus") == "VOIDED" else None

    # Then the order stays cancelled (timeout), the authorization is voided, the stock is back
    status = eventually(voided, 30)
    assert status["status"] == "CANCELLED" and status["details"]["cancellationReason"] == "timeout"
    types = [e["type"] for e in status["events"]]
    assert (
        types.index("OrderCancelled")
        < types.index("PaymentAuthorized")
        < types.index("PaymentVoided")
    )
    assert eventually(lambda: stock(w, sku)["available"] == 10 and stock(w, sku)["sold"] == 0)
