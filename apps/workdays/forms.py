"""Input forms of the calendar pages. They only type what was typed; whether a schedule makes
sense is decided by services.plan_problems (the preview shows it, the confirmation enforces it)."""

from __future__ import annotations

from django import forms

MAX_TEXT_LENGTH = 20_000  # a year's notice is about 1,000 characters


class NoticeForm(forms.Form):
    """The schedule being edited: the text lines (see notice.py) carry the whole draft."""

    text = forms.CharField(
        label="放假安排", required=False, max_length=MAX_TEXT_LENGTH, widget=forms.Textarea
    )
    notes = forms.CharField(label="说明", required=False, max_length=2000)
    version = forms.CharField(required=False, widget=forms.HiddenInput)


class HolidayAddForm(forms.Form):
    h_name = forms.CharField(label="节日名称", max_length=20)
    h_start = forms.DateField(label="放假开始", widget=forms.DateInput(attrs={"type": "date"}))
    h_end = forms.DateField(
        label="放假结束",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="单日可不填",
    )


class MakeupAddForm(forms.Form):
    m_date = forms.DateField(label="调休上班日期", widget=forms.DateInput(attrs={"type": "date"}))
    m_name = forms.CharField(label="所属节日", max_length=20, required=False)


class TrialForm(forms.Form):
    start = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="工作日数", min_value=0, max_value=365, initial=5)


def first_error(form: forms.Form) -> str:
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return ""
