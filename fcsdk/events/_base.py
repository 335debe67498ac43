"""The base of every trigger model: platform names as aliases, unknown fields ignored."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["EventModel"]


class EventModel(BaseModel):
    """A model of platform input.

    Attributes are snake_case over the platform's own names (its aliases):
    ``model_dump(by_alias=True)`` gives the platform's shape back. Unknown
    fields are ignored (the platform adds fields over time), instances are
    immutable (an event is a fact), and the schema is built on first use,
    not at import, to keep cold starts short.
    """

    model_config = ConfigDict(
        defer_build=True,
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        ser_json_bytes="base64",
        val_json_bytes="base64",
    )
