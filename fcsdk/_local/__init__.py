"""A pure-Python stand-in for the FC runtime, behind ``fcsdk invoke`` and ``fcsdk serve``.

Private: the supported interface is the command line. ``env`` builds the
environment a function sees, ``logs`` the runtime's log format, ``instance``
a warm instance (hooks, concurrency, timeouts), ``server`` the HTTP front;
``project`` reads a project's ``s.yaml``, ``webfunction`` and ``webproxy``
run a web function's startup command behind a uvicorn front.
"""
