"""Altair chart builders, one module per area; each returns an aggregated, tooltipped chart."""
