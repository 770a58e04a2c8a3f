"""Simulation studies run by hand (not part of the package or the test suite)."""
