"""Failure types the shell treats alike, whichever slice raises them."""


class DependencyUnavailable(Exception):
    """Something outside the app (a gateway) did not answer after the retries: expected, logged
    in one line, and the record goes to the DLQ for a later redrive."""


class CircuitOpen(DependencyUnavailable):
    """A circuit breaker is open: the call was not even tried. Not retried (failing fast is the
    point of the breaker): the record goes to the DLQ at once."""
