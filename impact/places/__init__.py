"""Suppliers and places: who was paid, where they are, and how deprived it is."""
