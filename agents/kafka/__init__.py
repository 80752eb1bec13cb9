"""confluent-kafka clients of the agents (the Kafka edge)."""
