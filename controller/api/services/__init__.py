"""What the routes call: each service reads and writes through the stores, never HTTP."""
