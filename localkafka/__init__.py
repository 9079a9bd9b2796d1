"""A real Apache Kafka 4.1 KRaft broker or cluster, run from Maven Central jars."""

from localkafka.broker import Broker, BrokerError
from localkafka.cluster import Cluster
from localkafka.jars import ensure_jars

__all__ = ["Broker", "BrokerError", "Cluster", "ensure_jars"]
