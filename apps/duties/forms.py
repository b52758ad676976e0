"""Input forms of the 责任清单 pages: they parse what a user chose into what the services and the
routing preview take; the rules (who may publish where, what a row must hold) live in services.py
and importer.py."""

from __future__ import annotations

from typing import Any

from django import forms

from .choices import ListKind

INPUT = "form-control"
SELECT = "form-select"


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="清单类型", choices=ListKind.choices, widget=forms.Select(attrs={"class": SELECT})
    )
    unit = forms.ChoiceField(label="发布单位", choices=(), widget=forms.Select(attrs={"class": SELECT}))
    title = forms.CharField(
        label="标题",
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"class": INPUT, "placeholder": "留空则为“发布单位 + 清单类型”"}),
    )
    file = forms.FileField(
        label="清单文件（.xlsx）",
        widget=forms.ClearableFileInput(
            attrs={
                "class": INPUT,
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
    )

    def __init__(self, *args: Any, units: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ChoiceField)
        unit_field.choices = [(u.code, u.name) for u in units]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="停用原因",
        max_length=200,
        widget=forms.TextInput(attrs={"class": INPUT, "placeholder": "如：已并入县级清单"}),
    )


def first_error(form: forms.Form) -> str:
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None else ""
        return f"{label}：{errors[0]}" if label else str(errors[0])
    return ""
