"""Users, their role assignments (each scoped to a unit subtree), API tokens and phone login codes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .choices import Role, UserKind


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        if not username:
            raise ValueError("username is required")
        user = self.model(username=username, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_staff", True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    username = models.CharField("用户名", max_length=64, unique=True)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=11, unique=True, null=True, blank=True)
    kind = models.CharField("类型", max_length=10, choices=UserKind.choices, default=UserKind.STAFF)
    title = models.CharField("职务", max_length=60, blank=True)
    is_active = models.BooleanField("启用", default=True)
    is_staff = models.BooleanField("可进入系统后台", default=False)
    date_joined = models.DateTimeField("创建时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    audit_exclude = frozenset({"password", "last_login"})

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=True) | Q(phone__regex=r"^1[3-9][0-9]{9}$"),
                name="user_phone_format",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class RoleAssignment(models.Model):
    """A role held by a user over a unit subtree; gridders also name their grid, department
    handlers their organisation."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "territory.Unit", verbose_name="管辖范围", on_delete=models.PROTECT, related_name="role_assignments"
    )
    grid = models.ForeignKey(
        "territory.Grid",
        verbose_name="网格",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    organisation = models.ForeignKey(
        "territory.Organisation",
        verbose_name="机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    is_active = models.BooleanField("有效", default=True)
    granted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    scope_path = "unit__code"

    class Meta:
        verbose_name = "角色授权"
        verbose_name_plural = "角色授权"
        ordering = ["user_id", "role"]
        indexes = [models.Index(fields=["user", "is_active"], name="role_user_active")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(is_active=True, grid__isnull=True, organisation__isnull=True),
                name="role_unique_active_plain",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "grid"],
                condition=Q(is_active=True, grid__isnull=False),
                name="role_unique_active_grid",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(is_active=True, organisation__isnull=False),
                name="role_unique_active_org",
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.GRIDDER) | Q(grid__isnull=False), name="role_gridder_has_grid"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.DEPARTMENT_HANDLER) | Q(organisation__isnull=False),
                name="role_handler_has_org",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"

    @property
    def scope_value(self) -> str:
        return self.unit.code


class ApiToken(models.Model):
    """A bearer token for machine clients. Only a hash of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField("用途", max_length=60)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    audit_exclude = frozenset({"key_hash", "last_used_at"})

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class PhoneLoginCode(models.Model):
    """A one-time login code sent by SMS. Only a hash is stored; a code is tried a few times at most."""

    phone = models.CharField(max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["phone", "-created_at"], name="phonecode_recent")]

    def __str__(self) -> str:
        return f"{self.phone} @ {self.created_at:%Y-%m-%d %H:%M}"
