"""Shapes of the JSON API's shared responses."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    """Every error has this shape; ``message`` is in the caller's language."""

    code: str
    message: str


class NodeOut(Schema):
    node_id: str
    role: str
    version: str
    demo: bool


class MeOut(Schema):
    username: str
    full_name: str
    office: str
    language: str
    roles: list[str]
    permissions: list[str]
