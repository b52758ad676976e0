"""Input forms of the territory pages: they parse and type what a user typed; the rules live in
services.py, so a form only refuses what cannot even be handed to a service (a missing field, a
number that isn't one, GeoJSON that isn't JSON)."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from . import geo
from .services import MAX_GRID_LEVEL

# A real grid boundary with a few thousand vertices is well under 1 MB; more is a wrong file.
MAX_BOUNDARY_BYTES = 2 * 1024 * 1024


class GroupCreateForm(forms.Form):
    name = forms.CharField(label="小组名称", max_length=100)
    number = forms.IntegerField(
        label="小组编号", required=False, min_value=1, max_value=999, help_text="留空则自动取下一个编号。"
    )


class GridCreateForm(forms.Form):
    unit = forms.CharField(label="所属单位", max_length=15)
    parent = forms.CharField(label="上级网格编码", max_length=32, required=False)
    code = forms.CharField(label="网格编码", max_length=32)
    name = forms.CharField(label="网格名称", max_length=100)
    level = forms.IntegerField(label="网格层级", min_value=1, max_value=MAX_GRID_LEVEL, initial=1)
    households_hint = forms.IntegerField(label="户数（估）", min_value=0, required=False, initial=0)


class GridBoundaryForm(forms.Form):
    """A boundary pasted as text or uploaded as a .geojson file; `clean` yields the parsed object."""

    geojson = forms.CharField(label="GeoJSON 文本", required=False, widget=forms.Textarea)
    file = forms.FileField(label="或上传 .geojson 文件", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = (data.get("geojson") or "").strip()
        upload = data.get("file")
        if upload is not None:
            if upload.size > MAX_BOUNDARY_BYTES:
                raise forms.ValidationError("文件过大：边界文件不能超过 2 MB。", code="file_too_large")
            try:
                text = upload.read().decode("utf-8-sig").strip()
            except UnicodeDecodeError as exc:
                raise forms.ValidationError(
                    "文件不是 UTF-8 编码的文本，无法读取。", code="file_encoding"
                ) from exc
        if not text:
            raise forms.ValidationError("请粘贴 GeoJSON 文本或选择 .geojson 文件。", code="boundary_required")
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"GeoJSON 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列附近有格式错误。",
                code="geojson_not_json",
            ) from exc
        if isinstance(parsed, dict) and parsed.get("type") == "FeatureCollection":
            features = parsed.get("features") or []
            if len(features) != 1:
                raise forms.ValidationError(
                    f"FeatureCollection 中须恰好有 1 个要素，实际有 {len(features)} 个。",
                    code="geojson_collection",
                )
            parsed = features[0]
        data["boundary"] = parsed
        return data


class GridderForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=64)


class GridFilterForm(forms.Form):
    unit = forms.CharField(label="单位代码", max_length=15, required=False)
    level = forms.TypedChoiceField(
        label="网格层级",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "全部层级"), *[(n, f"{n} 级") for n in range(1, MAX_GRID_LEVEL + 1)]],
    )
    q = forms.CharField(label="名称或编码", max_length=50, required=False)


class LocateForm(forms.Form):
    lat = forms.FloatField(label="纬度", min_value=geo.LAT_RANGE[0], max_value=geo.LAT_RANGE[1])
    lng = forms.FloatField(label="经度", min_value=geo.LNG_RANGE[0], max_value=geo.LNG_RANGE[1])


def first_error(form: forms.Form) -> str:
    """One line for the alert above a form: the first error, prefixed with its field's label."""
    for name, errors in form.errors.items():
        if name == "__all__":
            return str(errors[0])
        label = form.fields[name].label if name in form.fields else name
        return f"{label}：{errors[0]}"
    return ""
