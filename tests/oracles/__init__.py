"""Straightforward single-series implementations, kept only as test oracles.

nof1 itself runs every statistic through one vectorized kernel per method
(:mod:`nof1.analysis.registry`); these plain versions, one series at a time, are what the
kernels are checked against (tests/analysis/test_kernels_match_oracles.py). The R
references (tests/reference) stay the arbiter of both.
"""
