"""soak fleet's control plane: CLI, settings, local infrastructure, run lifecycle."""

__version__ = "0.1.0"
