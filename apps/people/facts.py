"""Typed household facts: validate and normalise values against the configured definitions, so a
county adds its 40+ facts without a code change and every stored value has its declared type."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Iterable
from typing import Any

from .choices import FactKind
from .models import FactDefinition

TRUE_WORDS = {"1", "true", "yes", "y", "是", "有", "√", "对"}
FALSE_WORDS = {"0", "false", "no", "n", "否", "无", "×", "不"}


class FactError(ValueError):
    def __init__(self, key: str, label: str, message: str):
        super().__init__(message)
        self.key = key
        self.label = label
        self.message = message


def active_definitions() -> list[FactDefinition]:
    return list(FactDefinition.objects.filter(is_active=True))


def clean_value(definition: FactDefinition, raw: Any) -> Any:
    """One value in its canonical JSON form (None when empty); FactError with a Chinese reason."""
    label = definition.label
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        if definition.required:
            raise FactError(definition.key, label, f"“{label}”为必填项。")
        return None
    kind = definition.kind
    text = str(raw).strip()
    try:
        if kind == FactKind.TEXT:
            if len(text) > 500:
                raise FactError(definition.key, label, f"“{label}”不能超过 500 字。")
            return text
        if kind == FactKind.BOOLEAN:
            if isinstance(raw, bool):
                return raw
            low = text.lower()
            if low in TRUE_WORDS:
                return True
            if low in FALSE_WORDS:
                return False
            raise FactError(definition.key, label, f"“{label}”应填“是”或“否”，收到“{text}”。")
        if kind == FactKind.DATE:
            if isinstance(raw, datetime.datetime):
                return raw.date().isoformat()
            if isinstance(raw, datetime.date):
                return raw.isoformat()
            for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d"):
                try:
                    return datetime.datetime.strptime(text, fmt).date().isoformat()
                except ValueError:
                    continue
            raise FactError(definition.key, label, f"“{label}”应为日期（如 2024-05-01），收到“{text}”。")
        if kind in (FactKind.INTEGER, FactKind.DECIMAL):
            try:
                number = decimal.Decimal(text)
            except decimal.InvalidOperation as exc:
                raise FactError(definition.key, label, f"“{label}”应为数字，收到“{text}”。") from exc
            if not number.is_finite():
                raise FactError(definition.key, label, f"“{label}”应为数字，收到“{text}”。")
            if kind == FactKind.INTEGER and number != number.to_integral_value():
                raise FactError(definition.key, label, f"“{label}”应为整数，收到“{text}”。")
            if definition.min_value is not None and number < definition.min_value:
                raise FactError(
                    definition.key, label, f"“{label}”不能小于 {definition.min_value.normalize():f}。"
                )
            if definition.max_value is not None and number > definition.max_value:
                raise FactError(
                    definition.key, label, f"“{label}”不能大于 {definition.max_value.normalize():f}。"
                )
            return int(number) if kind == FactKind.INTEGER else f"{number.normalize():f}"
        if kind == FactKind.CHOICE:
            if text not in definition.choices:
                options = "、".join(definition.choices)
                raise FactError(definition.key, label, f"“{label}”应为以下之一：{options}；收到“{text}”。")
            return text
        if kind == FactKind.MULTI_CHOICE:
            items = raw if isinstance(raw, list) else [p.strip() for p in text.replace("，", ",").split(",")]
            items = [str(i).strip() for i in items if str(i).strip()]
            unknown = [i for i in items if i not in definition.choices]
            if unknown:
                raise FactError(definition.key, label, f"“{label}”中的“{'、'.join(unknown)}”不在可选项中。")
            return items
    except FactError:
        raise
    raise FactError(definition.key, label, f"“{label}”的类型配置有误。")


def clean_facts(
    values: dict[str, Any], definitions: Iterable[FactDefinition] | None = None, *, partial: bool = False
) -> tuple[dict[str, Any], list[FactError]]:
    """Validate a dict of facts by key. Unknown keys are errors. With `partial`, required facts
    that are absent are not reported (an edit of some facts leaves the others as they are)."""
    defs = {d.key: d for d in (definitions if definitions is not None else active_definitions())}
    cleaned: dict[str, Any] = {}
    errors: list[FactError] = []
    for key, raw in values.items():
        definition = defs.get(key)
        if definition is None:
            errors.append(FactError(key, key, f"未定义的档案字段“{key}”。"))
            continue
        try:
            value = clean_value(definition, raw)
        except FactError as err:
            errors.append(err)
            continue
        if value is not None:
            cleaned[key] = value
    if not partial:
        for key, definition in defs.items():
            if definition.required and key not in values:
                errors.append(FactError(key, definition.label, f"“{definition.label}”为必填项。"))
    return cleaned, errors
