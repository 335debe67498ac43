"""A FastAPI app on FC through ``fc.from_asgi``: async routes and one shared async client.

The lifespan runs once per instance (before the first request, or in FC's
initializer when ``initializer: index.initializer`` is configured) and makes
the state every request shares. On FC 3.0's built-in runtime an instance
serves one request at a time; the ``asyncio.Lock`` keeps the state right
where requests do overlap on the one event loop (``fcsdk serve --concurrency``,
a web function).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

import fcsdk as fc


class NewNote(BaseModel):
    """A note as a client sends it."""

    text: str = Field(min_length=1, max_length=500)


class Note(BaseModel):
    """A stored note."""

    id: int
    text: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Once per instance: the notes (in memory, for the demo) and their lock."""
    yield {"notes": {}, "lock": asyncio.Lock()}


app = FastAPI(title="notes", lifespan=lifespan)


@app.post("/notes", status_code=201)
async def create_note(body: NewNote, request: Request) -> Note:
    """Store a note; answer 201 with it."""
    async with request.state.lock:
        notes: dict[int, Note] = request.state.notes
        note = Note(id=len(notes) + 1, text=body.text)
        notes[note.id] = note
    fc.logger.info("stored note %s", note.id)
    return note


@app.get("/notes")
async def list_notes(request: Request) -> list[Note]:
    """Every note, oldest first."""
    return list(request.state.notes.values())


@app.get("/notes/{note_id}")
async def get_note(note_id: int, request: Request) -> Note:
    """One note, or 404."""
    notes: dict[int, Note] = request.state.notes
    note = notes.get(note_id)
    if note is None:
        raise HTTPException(status_code=404, detail=f"no note {note_id}")
    return note


handler = fc.from_asgi(app)
initializer = handler.initializer
pre_stop = handler.pre_stop
