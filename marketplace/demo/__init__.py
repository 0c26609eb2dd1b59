"""Demo data for the embedded quick start. Idempotent: every step looks before it creates."""
