"""What workers reach outside their consumer group: the payment gateway, catalog, whole topics."""
