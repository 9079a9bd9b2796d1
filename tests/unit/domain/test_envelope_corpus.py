"""The fault harness's malformed corpus: the parser refuses every value, and never raises."""

from __future__ import annotations

from hypothesis import given, settings

from domain import envelope
from domain.envelope import Invalid, Parsed
from tests.faults import corpus


def test_the_corpus_is_refused_on_every_topic() -> None:
    drawn = corpus.corpus(150, seed=5)
    assert {topic for topic, _, _ in drawn} == set(corpus.TOPICS)
    for topic, _, value in drawn:
        assert isinstance(envelope.parse(value, topic), Invalid), (topic, value[:200])


def test_the_valid_templates_are_valid() -> None:
    for topic in corpus.TOPICS:
        raw = envelope.dumps(envelope.build(corpus.VALID[topic], correlation_id=None))
        assert isinstance(envelope.parse(raw, topic), Parsed), topic


@settings(max_examples=300, deadline=None)
@given(corpus.records())
def test_parse_never_raises(record: tuple[str, bytes | None, bytes]) -> None:
    topic, _, value = record
    assert isinstance(envelope.parse(value, topic), Invalid)
