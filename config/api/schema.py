"""OpenAPI post-processing: every operation documents the one error shape for the
statuses it can answer with, so a client generated from the schema knows what a refusal looks like."""

from __future__ import annotations

ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "properties": {
                "code": {"type": "string", "description": "Stable machine-readable reason, e.g. cap_exceeded."},
                "message": {"type": "string", "description": "What went wrong, in the request's language."},
                "fields": {
                    "type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Messages per input field (dotted paths for nested input).",
                },
            },
            "additionalProperties": True,
        },
    },
}
ERRORS = {
    "400": "Not valid: nothing was changed; `fields` says what to correct.",
    "401": "No or bad credentials: send `Authorization: Token …`.",
    "403": "Signed in, but this user may not do this.",
    "404": "Not found, or not visible to this user.",
    "409": "Refused by the object's state (for example a deadline passed or a cap reached); nothing was changed.",
    "429": "Too many requests: wait and retry.",
}
WRITES = {"post", "put", "patch", "delete"}


def add_error_responses(result, generator, request, public):  # noqa: ARG001 - drf-spectacular hook signature
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            statuses = ["400", "401", "403", "404", "429"] + (["409"] if method in WRITES else [])
            for status in statuses:
                operation["responses"].setdefault(status, {"description": ERRORS[status], "content": reference})
    return result
