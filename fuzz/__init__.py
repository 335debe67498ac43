"""Coverage-guided fuzzing of every fcsdk parser with atheris: ``python -m fuzz``.

``make fuzz`` installs atheris and runs :mod:`fuzz.__main__`, which runs each
target of :mod:`fuzz.targets` in its own process for a bounded time and
prints, per target, how many inputs ran and how many distinct failures were
found. A failure is any exception other than a typed fcsdk error (or, for
HTTP entry points and the OSS server, a status of 500 or more), a hang past
the per-input timeout, or memory past the RSS limit.

``python -m fuzz.seeds`` runs every target once over its seed inputs, with
no atheris; ``make test`` does, so seeds and targets stay working.
"""
