"""What runs inside Ray actors: producer, consumer-verifier, query agent, node agent."""
