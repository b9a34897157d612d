"""Tests: unit, real-data, AppTest and one real-browser flow per area."""
