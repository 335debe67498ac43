"""What FC sends a handler and expects back, as plain data (private).

The neutral layer under :mod:`fcsdk.web`, the local tools (``fcsdk._local``)
and :mod:`fcsdk.testing`: none of them defines a platform shape of its own.

* :mod:`fcsdk._platform.context`: the runtime's ``context`` object of each
  runtime generation, and the fake credentials every local tool agrees on;
* :mod:`fcsdk._platform.http`: the WSGI environ of FC 2.0, the FC 3.0 HTTP
  trigger event and the API Gateway event, built from request parts, and
  the handler's answer to each read back; the one WSGI environ builder and
  the one WSGI runner;
* :mod:`fcsdk._platform.rules`: FC's HTTP rules stated once (the 6 MB body
  limit, the FC 2.0 proxy prefix, ``Content-Length`` parsing).
"""
