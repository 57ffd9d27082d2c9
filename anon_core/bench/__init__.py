"""`anon bench`: the model comparison table and the end-to-end speed run (see docs/benchmark.md)."""
