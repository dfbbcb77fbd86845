"""Checks on JSON fields of a request that raise the Graph error Meta answers with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn

from broadcaster.simulator import graph_errors as codes
from broadcaster.simulator.graph_errors import GraphError


def fail(code: int, details: str) -> NoReturn:
    raise GraphError(code, details)


def required(obj: Mapping[str, Any], key: str, where: str) -> Any:
    value = obj.get(key)
    if value is None:
        fail(codes.INVALID_PARAMETER, f"The parameter {where} is required.")
    return value


def as_object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        fail(codes.INVALID_PARAMETER_VALUE, f"{where} must be a JSON object.")
    return value


def as_text(value: Any, where: str, max_len: int, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str):
        fail(codes.INVALID_PARAMETER_VALUE, f"{where} must be a string.")
    if not allow_empty and not value.strip():
        fail(codes.INVALID_PARAMETER_VALUE, f"{where} must not be empty.")
    if len(value) > max_len:
        fail(codes.INVALID_PARAMETER_VALUE, f"{where} too long. Max length: {max_len}.")
    return value
