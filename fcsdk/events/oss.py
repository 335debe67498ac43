"""OSS trigger: object created, removed and other bucket notifications.

Examples:
    >>> from fcsdk.events import OSSEvent
    >>> from fcsdk.testing.events import oss_event
    >>> event = OSSEvent.model_validate_json(oss_event(key="photos/a%20b.png", size=3))
    >>> record = event.events[0]
    >>> record.is_created, record.oss.object.key, record.oss.object.decoded_key
    (True, 'photos/a%20b.png', 'photos/a b.png')
"""

from __future__ import annotations

from urllib.parse import unquote

from pydantic import Field

from fcsdk.events._base import EventModel
from fcsdk.events._fields import ISOTime

__all__ = [
    "OSSBucket",
    "OSSDetail",
    "OSSEvent",
    "OSSObject",
    "OSSObjectMeta",
    "OSSRecord",
    "OSSRequestParameters",
    "OSSResponseElements",
    "OSSUserIdentity",
]


class OSSUserIdentity(EventModel):
    """The account that made the request."""

    principal_id: str | None = Field(default=None, alias="principalId")


class OSSBucket(EventModel):
    """The bucket the object lives in.

    ``owner_identity`` is the owner's account id as FC delivers it (a
    string); OSS's own notification format nests it as ``{"principalId"}``,
    which is accepted too. ``owner_id`` gives the id either way.
    """

    arn: str
    name: str
    owner_identity: str | OSSUserIdentity = Field(alias="ownerIdentity")
    virtual_bucket: str | None = Field(default=None, alias="virtualBucket")

    @property
    def owner_id(self) -> str | None:
        """The bucket owner's account id."""
        if isinstance(self.owner_identity, str):
            return self.owner_identity
        return self.owner_identity.principal_id


class OSSObjectMeta(EventModel):
    """The object's content type and user metadata (``x-oss-meta-*``), when delivered."""

    mime_type: str | None = Field(default=None, alias="mimeType")
    user_meta: dict[str, str] = Field(default_factory=dict, alias="userMeta")


class OSSObject(EventModel):
    """The object the event is about.

    ``key`` is the key exactly as delivered; some deliveries URL-encode it,
    and ``decoded_key`` undoes that (``%20`` becomes a space; ``+`` stays).
    """

    key: str
    size: int
    delta_size: int = Field(alias="deltaSize")
    etag: str = Field(alias="eTag")
    object_meta: OSSObjectMeta | None = Field(default=None, alias="objectMeta")

    @property
    def decoded_key(self) -> str:
        """The key with URL-encoding undone."""
        return unquote(self.key)


class OSSDetail(EventModel):
    """The ``oss`` part of a record: bucket, object, and the rule that fired."""

    bucket: OSSBucket
    object: OSSObject
    oss_schema_version: str | None = Field(default=None, alias="ossSchemaVersion")
    rule_id: str | None = Field(default=None, alias="ruleId")


class OSSRequestParameters(EventModel):
    """Who made the request."""

    source_ip_address: str | None = Field(default=None, alias="sourceIPAddress")


class OSSResponseElements(EventModel):
    """The OSS request id, for support tickets and log searches."""

    request_id: str | None = Field(default=None, alias="requestId")


class OSSRecord(EventModel):
    """One OSS notification."""

    event_name: str = Field(alias="eventName")
    event_source: str = Field(default="acs:oss", alias="eventSource")
    event_time: ISOTime = Field(alias="eventTime")
    event_version: str | None = Field(default=None, alias="eventVersion")
    region: str
    oss: OSSDetail
    request_parameters: OSSRequestParameters | None = Field(default=None, alias="requestParameters")
    response_elements: OSSResponseElements | None = Field(default=None, alias="responseElements")
    user_identity: OSSUserIdentity | None = Field(default=None, alias="userIdentity")

    @property
    def is_created(self) -> bool:
        """Whether an object was written (``ObjectCreated:*``: put, post, copy, multipart...)."""
        return self.event_name.startswith("ObjectCreated:")

    @property
    def is_removed(self) -> bool:
        """Whether an object was deleted (``ObjectRemoved:*``)."""
        return self.event_name.startswith("ObjectRemoved:")

    @property
    def bucket(self) -> str:
        """The bucket name (shortcut for ``oss.bucket.name``)."""
        return self.oss.bucket.name

    @property
    def key(self) -> str:
        """The object key as delivered (shortcut for ``oss.object.key``)."""
        return self.oss.object.key


class OSSEvent(EventModel):
    """An OSS trigger's event: ``{"events": [record, ...]}`` (one record or more)."""

    events: list[OSSRecord] = Field(min_length=1)
