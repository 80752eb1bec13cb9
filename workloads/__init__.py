"""Declarative workload specs (YAML) and their models."""
