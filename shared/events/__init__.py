"""Domain events after commit: the publisher, the outbox relay and the Pub/Sub handler kit."""
