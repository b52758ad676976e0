"""Forms of the accounts pages. They parse and check the shape of input; the rules (policy,
scope, who may grant what) live in the services, whose refusals the views put back on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from apps.core.errors import ApplicationError

from .choices import Role

PHONE_PATTERN = r"^1[3-9]\d{9}$"


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates can render fields in one include."""

    def _style(self) -> None:
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.Select):
                css = "form-select"
            elif isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_service_error(self, exc: ApplicationError) -> None:
        """Put a service refusal on the form: on its fields when the service named them."""
        fields = (exc.extra or {}).get("fields") or {}
        placed = False
        for name, messages in fields.items():
            if name in self.fields:  # type: ignore[attr-defined]
                for message in messages:
                    self.add_error(name, message)  # type: ignore[attr-defined]
                placed = True
        if not placed:
            self.add_error(None, exc.message)  # type: ignore[attr-defined]


class LoginForm(BootstrapMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码错误。"),
        "inactive": _("该账号已停用，请联系管理员。"),
    }

    def __init__(self, request: Any = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("用户名")
        self.fields["username"].error_messages["required"] = _("请输入用户名。")
        self.fields["password"].label = _("密码")
        self.fields["password"].error_messages["required"] = _("请输入密码。")
        self._style()


class OtpTokenForm(BootstrapMixin, forms.Form):
    token = forms.RegexField(
        label="动态口令",
        regex=r"^\s*\d{6}\s*$",
        max_length=12,
        error_messages={"required": "请输入 6 位动态口令。", "invalid": "动态口令为 6 位数字。"},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True, "maxlength": 6}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class PhoneForm(BootstrapMixin, forms.Form):
    phone = forms.RegexField(
        label="手机号",
        regex=PHONE_PATTERN,
        max_length=11,
        error_messages={"required": "请输入手机号。", "invalid": "手机号格式不正确（11 位，以 1 开头）。"},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "maxlength": 11}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class PhoneLoginForm(PhoneForm):
    code = forms.RegexField(
        label="验证码",
        regex=r"^\d{6}$",
        max_length=6,
        error_messages={"required": "请输入短信验证码。", "invalid": "验证码为 6 位数字。"},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}
        ),
    )


class PasswordChangeForm(BootstrapMixin, forms.Form):
    current_password = forms.CharField(
        label="当前密码",
        strip=False,
        error_messages={"required": "请输入当前密码。"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label="新密码",
        strip=False,
        error_messages={"required": "请输入新密码。"},
        help_text="至少 10 个字符，须同时包含字母和数字，不能是常见密码。",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="再次输入新密码",
        strip=False,
        error_messages={"required": "请再次输入新密码。"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "两次输入的新密码不一致。")
        return data


class PasswordResetForm(BootstrapMixin, forms.Form):
    """A manager sets a new password for someone else (e.g. a gridder who forgot theirs)."""

    password = forms.CharField(
        label="新密码",
        strip=False,
        error_messages={"required": "请输入新密码。"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


class TokenCreateForm(BootstrapMixin, forms.Form):
    name = forms.CharField(
        label="用途",
        max_length=60,
        error_messages={"required": "请填写令牌用途。"},
        widget=forms.TextInput(attrs={"placeholder": "如：12345 热线对接"}),
    )
    days = forms.TypedChoiceField(
        label="有效期",
        coerce=int,
        choices=[(30, "30 天"), (90, "90 天"), (180, "180 天"), (365, "一年"), (730, "两年")],
        initial=365,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._style()


def _role_choices(roles: list[str]) -> list[tuple[str, str]]:
    return [(role, str(Role(role).label)) for role in roles]


class RoleFieldsMixin(BootstrapMixin):
    """Role, unit, grid and organisation inputs; the view passes what the viewer may pick."""

    def setup_role_fields(self, roles: list[str], units: Any, organisations: Any) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        fields["role"].choices = [("", "请选择角色"), *_role_choices(roles)]
        top = min((u.level for u in units), default=3)
        fields["unit"].choices = [("", "请选择（网格员、部门办理人员可不选）")] + [
            (u.code, f"{'　' * (u.level - top)}{u.display_name}（{u.code}）") for u in units
        ]
        fields["organisation"].choices = [("", "无")] + [(o.code, o.name) for o in organisations]
        self._style()


class RoleGrantForm(RoleFieldsMixin, forms.Form):
    role = forms.ChoiceField(label="角色", error_messages={"required": "请选择角色。"})
    unit = forms.ChoiceField(label="管辖范围", required=False)
    grid = forms.CharField(
        label="网格编码（网格员）",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"placeholder": "如 NG-01-01"}),
    )
    organisation = forms.ChoiceField(label="所属机构（部门办理人员）", required=False)

    def __init__(self, *args: Any, roles: list[str], units: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.setup_role_fields(roles, list(units), organisations)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role == Role.GRIDDER and not data.get("grid"):
            self.add_error("grid", "网格员角色须填写网格编码。")
        elif role == Role.DEPARTMENT_HANDLER and not data.get("organisation"):
            self.add_error("organisation", "部门办理人员须选择所属机构。")
        elif role and role not in (Role.GRIDDER, Role.DEPARTMENT_HANDLER) and not data.get("unit"):
            self.add_error("unit", "请选择管辖范围。")
        return data


class StaffCreateForm(RoleGrantForm):
    username = forms.RegexField(
        label="用户名",
        regex=r"^[A-Za-z0-9_.@-]{3,64}$",
        max_length=64,
        error_messages={"required": "请输入用户名。", "invalid": "用户名须为 3–64 位字母、数字或 _.@-。"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    full_name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请输入姓名。"})
    title = forms.CharField(label="职务", max_length=60, required=False)
    phone = forms.RegexField(
        label="手机号",
        regex=PHONE_PATTERN,
        max_length=11,
        required=False,
        error_messages={"invalid": "手机号格式不正确（11 位，以 1 开头）。"},
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    password = forms.CharField(
        label="初始密码",
        strip=False,
        error_messages={"required": "请设置初始密码。"},
        help_text="至少 10 个字符，须同时包含字母和数字。请当面或电话告知本人，并提醒其登录后修改。",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = [
        "username",
        "full_name",
        "title",
        "phone",
        "password",
        "role",
        "unit",
        "grid",
        "organisation",
    ]


class StaffFilterForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label="姓名/用户名", required=False, max_length=50)
    role = forms.ChoiceField(label="角色", required=False)
    unit = forms.RegexField(
        label="区划代码",
        regex=r"^\d{2,15}$",
        required=False,
        max_length=15,
        error_messages={"invalid": "区划代码为 2–15 位数字。"},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "placeholder": "如 530326102"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "全部角色"), *Role.choices]
        self._style()
