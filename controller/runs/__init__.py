"""Runs: their states and the spec a run is started from."""
