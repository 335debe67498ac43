"""The STS upload example of FC's Python handler page, with ``context.oss_bucket``.

The original builds ``oss2.StsAuth`` from ``context.credentials`` by hand;
``context.oss_bucket`` does that (from the environment on the 3.12 runtime),
picks the in-region endpoint, and reuses the bucket across calls. Deploy with
handler string ``index.main``; run locally against a loopback OSS server::

    python -m fcsdk oss-server --bucket my-bucket &    # prints the exports to run
    python -m fcsdk invoke index.main --code-dir examples/oss_upload \
        --event-file examples/oss_upload/event.json
"""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

import fcsdk as fc


class Upload(BaseModel):
    """The example's event: ``{"bucket", "objectName", "message", "endpoint"?}``."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    bucket: str
    object_name: str
    message: str
    endpoint: str | None = None


@fc.handler(event_model=Upload)
def main(event: Upload, context: fc.FCContext) -> str:
    bucket = context.oss_bucket(event.bucket, endpoint=event.endpoint)
    bucket.put_object(event.object_name, event.message)
    return "success"
