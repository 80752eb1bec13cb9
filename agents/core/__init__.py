"""Pure logic of the agents (no I/O): ledgers, histograms, rates, envelope, payloads."""
