"""Foundations every layer may use: settings, caches, atomic files, value parsing."""
