"""The two wire formats of GeoReport v2: JSON and XML, UTF-8, with the spec's error bodies.

A response is built as plain Python data (lists of dicts of scalars, a nested list or dict where
the spec nests elements) and rendered here: JSON as is, XML with xml.etree under the root and item
element names the spec gives (`<services><service>…`, `<service_requests><request>…`,
`<errors><error>…`). Datetimes leave as ISO 8601 with the +08:00 offset of Asia/Shanghai.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from xml.etree import ElementTree

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry at all (C0 controls other than tab, newline, carriage return;
# unpaired surrogates; U+FFFE/FFFF). A description pasted from a phone may hold them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def iso(value: datetime.datetime | None) -> str | None:
    """ISO 8601 in the platform's time zone (+08:00), to the second."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return iso(value) or ""
    return _XML_ILLEGAL.sub("", str(value))


def _append(parent: ElementTree.Element, tag: str, value: Any, item_tags: dict[str, str]) -> None:
    element = ElementTree.SubElement(parent, tag)
    if isinstance(value, dict):
        for key, inner in value.items():
            _append(element, key, inner, item_tags)
    elif isinstance(value, list):
        child_tag = item_tags.get(tag, "item")
        for inner in value:
            _append(element, child_tag, inner, item_tags)
    else:
        element.text = _text(value)


def to_xml(root: str, data: Any, item_tags: dict[str, str]) -> bytes:
    """`data` under `<root>`: a list becomes repeated `item_tags[root]` elements, a dict its keys."""
    element = ElementTree.Element(root)
    if isinstance(data, list):
        for item in data:
            _append(element, item_tags[root], item, item_tags)
    else:
        for key, value in data.items():
            _append(element, key, value, item_tags)
    return (XML_DECLARATION + ElementTree.tostring(element, encoding="unicode")).encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return iso(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, default=_json_default).encode("utf-8")


# Root element and repeated item element of each response kind (the spec's XML names).
ITEM_TAGS: dict[str, str] = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}


def render(fmt: str, root: str, data: Any, *, status: int = 200) -> HttpResponse:
    body = to_xml(root, data, ITEM_TAGS) if fmt == "xml" else to_json(data)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt: str, status: int, description: str) -> HttpResponse:
    """The spec's error body: `[{"code": 400, "description": "…"}]` or `<errors><error>…`."""
    return render(fmt, "errors", [{"code": status, "description": description}], status=status)


def guess_format(path: str) -> str:
    """The format a path asks for (for errors before the URL resolved): XML only when it says so."""
    return "xml" if path.lower().rstrip("/").endswith(".xml") else "json"
