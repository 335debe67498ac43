"""fcsdk's benchmarks: ``python -m benchmarks`` (``make bench``).

Every case is timed against baselines run in the same process, interleaved,
and reported as ratios. The targets, each stated once in
``benchmarks/targets.py``, are checked at the end of the run (exit 1 on a
miss), never asserted in the test suite, where machine noise would make it flaky.
"""
