"""Benchmarks (not tests): they print throughput, latency percentiles and ratios to a baseline."""
