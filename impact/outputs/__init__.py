"""Outputs: maps, exports, the board pack, the market brief and consultation records."""
