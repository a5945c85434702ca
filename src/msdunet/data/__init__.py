"""Benchmark data: where it is (``sources``), the training cache (``pack``), training batches (``batches``)."""
