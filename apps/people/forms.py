"""Input forms of the resident-record pages. They parse what a user typed into what the services
take; the rules themselves (ID numbers, phones, fact types and ranges, duplicates) live in
services.py and facts.py. So a form refuses only what cannot be handed to a service at all, and a
service's Chinese message is put back next to the field it concerns (`attach_error`).

Household facts are configured data (FactDefinition): `HouseholdForm` adds one typed input per
active definition, named `fact_<key>`, grouped by the definition's section.
"""

from __future__ import annotations

import decimal
import json
from typing import Any

from django import forms

from apps.core.errors import ApplicationError

from .choices import (
    ColorGrade,
    FactKind,
    Gender,
    HukouType,
    IncomeBand,
    PoliticalStatus,
    Relation,
    ResidentStatus,
)
from .models import FactDefinition, Household, Resident
from .services import HOUSEHOLD_FIELDS

FACT_PREFIX = "fact_"
BOOL_YES, BOOL_NO = "是", "否"
INPUT = "form-control form-control-sm"
SELECT = "form-select form-select-sm"

# Error codes of the services → the form field the message belongs next to.
FIELD_OF_CODE = {
    "household_number": "number",
    "duplicate_household_number": "number",
    "household_address": "address",
    "hukou_type": "hukou_type",
    "income_band": "income_band",
    "color_grade": "color_grade",
    "land_not_number": "contracted_land_mu",
    "land_range": "contracted_land_mu",
    "migrant_workers": "migrant_workers",
    "household_grid_outside": "grid",
    "household_unit_level": "unit",
    "resident_name": "name",
    "relation": "relation",
    "political_status": "political_status",
    "resident_status": "status",
    "gender": "gender",
    "birth_date": "birth_date",
    "duplicate_id_number": "id_number",
    "id_empty": "id_number",
    "id_length": "id_number",
    "id_characters": "id_number",
    "id_checksum": "id_number",
    "id_birth_date": "id_number",
    "id_region": "id_number",
    "phone_format": "phone",
    "special_group_unknown": "special_groups",
    "patrol_place": "place",
    "patrol_note": "note",
    "patrol_future": "visited_at",
    "patrol_household_outside": "household",
    "coordinates_incomplete": "latitude",
    "photo_type": "photo",
    "photo_too_large": "photo",
    "fact_key": "key",
    "fact_kind": "kind",
    "fact_choices": "choices",
    "group_code": "code",
}


def first_error(form: forms.Form) -> str:
    for name, errors in form.errors.items():
        if name == "__all__":
            return str(errors[0])
        field = form.fields.get(name)
        return f"{field.label if field is not None else name}：{errors[0]}"
    return ""


def attach_error(form: forms.Form, error: ApplicationError) -> bool:
    """Put a service's refusal next to the field(s) it names; False when it names none (the page
    then shows it above the form)."""
    attached = False
    for key, message in (error.extra.get("facts") or {}).items():
        name = FACT_PREFIX + key
        if name in form.fields:
            form.add_error(name, message)
            attached = True
    name = FIELD_OF_CODE.get(error.code, "")
    if not attached and name in form.fields:
        form.add_error(name, error.message)
        attached = True
    return attached


def mark_invalid(form: forms.Form) -> None:
    """Bootstrap's red outline on every input with an error."""
    for name in form.errors:
        field = form.fields.get(name)
        if field is not None:
            css = field.widget.attrs.get("class", "")
            if "is-invalid" not in css:
                field.widget.attrs["class"] = f"{css} is-invalid".strip()


# --- stale edits -----------------------------------------------------------------------------------
# An edit form carries, hidden, the values it was opened with ("original"). When the record changed
# meanwhile, the user's input is rebased onto the newest record: what they did not touch takes the
# newest value, what both changed keeps theirs and shows the newest beside it (see views._rebase).

NOT_COMPARED = {"expected_version", "original", "unit"}


def comparable_value(field: forms.Field, value: Any) -> Any:
    if isinstance(field, forms.MultipleChoiceField):
        return sorted(str(v) for v in (value or []))
    if isinstance(field, forms.BooleanField):
        return "on" if value in (True, "on", "true", "True", "1") else ""
    return "" if value is None else str(value)


def comparable(form: forms.Form) -> dict[str, Any]:
    """The form's initial values (the record as opened), in the shape posted data has."""
    return {
        name: comparable_value(field, form.initial.get(name))
        for name, field in form.fields.items()
        if name not in NOT_COMPARED
    }


def posted(form: forms.Form, name: str) -> Any:
    field = form.fields[name]
    if isinstance(field, forms.MultipleChoiceField):
        return comparable_value(field, form.data.getlist(name))  # type: ignore[attr-defined]
    return comparable_value(field, form.data.get(name))


def put(data: Any, form: forms.Form, name: str, value: Any) -> None:
    """Set `name` in (mutable) posted data to a comparable value."""
    field = form.fields[name]
    if isinstance(field, forms.MultipleChoiceField):
        data.setlist(name, list(value))
    elif isinstance(field, forms.BooleanField) and not value:
        data.pop(name, None)
    else:
        data[name] = value


def shown(field: forms.Field, value: Any) -> str:
    """A comparable value as the user reads it."""
    if isinstance(field, forms.BooleanField):
        return "是" if value else "否"
    if isinstance(value, list):
        labels = dict(getattr(field, "choices", []))
        return "、".join(str(labels.get(v, v)) for v in value) or "（空）"
    choices = getattr(field, "choices", None) or getattr(field.widget, "choices", None)
    if choices:
        value = dict(choices).get(value, value)
    return str(value) if value not in ("", None) else "（空）"


def _remember_original(form: forms.Form) -> None:
    form.initial["original"] = json.dumps(comparable(form), ensure_ascii=False)


def _text(max_length: int, *, label: str, required_attr: bool = False, **attrs: Any) -> forms.CharField:
    widget_attrs = {"class": INPUT, **attrs}
    if required_attr:
        widget_attrs["required"] = "required"
    return forms.CharField(
        label=label, max_length=max_length, required=False, widget=forms.TextInput(attrs=widget_attrs)
    )


def _number(label: str, *, step: str = "1", minimum: Any = None, maximum: Any = None) -> forms.CharField:
    attrs: dict[str, Any] = {
        "class": INPUT,
        "step": step,
        "inputmode": "numeric" if step == "1" else "decimal",
    }
    if minimum is not None:
        attrs["min"] = minimum
    if maximum is not None:
        attrs["max"] = maximum
    return forms.CharField(label=label, required=False, widget=forms.NumberInput(attrs=attrs))


def _select(label: str, choices: Any, *, required: bool = False) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label, choices=choices, required=required, widget=forms.Select(attrs={"class": SELECT})
    )


def _plain(value: Any) -> str:
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    return "" if value is None else str(value)


# --- household facts ------------------------------------------------------------------------------


def fact_initial(definition: FactDefinition, value: Any) -> Any:
    """A stored fact as its input shows it."""
    if value is None:
        return [] if definition.kind == FactKind.MULTI_CHOICE else ""
    if definition.kind == FactKind.BOOLEAN:
        return BOOL_YES if value is True else BOOL_NO if value is False else ""
    if definition.kind == FactKind.MULTI_CHOICE:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return str(value)


def fact_display(definition: FactDefinition | None, value: Any) -> str:
    """A stored fact as the detail page shows it: 是/否, items joined, number with its unit."""
    if value is None or value == "" or value == []:
        return "—"
    if value is True:
        return "是"
    if value is False:
        return "否"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if definition is not None and definition.unit_label:
        return f"{value} {definition.unit_label}"
    return str(value)


def fact_field(definition: FactDefinition, current: Any = None) -> forms.Field:
    label = definition.label + (f"（{definition.unit_label}）" if definition.unit_label else "")
    kind = definition.kind
    field: forms.Field
    if kind in (FactKind.INTEGER, FactKind.DECIMAL):
        field = _number(
            label,
            step="1" if kind == FactKind.INTEGER else "any",
            minimum=_plain(definition.min_value) or None,
            maximum=_plain(definition.max_value) or None,
        )
    elif kind == FactKind.DATE:
        field = forms.CharField(
            label=label, required=False, widget=forms.DateInput(attrs={"class": INPUT, "type": "date"})
        )
    elif kind == FactKind.BOOLEAN:
        # Three states, not a checkbox: an unchecked box cannot tell "否" from "not asked yet".
        field = forms.ChoiceField(
            label=label,
            required=False,
            choices=[(BOOL_YES, "是"), (BOOL_NO, "否"), ("", "未填")],
            widget=forms.RadioSelect,
        )
    elif kind == FactKind.CHOICE:
        options = [str(c) for c in definition.choices]
        if current not in (None, "") and str(current) not in options:
            options.append(str(current))  # a value kept from before the options changed
        field = forms.CharField(
            label=label,
            required=False,
            widget=forms.Select(attrs={"class": SELECT}, choices=[("", "—"), *((o, o) for o in options)]),
        )
    elif kind == FactKind.MULTI_CHOICE:
        options = [str(c) for c in definition.choices]
        for item in fact_initial(definition, current):
            if item not in options:
                options.append(item)
        field = forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=[(o, o) for o in options],
            widget=forms.CheckboxSelectMultiple,
        )
    else:
        field = forms.CharField(
            label=label, required=False, max_length=500, widget=forms.TextInput(attrs={"class": INPUT})
        )
    field.help_text = definition.help_text
    if definition.required:
        field.label = f"{field.label} *"
    return field


# --- households -----------------------------------------------------------------------------------


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=40, required=False)
    unit = forms.CharField(label="单位代码", max_length=15, required=False)
    grid = forms.CharField(label="网格编码", max_length=32, required=False)
    color_grade = forms.ChoiceField(
        label="联户等级", required=False, choices=[("", "全部"), *ColorGrade.choices[1:]]
    )


class HouseholdForm(forms.Form):
    """Fixed household fields, then one input per active fact definition."""

    unit = forms.CharField(label="所属村（组）", required=False, widget=forms.Select(attrs={"class": SELECT}))
    grid = forms.CharField(label="所属网格", required=False, widget=forms.Select(attrs={"class": SELECT}))
    number = _text(32, label="户号", required_attr=True)
    address = _text(200, label="住址", required_attr=True)
    hukou_type = _select("户口类型", HukouType.choices, required=True)
    contracted_land_mu = _number("承包地（亩）", step="0.01", minimum=0)
    house_permit_no = _text(40, label="建房审批号")
    migrant_workers = _number("外出务工人数", minimum=0, maximum=50)
    income_band = _select("收入档次", IncomeBand.choices)
    color_grade = _select("联户等级", ColorGrade.choices)
    is_active = forms.BooleanField(
        label="在册", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    original = forms.CharField(required=False, widget=forms.HiddenInput)

    FIXED = HOUSEHOLD_FIELDS

    def __init__(
        self,
        *args: Any,
        definitions: list[FactDefinition],
        household: Household | None = None,
        unit_choices: list[tuple[str, str]] | None = None,
        grid_choices: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        self.household = household
        self.definitions = definitions
        facts = household.facts if household is not None else {}
        if household is not None and "initial" not in kwargs:
            kwargs["initial"] = household_initial(household, definitions)
        super().__init__(*args, **kwargs)
        if household is not None:
            del self.fields["unit"]
        else:
            del self.fields["is_active"]
            self.fields["unit"].widget.choices = unit_choices or []
        self.fields["grid"].widget.choices = [("", "（不属于网格）"), *(grid_choices or [])]
        sections: dict[str, list[str]] = {}
        for definition in definitions:
            name = FACT_PREFIX + definition.key
            self.fields[name] = fact_field(definition, facts.get(definition.key))
            sections.setdefault(definition.section, []).append(name)
        self._sections = sections
        if household is not None:
            _remember_original(self)

    @property
    def fact_sections(self) -> list[tuple[str, list[forms.BoundField], bool]]:
        """(section, its inputs, whether one of them has an error or a newer value to show)."""
        out = []
        for section, names in self._sections.items():
            flagged = any(
                name in self.errors or getattr(self.fields[name], "current_note", "") for name in names
            )
            out.append((section, [self[name] for name in names], flagged))
        return out

    def fixed_values(self) -> dict[str, Any]:
        """The fixed fields as the services take them (the grid still as a code)."""
        data = self.cleaned_data
        values = {name: data[name] for name in self.FIXED if name in self.fields}
        values["migrant_workers"] = data["migrant_workers"] or 0
        return values

    def fact_values(self, *, only_changed: bool) -> dict[str, Any]:
        """Facts to hand to the service. On an edit only those the user changed: a value kept from
        before its options changed then does not block an unrelated edit, and an emptied input
        ("") removes the fact."""
        out: dict[str, Any] = {}
        for definition in self.definitions:
            name = FACT_PREFIX + definition.key
            raw = self.cleaned_data.get(name)
            value = list(raw or []) if definition.kind == FactKind.MULTI_CHOICE else (raw or "").strip()
            if only_changed:
                current = self.household.facts.get(definition.key) if self.household is not None else None
                if value == fact_initial(definition, current):
                    continue
            elif value in ("", []):
                continue
            if definition.kind == FactKind.MULTI_CHOICE:
                out[definition.key] = value if value else ""
            elif definition.kind == FactKind.BOOLEAN:
                out[definition.key] = {BOOL_YES: True, BOOL_NO: False}.get(str(value), "")
            else:
                out[definition.key] = value
        return out


def household_initial(household: Household, definitions: list[FactDefinition]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "grid": household.grid.code if household.grid_id and household.grid else "",
        "number": household.number,
        "address": household.address,
        "hukou_type": household.hukou_type,
        "contracted_land_mu": _plain(household.contracted_land_mu),
        "house_permit_no": household.house_permit_no,
        "migrant_workers": str(household.migrant_workers),
        "income_band": household.income_band,
        "color_grade": household.color_grade,
        "is_active": household.is_active,
        "expected_version": household.version,
    }
    for definition in definitions:
        initial[FACT_PREFIX + definition.key] = fact_initial(definition, household.facts.get(definition.key))
    return initial


# --- residents ------------------------------------------------------------------------------------


class ResidentFilterForm(forms.Form):
    q = forms.CharField(label="搜索", max_length=40, required=False)
    unit = forms.CharField(label="单位代码", max_length=15, required=False)
    grid = forms.CharField(label="网格编码", max_length=32, required=False)
    group = forms.ChoiceField(label="特殊群体", required=False)
    minors = forms.ChoiceField(
        label="年龄", required=False, choices=[("", "全部"), ("1", "未成年人"), ("0", "成年人")]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("active", "在册"), ("", "全部"), *ResidentStatus.choices[1:]]
    )

    def __init__(self, *args: Any, group_choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", "全部"), *group_choices]  # type: ignore[attr-defined]


class ResidentForm(forms.Form):
    name = _text(50, label="姓名", required_attr=True)
    id_number = _text(24, label="身份证号", autocomplete="off", inputmode="text")
    phone = _text(20, label="手机号", autocomplete="off", inputmode="tel", type="tel")
    gender = _select("性别", [("", "—"), *Gender.choices])
    birth_date = forms.CharField(
        label="出生日期", required=False, widget=forms.DateInput(attrs={"class": INPUT, "type": "date"})
    )
    relation = _select("与户主关系", Relation.choices, required=True)
    political_status = _select("政治面貌", PoliticalStatus.choices, required=True)
    occupation = _text(40, label="职业")
    living_away = forms.BooleanField(
        label="外出（不在本地居住）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    away_place = _text(60, label="外出地点")
    special_groups = forms.MultipleChoiceField(
        label="特殊群体", required=False, widget=forms.CheckboxSelectMultiple
    )
    status = _select("状态", ResidentStatus.choices, required=True)
    notes = forms.CharField(
        label="备注",
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 2}),
    )
    expected_version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    original = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        resident: Resident | None = None,
        group_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        self.resident = resident
        if resident is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": resident.name,
                "gender": resident.gender,
                "birth_date": resident.birth_date.isoformat() if resident.birth_date else "",
                "relation": resident.relation,
                "political_status": resident.political_status,
                "occupation": resident.occupation,
                "living_away": resident.living_away,
                "away_place": resident.away_place,
                "special_groups": [g.code for g in resident.special_groups.all()],
                "status": resident.status,
                "notes": resident.notes,
                "expected_version": resident.version,
            }
        super().__init__(*args, **kwargs)
        self.fields["special_groups"].choices = group_choices  # type: ignore[attr-defined]
        if resident is None:
            del self.fields["status"]
            self.fields["id_number"].help_text = "填写后自动识别性别和出生日期。"
        else:
            self.fields["id_number"].help_text = "留空则保持不变；填写则替换。"
            self.fields["phone"].help_text = "留空则保持不变；填写则替换。"
            self.fields["id_number"].widget.attrs["placeholder"] = resident.id_number_masked or "未登记"
            self.fields["phone"].widget.attrs["placeholder"] = resident.phone_masked or "未登记"
            if resident.id_tail:
                # Gender and birth date come from the ID number; they are not typed separately.
                del self.fields["gender"]
                del self.fields["birth_date"]
            _remember_original(self)

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values: dict[str, Any] = {
            name: data[name]
            for name in (
                "name",
                "relation",
                "political_status",
                "occupation",
                "living_away",
                "away_place",
                "status",
                "notes",
                "gender",
                "birth_date",
            )
            if name in self.fields
        }
        id_number, phone = data["id_number"].strip(), data["phone"].strip()
        if self.resident is None:
            values.update(id_number=id_number, phone=phone)
            if id_number:  # the ID number says both; the service derives them
                values.pop("gender", None)
                values.pop("birth_date", None)
        else:
            # Empty keeps what is stored (the form never shows the stored value to send it back).
            values.update(id_number=id_number or None, phone=phone or None)
        return values


# --- patrols --------------------------------------------------------------------------------------


class PatrolForm(forms.Form):
    grid = forms.ChoiceField(label="网格", widget=forms.Select(attrs={"class": SELECT}))
    household = forms.CharField(
        label="走访户（可不选）", required=False, widget=forms.Select(attrs={"class": SELECT})
    )
    visited_at = forms.DateTimeField(
        label="走访时间",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"class": INPUT, "type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    place = _text(120, label="地点", required_attr=True)
    note = forms.CharField(
        label="情况记录",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 4, "required": "required"}),
    )
    photo = forms.FileField(
        label="照片（可不传）",
        required=False,
        widget=forms.FileInput(attrs={"class": INPUT, "accept": "image/*", "capture": "environment"}),
    )
    latitude = forms.FloatField(
        label="纬度",
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.NumberInput(attrs={"class": INPUT, "step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.FloatField(
        label="经度",
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.NumberInput(attrs={"class": INPUT, "step": "any", "inputmode": "decimal"}),
    )

    def __init__(
        self,
        *args: Any,
        grid_choices: list[tuple[str, str]],
        household_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grid_choices  # type: ignore[attr-defined]
        self.fields["household"].widget.choices = [("", "（不针对某一户）"), *household_choices]


# --- configuration --------------------------------------------------------------------------------

COLORS = [
    ("secondary", "灰"),
    ("primary", "蓝"),
    ("info", "青"),
    ("success", "绿"),
    ("warning", "黄"),
    ("danger", "红"),
    ("dark", "黑"),
]


class FactDefinitionForm(forms.Form):
    key = _text(40, label="键（英文）", required_attr=True, autocapitalize="off")
    label = _text(40, label="名称", required_attr=True)
    kind = _select("类型", FactKind.choices, required=True)
    section = _text(20, label="分组", required_attr=True)
    unit_label = _text(10, label="单位")
    choices = forms.CharField(
        label="选项（单选/多选，每行一个）",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"class": INPUT, "rows": 3}),
    )
    min_value = forms.DecimalField(
        label="最小值",
        required=False,
        max_digits=14,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"class": INPUT, "step": "any"}),
    )
    max_value = forms.DecimalField(
        label="最大值",
        required=False,
        max_digits=14,
        decimal_places=4,
        widget=forms.NumberInput(attrs={"class": INPUT, "step": "any"}),
    )
    order = forms.IntegerField(
        label="排序",
        min_value=0,
        max_value=32767,
        initial=100,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    help_text = _text(200, label="说明")
    required = forms.BooleanField(
        label="必填", required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    is_active = forms.BooleanField(
        label="启用",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_value"), data.get("max_value")
        if low is not None and high is not None and low > high:
            self.add_error("max_value", "最大值不能小于最小值。")
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        raw = data["choices"].replace("、", "\n").replace(",", "\n").replace("，", "\n")
        choices = list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))
        return {
            "key": data["key"].strip(),
            "label": data["label"].strip(),
            "kind": data["kind"],
            "section": data["section"].strip() or "基本情况",
            "unit_label": data["unit_label"].strip(),
            "choices": choices if data["kind"] in (FactKind.CHOICE, FactKind.MULTI_CHOICE) else [],
            "min_value": data["min_value"],
            "max_value": data["max_value"],
            "order": data["order"] if data["order"] is not None else 100,
            "help_text": data["help_text"].strip(),
            "required": data["required"],
            "is_active": data["is_active"],
        }


def fact_definition_initial(definition: FactDefinition) -> dict[str, Any]:
    return {
        "key": definition.key,
        "label": definition.label,
        "kind": definition.kind,
        "section": definition.section,
        "unit_label": definition.unit_label,
        "choices": "\n".join(str(c) for c in definition.choices),
        "min_value": definition.min_value,
        "max_value": definition.max_value,
        "order": definition.order,
        "help_text": definition.help_text,
        "required": definition.required,
        "is_active": definition.is_active,
    }


class SpecialGroupForm(forms.Form):
    code = _text(32, label="代码（英文）", required_attr=True, autocapitalize="off")
    name = _text(30, label="名称", required_attr=True)
    color = _select("标签颜色", COLORS, required=True)
    order = forms.IntegerField(
        label="排序",
        min_value=0,
        max_value=32767,
        initial=100,
        widget=forms.NumberInput(attrs={"class": INPUT}),
    )
    sensitive = forms.BooleanField(
        label="敏感（仅有敏感群体查看权限的角色可见）",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError("请填写名称。")
        return name
