"""Metrics over the loaded tables: NPS, retention, survival, feedback, support, funnel, derived measures."""
