"""fcsdk's benchmarks: ``python -m benchmarks`` (``make bench``).

Every case is timed against baselines run in the same process, interleaved,
and reported as ratios; targets are printed next to the ratios, never
asserted in the test suite.
"""
