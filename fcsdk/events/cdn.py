"""CDN trigger: log files, cache refreshes and pushes, domain changes.

Each record's ``event_parameter`` has the shape its ``event_name`` says;
the record classes form a union discriminated by ``event_name``, so
``isinstance`` (or ``match``) tells them apart and the type checker knows the
parameter's fields. An event name this SDK does not know yet parses as
:class:`CDNOtherRecord` with the parameter as a plain dict.

Examples:
    >>> from fcsdk.events import CDNEvent, CDNLogFileCreatedRecord
    >>> from fcsdk.testing.events import cdn_event
    >>> record = CDNEvent.model_validate_json(cdn_event(event_name="LogFileCreated")).events[0]
    >>> isinstance(record, CDNLogFileCreatedRecord), record.event_parameter.file_size
    (True, 1024)
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EpochSeconds, ISOTime

__all__ = [
    "CDNCachedObjectsParameter",
    "CDNCachedObjectsRecord",
    "CDNDomainParameter",
    "CDNDomainRecord",
    "CDNDomainStatusParameter",
    "CDNDomainStatusRecord",
    "CDNEvent",
    "CDNLogFileCreatedParameter",
    "CDNLogFileCreatedRecord",
    "CDNOtherRecord",
    "CDNRecord",
    "CDNResource",
    "CDNUserIdentity",
]


class CDNUserIdentity(EventModel):
    """The account that owns the domain."""

    ali_uid: str = Field(alias="aliUid")


class CDNResource(EventModel):
    """The accelerated domain the event is about."""

    domain: str


class CDNLogFileCreatedParameter(EventModel):
    """``LogFileCreated``: an access-log file is ready to download."""

    domain: str
    end_time: EpochSeconds = Field(alias="endTime")
    file_size: int = Field(alias="fileSize")
    file_path: str = Field(alias="filePath")
    start_time: EpochSeconds = Field(alias="startTime")


class CDNCachedObjectsParameter(EventModel):
    """``CachedObjectsRefreshed`` / ``CachedObjectsPushed``: a refresh or prefetch task finished."""

    object_path: list[str] = Field(alias="objectPath")
    create_time: EpochSeconds = Field(alias="createTime")
    domain: str
    complete_time: EpochSeconds = Field(alias="completeTime")
    object_type: Literal["File", "Directory"] = Field(alias="objectType")
    task_id: int | str = Field(alias="taskId")


class CDNDomainStatusParameter(EventModel):
    """``CdnDomainStarted`` / ``CdnDomainStopped``: the domain's new status."""

    domain: str
    status: str


class CDNDomainParameter(EventModel):
    """``CdnDomainAdded`` / ``CdnDomainDeleted``."""

    domain: str


class _CDNRecordBase(EventModel):
    event_name: str = Field(alias="eventName")
    event_source: str = Field(default="cdn", alias="eventSource")
    region: str
    event_version: str | None = Field(default=None, alias="eventVersion")
    event_time: ISOTime = Field(alias="eventTime")
    trace_id: str | None = Field(default=None, alias="traceId")
    user_identity: CDNUserIdentity | None = Field(default=None, alias="userIdentity")
    resource: CDNResource | None = None


class CDNLogFileCreatedRecord(_CDNRecordBase):
    """A ``LogFileCreated`` record."""

    event_name: Literal["LogFileCreated"] = Field(alias="eventName")
    event_parameter: CDNLogFileCreatedParameter = Field(alias="eventParameter")


class CDNCachedObjectsRecord(_CDNRecordBase):
    """A ``CachedObjectsRefreshed`` or ``CachedObjectsPushed`` record."""

    event_name: Literal["CachedObjectsRefreshed", "CachedObjectsPushed"] = Field(alias="eventName")
    event_parameter: CDNCachedObjectsParameter = Field(alias="eventParameter")


class CDNDomainStatusRecord(_CDNRecordBase):
    """A ``CdnDomainStarted`` or ``CdnDomainStopped`` record."""

    event_name: Literal["CdnDomainStarted", "CdnDomainStopped"] = Field(alias="eventName")
    event_parameter: CDNDomainStatusParameter = Field(alias="eventParameter")


class CDNDomainRecord(_CDNRecordBase):
    """A ``CdnDomainAdded`` or ``CdnDomainDeleted`` record."""

    event_name: Literal["CdnDomainAdded", "CdnDomainDeleted"] = Field(alias="eventName")
    event_parameter: CDNDomainParameter = Field(alias="eventParameter")


class CDNOtherRecord(_CDNRecordBase):
    """A record whose ``eventName`` this SDK does not know: the parameter stays a dict."""

    event_parameter: dict[str, Any] = Field(default_factory=dict, alias="eventParameter")


_TAGS = {
    "LogFileCreated": "LogFileCreated",
    "CachedObjectsRefreshed": "CachedObjects",
    "CachedObjectsPushed": "CachedObjects",
    "CdnDomainStarted": "CdnDomainStatus",
    "CdnDomainStopped": "CdnDomainStatus",
    "CdnDomainAdded": "CdnDomain",
    "CdnDomainDeleted": "CdnDomain",
}


def _record_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        name = value.get("eventName", value.get("event_name"))
    else:
        name = getattr(value, "event_name", None)
    if not isinstance(name, str):
        return None  # pydantic reports the missing or mistyped discriminator
    return _TAGS.get(name, "other")


CDNRecord = Annotated[
    Annotated[CDNLogFileCreatedRecord, Tag("LogFileCreated")]
    | Annotated[CDNCachedObjectsRecord, Tag("CachedObjects")]
    | Annotated[CDNDomainStatusRecord, Tag("CdnDomainStatus")]
    | Annotated[CDNDomainRecord, Tag("CdnDomain")]
    | Annotated[CDNOtherRecord, Tag("other")],
    Discriminator(
        _record_tag,
        custom_error_type="cdn_event_name",
        custom_error_message="Record should have a string eventName",
    ),
]
"""One CDN record, its class chosen by ``eventName``."""


class CDNEvent(EventModel):
    """A CDN trigger's event: ``{"events": [record, ...]}``."""

    events: list[CDNRecord] = Field(min_length=1)
