"""The /chat page's script and style sheet, GET /chat/assets/chat.js and chat.css (public, no data in them)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

router = APIRouter()
STATIC = Path(__file__).resolve().parent.parent / "static"
TYPES = {"chat.js": "text/javascript", "chat.css": "text/css"}


@router.get("/chat/assets/{name}", include_in_schema=False)
async def chat_asset(name: str) -> FileResponse:
    """One of the page's two files; 404 for any other name."""
    if name not in TYPES:
        raise HTTPException(404, "no such file")
    return FileResponse(STATIC / name, media_type=f"{TYPES[name]}; charset=utf-8")
