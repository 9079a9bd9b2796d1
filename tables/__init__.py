"""RocksDB-backed tables with Kafka changelogs, one module per slice."""
