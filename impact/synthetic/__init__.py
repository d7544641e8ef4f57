"""The synthetic demo borough and synthetic data factories for benchmarks."""
