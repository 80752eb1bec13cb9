"""HTTP routes: parse, authorize, call a service, shape the answer. Nothing else."""
