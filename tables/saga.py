"""Saga state by orderId."""

from domain.saga import SagaState
from tables.store import JsonTable

sagas = JsonTable("sagas", SagaState, "SagaState by orderId")
