"""order-service: the demo's example service."""
