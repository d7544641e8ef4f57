"""Analysis: shares, the LM3 re-spend model, left-behind areas, scenarios, charter."""
