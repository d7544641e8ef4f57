"""Benchmarks: each module's ``run()`` returns rows for one table; ``python -m bench`` runs all."""
