"""The HTTP contract from outside: both workers serve the same valid OpenAPI document, the docs
page renders in a browser, an outside fuzzer (schemathesis) driven by the document finds no 5xx
and no answer unlike its declaration, and the 503s of a dead owner match it too.

``FUZZ_SECONDS`` (default 90) bounds the fuzzer, ``FUZZ_SEED`` replays a run; ``make fuzz`` runs
it longer."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from playwright.sync_api import sync_playwright

from tests.conftest import FAST
from tests.support.contract import conforms
from tests.support.shop import place, register, restock
from tests.support.system import System, Worker, eventually

CHECKS = ",".join((
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "negative_data_rejection",
))  # fmt: skip
# a long-poll holds up to ORDERS_LONGPOLL_MAX: short here, so the fuzzer's reads come back
SETTINGS = {**FAST, "ORDERS_LONGPOLL_MAX": "2"}


@pytest.fixture(scope="module")
def pair(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, Worker, Worker]]:
    system = System(kafka_bootstrap, Path(tmp_path_factory.mktemp("contract")))
    system.create_topics()
    w1, w2 = system.start_worker(**SETTINGS), system.start_worker(**SETTINGS)
    try:
        w1.wait_ready()
        w2.wait_ready()
        events = system.topic("orders.events")
        eventually(lambda: w1.owns(events) and w2.owns(events), 60)
        yield system, w1, w2
    finally:
        system.stop_all()
    assert not system.undeclared_sends()


def test_both_workers_serve_the_same_valid_document(pair: tuple[System, Worker, Worker]) -> None:
    _, w1, w2 = pair
    one, two = w1.get("/openapi.json"), w2.get("/openapi.json")
    assert one.status_code == 200 and one.headers["content-type"].startswith("application/json")
    validate(one.json())
    assert one.json() == two.json()
    conforms(one.json(), "/openapi.json", "GET", one)


def test_a_worker_without_keys_says_once_that_its_api_is_open(
    pair: tuple[System, Worker, Worker],
) -> None:
    for worker in pair[1:]:
        assert worker.log_path.read_text().count("the HTTP API is open") == 1, worker.log_tail()


def test_the_docs_page_renders_every_operation_without_console_errors(
    pair: tuple[System, Worker, Worker],
) -> None:
    _, w1, _ = pair
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is missing: run `make sysdeps`"
    operations = sum(len(ops) for ops in w1.get("/openapi.json").json()["paths"].values())
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("requestfailed", lambda r: errors.append(f"{r.url} failed"))
            page.goto(w1.url + "/docs")
            page.wait_for_selector(".opblock", timeout=30_000)
            assert page.locator(".opblock").count() == operations
            assert "Orders API" in page.inner_text(".info")
        finally:
            browser.close()
    assert errors == []


FUZZ_SECONDS = int(os.environ.get("FUZZ_SECONDS", "90"))


@pytest.mark.timeout(FUZZ_SECONDS + 600)  # make fuzz runs longer than the suite's 300 s bound
def test_an_outside_fuzzer_finds_no_error_and_no_answer_unlike_the_document(
    pair: tuple[System, Worker, Worker], tmp_path: Path
) -> None:
    _, w1, w2 = pair
    user, sku = register(w1), restock(w1, 1000, 5.0)  # something to find besides 404s
    assert place(w1, user, [(sku, 1)]).status_code == 202
    seed = int(os.environ.get("FUZZ_SEED") or random.randrange(1, 2**31))
    seconds = str(FUZZ_SECONDS)
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{w1.url}/openapi.json",
        "--url", w2.url,  # the document from one worker, the requests to the other
        "--phases", "examples,coverage,fuzzing,stateful", "--checks", CHECKS,
        "--seed", str(seed), "--max-examples", "50", "--max-time", seconds,
        "--request-timeout", "15",  # POST /payments/outage: switched off, not in the document
        "--no-color",
    ]  # fmt: skip
    print(f"fuzzer: seed {seed}, {seconds} s, 50 examples per operation; replay with "
          f"FUZZ_SEED={seed}")  # fmt: skip
    run = subprocess.run(  # in tmp_path: its crash cache stays out of the checkout
        command, cwd=tmp_path, capture_output=True, text=True, timeout=FUZZ_SECONDS + 300
    )
    tail = "\n".join(run.stdout.splitlines()[-60:])
    print(tail)
    assert run.returncode == 0, f"seed {seed}:\n{run.stdout}\n{run.stderr}"
    assert "passed" in tail and " failed" not in tail


def test_the_503s_of_a_dead_owner_match_the_document(pair: tuple[System, Worker, Worker]) -> None:
    _, w1, w2 = pair
    doc = w2.get("/openapi.json").json()
    user, sku = register(w2), restock(w2, 100, 5.0)
    orders = [place(w2, user, [(sku, 1)]).json()["orderId"] for _ in range(8)]
    # When one worker dies, the other cannot answer for its partitions until the group moves
    w1.kill()
    seen: set[int] = set()
    reads = [("/orders", "/orders"), ("/aggregates", "/aggregates"), ("/dlq", "/dlq")]
    reads += [(f"/orders/{o}/status", "/orders/{order_id}/status") for o in orders]
    for _ in range(5):
        for url, template in reads:
            resp = w2.get(url)
            conforms(doc, template, "GET", resp)
            seen.add(resp.status_code)
    assert 503 in seen, seen  # the dead owner's partitions were asked for, and refused
