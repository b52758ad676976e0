"""Forms of the voting pages: they parse and shape input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from .choices import BodyKind, Choice, MeetingKind, MotionKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


def _dt_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(
        attrs={"type": "datetime-local", "class": "form-control"}, format="%Y-%m-%dT%H:%M"
    )


def _text(rows: int = 3, placeholder: str = "") -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows, "class": "form-control", "placeholder": placeholder})


def _input(placeholder: str = "") -> forms.TextInput:
    return forms.TextInput(attrs={"class": "form-control", "placeholder": placeholder})


class StepForm(forms.Form):
    """What every step records: date, participants, minutes, signers, attachments."""

    held_on = forms.DateField(label="日期", widget=_date_widget(), initial=timezone.localdate)
    participants = forms.CharField(label="参加人员", required=False, widget=_text(2, "姓名或人数"))
    minutes = forms.CharField(label="会议记录", required=False, widget=_text(4))
    signatures = forms.CharField(label="签字人", required=False, widget=_input("多人用顿号或逗号分隔"))
    attachments = MultipleFileField(
        label="附件（会议记录扫描件、照片等）", widget=MultipleFileInput(attrs={"class": "form-control"})
    )


class MotionForm(StepForm):
    village = forms.ChoiceField(label="村（社区）", widget=forms.Select(attrs={"class": "form-select"}))
    kind = forms.ChoiceField(
        label="事项类别", choices=MotionKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    title = forms.CharField(label="事项名称", max_length=120, widget=_input())
    description = forms.CharField(label="事项内容", required=False, widget=_text(4))
    field_order = [
        "village",
        "kind",
        "title",
        "description",
        "held_on",
        "participants",
        "minutes",
        "signatures",
    ]

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = villages  # type: ignore[attr-defined]
        self.fields["minutes"].label = "建议内容（党员群众意见汇总）"


class DirectForm(forms.Form):
    village = forms.ChoiceField(label="村（社区）", widget=forms.Select(attrs={"class": "form-select"}))
    kind = forms.ChoiceField(
        label="事项类别", choices=MotionKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    title = forms.CharField(label="事项名称", max_length=120, widget=_input())
    description = forms.CharField(label="情况说明", required=False, widget=_text(3))
    implemented_on = forms.DateField(label="实施日期", widget=_date_widget())

    def __init__(self, *args: Any, villages: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = villages  # type: ignore[attr-defined]


class ReviewForm(StepForm):
    decision = forms.ChoiceField(
        label="审议意见",
        choices=[("approve", "同意备案"), ("return", "退回修改")],
        widget=forms.RadioSelect,
        initial="approve",
    )
    field_order = ["decision", "held_on", "minutes", "participants", "signatures", "attachments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["minutes"].label = "审议意见（退回时写明理由）"


class OpenForm(forms.Form):
    kind = forms.ChoiceField(
        label="会议类型",
        choices=MeetingKind.choices,
        initial=MeetingKind.REPRESENTATIVES,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    held_on = forms.DateField(label="会议日期", widget=_date_widget(), initial=timezone.localdate)
    place = forms.CharField(label="地点", required=False, widget=_input("村民议事大厅"))
    opens_at = forms.DateTimeField(label="投票开始", widget=_dt_widget())
    closes_at = forms.DateTimeField(label="投票截止", widget=_dt_widget())
    secret = forms.BooleanField(label="无记名投票（不公开投票人姓名）", required=False)
    participants = forms.CharField(label="列席人员", required=False, widget=_text(2))


class ReportForm(StepForm):
    completed = forms.BooleanField(label="实施已完成（公开实施结果）", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["minutes"].label = "实施情况"
        self.fields["minutes"].required = True


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="撤回理由", max_length=200, widget=_input())


class MemberForm(forms.Form):
    kind = forms.ChoiceField(
        label="机构", choices=BodyKind.choices, widget=forms.Select(attrs={"class": "form-select"})
    )
    title = forms.CharField(label="职务", required=False, max_length=20, widget=_input("如：主任"))
    starts_on = forms.DateField(label="任期开始", widget=_date_widget(), initial=timezone.localdate)


class EndForm(forms.Form):
    ends_on = forms.DateField(label="任期结束", widget=_date_widget(), initial=timezone.localdate)


class VerifyForm(forms.Form):
    name = forms.CharField(
        label="姓名",
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    id_tail = forms.CharField(
        label="身份证号后四位",
        max_length=4,
        min_length=4,
        widget=forms.TextInput(
            attrs={"class": "form-control", "inputmode": "text", "autocomplete": "off", "maxlength": "4"}
        ),
    )


class CastForm(forms.Form):
    choice = forms.ChoiceField(choices=Choice.choices, widget=forms.RadioSelect)
    token = forms.CharField(widget=forms.HiddenInput)


class SuggestionForm(forms.Form):
    text = forms.CharField(label="我的建议", max_length=2000, widget=_text(4, "对村里的事有什么建议？"))


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return ""
