"""Production mode: PostgreSQL, Redis and RabbitMQ, several replicas, and faults (see docs/production.md)."""
