"""Customer-success analytics logic: reading exports, mapping, scoring and metrics (no UI)."""
