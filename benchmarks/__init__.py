"""Benchmarks run by `make bench`: ratios measured in one process, written to RESULTS.md."""
