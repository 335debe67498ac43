"""The parts of :class:`fcsdk.testing.oss.LocalOSSServer` (private).

``signing`` checks v1/v4 signatures and presigned URLs; ``storage`` keeps
buckets and objects in memory and ``folder`` in a folder; ``xml`` writes and
reads OSS's XML documents; ``server`` is the threaded HTTP server;
``operations`` routes requests to the operations of ``objects`` and
``multipart`` (sharing ``common``); ``errors`` is OSS's error answer.
"""
