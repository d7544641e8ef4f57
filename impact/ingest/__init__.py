"""Files → transactions: read any council's spend files into the canonical schema."""
