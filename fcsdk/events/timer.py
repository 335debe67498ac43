"""Timer trigger: a cron or interval tick carrying the trigger's configured payload.

Examples:
    >>> from pydantic import BaseModel
    >>> from fcsdk.events import TimerEvent
    >>> class JobSpec(BaseModel):
    ...     job: str
    >>> from fcsdk.testing.events import timer_event
    >>> raw = timer_event(payload='{"job": "sync"}')
    >>> TimerEvent[JobSpec].model_validate_json(raw).payload
    JobSpec(job='sync')
    >>> TimerEvent.model_validate_json(raw).payload
    '{"job": "sync"}'
"""

from __future__ import annotations

from typing import Annotated, Generic

from pydantic import Field
from typing_extensions import TypeVar

from fcsdk.events._base import EventModel
from fcsdk.events._fields import EMBEDDED, ISOTime

__all__ = ["TimerEvent"]

P = TypeVar("P", default=str)


class TimerEvent(EventModel, Generic[P]):
    """A timer trigger's event.

    ``payload`` is the text configured on the trigger, kept as ``str`` by
    default; ``TimerEvent[JobSpec]`` parses it (JSON) into ``JobSpec``, and a
    type that accepts text (an enum, a ``Literal``) takes non-JSON text as is.
    """

    trigger_time: ISOTime = Field(alias="triggerTime")
    trigger_name: str = Field(alias="triggerName")
    payload: Annotated[P, EMBEDDED]
