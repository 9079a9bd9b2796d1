"""Faust agents, one module per slice: read a topic, call domain/, write tables and topics."""
