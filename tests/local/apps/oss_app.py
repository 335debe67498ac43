"""An event handler that writes and reads OSS with the invocation's credentials."""

from __future__ import annotations

import json
import os
from typing import Any

import fcsdk as fc


def handler(event: bytes, context: Any) -> str:
    """``{"put": key, "data": text}`` stores an object, ``{"get": key}`` reads one back."""
    request = json.loads(event)
    bucket = fc.FCContext.from_runtime(context).oss_bucket(request.get("bucket", "demo"))
    if "put" in request:
        bucket.put_object(request["put"], request["data"].encode())
        return "stored"
    if "get" in request:
        return str(bucket.get_object(request["get"]).read().decode())
    return os.environ.get("FCSDK_OSS_ENDPOINT", "")
