"""Writes of the 积分制 module: rulebooks and versions, applications with two-person approval, the
ledger (awards, reversals), the points store and the time bank.

Every function checks its permission through `apps.accounts.access` (residents act only for
themselves, found through `people.selectors.resident_of`), validates, writes and records the audit
row and a typed event, in one transaction. Balances move only through `_post`, which runs with the
account row locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers with IMMEDIATE
transactions) and writes the append-only ledger row in the same transaction as the cached balance.

Lock order, everywhere: account, then goods. Two services never take them the other way round, so
concurrent redemptions and awards queue instead of deadlocking.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts import access
from apps.accounts.choices import Role, UserKind
from apps.accounts.models import User
from apps.accounts.permissions import Perm
from apps.audit.services import audit_create, audit_update, record_event, snapshot
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed
from apps.people.models import Household, Resident
from apps.territory.choices import Level
from apps.territory.models import Unit

from . import events
from .choices import (
    AccountBasis,
    ActivityStatus,
    Applicant,
    ApplicationStatus,
    Direction,
    EntryKind,
    Evidence,
    HourKind,
    LimitPeriod,
    RedemptionChannel,
    RedemptionStatus,
    StockKind,
    VersionStatus,
)
from .models import (
    Account,
    Activity,
    Application,
    Goods,
    HourAccount,
    HourEntry,
    LedgerEntry,
    OpeningWindow,
    Redemption,
    Rulebook,
    RulebookVersion,
    RuleItem,
    Signup,
    StockMovement,
    Store,
)

PHOTO_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_POINTS = 10000  # one item or award; a typo of an extra zero or two is refused, not booked
MAX_QUANTITY = 50
PREORDER_DAYS_AHEAD = 30  # a phone pre-order may reserve for a window opening within this many days
OCCURRED_MAX_AGE_DAYS = 180


# --- shared helpers --------------------------------------------------------------------------------


def village_of(unit: Unit) -> Unit:
    """The village (村/社区) of a household's unit: households may sit in a villager group."""
    if unit.level == Level.GROUP and unit.parent is not None:
        return unit.parent
    return unit


def rulebook_for(village: Unit) -> Rulebook | None:
    """The rulebook that applies in a village: its own, else its township's."""
    books = {
        b.unit_id: b
        for b in Rulebook.objects.filter(unit_id__in=[village.pk, village.parent_id], is_active=True)
    }
    return books.get(village.pk) or books.get(village.parent_id)  # type: ignore[arg-type]


def current_version(rulebook: Rulebook | None) -> RulebookVersion | None:
    return rulebook.current_version() if rulebook is not None else None


def _positive_int(value: Any, label: str, code: str, maximum: int = MAX_POINTS) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{label}须为整数。", code=code) from exc
    if number <= 0:
        raise ValidationFailed(f"{label}须为正整数，不能为零或负数。", code=code)
    if number > maximum:
        raise ValidationFailed(f"{label}不能超过 {maximum}。", code=code)
    return number


def _check_photo(photo: UploadedFile | None) -> None:
    if photo is None:
        return
    if photo.size and photo.size > MAX_PHOTO_BYTES:
        raise ValidationFailed("照片不能超过 10 MB。", code="photo_too_large")
    head = photo.read(8)
    photo.seek(0)
    if not any(head.startswith(magic) for magic in PHOTO_MAGIC):
        raise ValidationFailed("照片须为 JPEG、PNG 或 WebP 图片。", code="photo_type")


def _me(actor: User) -> Resident | None:
    """The resident a resident login acts as (None for staff)."""
    if actor.kind != UserKind.RESIDENT:
        return None
    from apps.people.selectors import resident_of

    me = resident_of(actor)
    if me is None:
        raise PermissionDenied(
            "您的账号尚未关联居民档案，请联系村委会或网格员核实身份后再使用积分服务。",
            code="resident_not_linked",
        )
    return me


def _lock(account: Account) -> Account:
    return Account.objects.select_for_update().select_related("village").get(pk=account.pk)


# --- accounts ----------------------------------------------------------------------------------------


def account_lookup(
    *, resident: Resident | None = None, household: Household | None = None
) -> tuple[dict[str, Any], Account | None, Unit]:
    """Where `resident`'s (or the household's) points are kept under the village's rulebook: the
    household's account by default (沾化), the person's where the rulebook says so. Returns the
    lookup, the account if it exists yet, and the village."""
    if resident is None and household is None:
        raise ValidationFailed("请选择户或居民。", code="holder_required")
    if household is None:
        assert resident is not None
        household = Household.objects.select_related("unit__parent", "head").get(pk=resident.household_id)
    village = village_of(household.unit)
    rulebook = rulebook_for(village)
    basis = rulebook.account_basis if rulebook is not None else AccountBasis.HOUSEHOLD
    if basis == AccountBasis.PERSON:
        person = resident or household.head
        if person is None:
            raise ValidationFailed("本村按人记分：请选择具体的居民。", code="person_required")
        lookup: dict[str, Any] = {"resident": person}
    else:
        lookup = {"household": household}
    account = (
        Account.objects.select_related("village", "household__head", "resident").filter(**lookup).first()
    )
    return lookup, account, village


def account_for(*, resident: Resident | None = None, household: Household | None = None) -> Account:
    """The account (see `account_lookup`), opened on first use: an internal step of the services
    below, which check permission themselves."""
    lookup, account, village = account_lookup(resident=resident, household=household)
    if account is not None:
        return account
    try:
        with transaction.atomic():
            account = Account.objects.create(village=village, **lookup)
    except IntegrityError:  # opened by a concurrent request a moment ago
        return Account.objects.select_related("village").get(**lookup)
    audit_create(actor=None, obj=account, message="首次记分时开户")
    return account


def _post(
    *,
    account: Account,
    kind: str,
    amount: int,
    reason: str,
    key: str,
    actor: User | None,
    nominal: int | None = None,
    **cause: Any,
) -> LedgerEntry:
    """Append one ledger row and move the cached balance. `account` must be locked by the caller."""
    new_balance = account.balance + amount
    if new_balance < 0:
        raise ValidationFailed(
            f"积分余额不足：当前 {account.balance} 分，需要 {-amount} 分。",
            code="insufficient_balance",
            extra={"balance": account.balance, "needed": -amount},
        )
    entry = LedgerEntry.objects.create(
        account=account,
        kind=kind,
        amount=amount,
        nominal=amount if nominal is None else nominal,
        balance_after=new_balance,
        reason=reason[:200],
        idempotency_key=key,
        created_by=actor if actor is not None and actor.pk else None,
        **cause,
    )
    account.balance = new_balance
    account.save(update_fields=["balance", "updated_at"])
    return entry


def _item_amounts(account: Account, item: RuleItem) -> tuple[int, int]:
    """(amount, nominal) for an item: a debit takes what the balance holds, and records the rest."""
    if item.direction == Direction.CREDIT:
        return item.points, item.points
    return -min(item.points, account.balance), -item.points


def period_bounds(day: datetime.date, period: str) -> tuple[datetime.date, datetime.date]:
    """[start, end) of the month, quarter or year containing `day`."""
    if period == LimitPeriod.YEAR:
        return datetime.date(day.year, 1, 1), datetime.date(day.year + 1, 1, 1)
    if period == LimitPeriod.QUARTER:
        first = (day.month - 1) // 3 * 3 + 1
        start = datetime.date(day.year, first, 1)
    else:
        first = day.month
        start = datetime.date(day.year, day.month, 1)
    months = 3 if period == LimitPeriod.QUARTER else 1
    year, month = divmod(first - 1 + months, 12)
    return start, datetime.date(day.year + year, month + 1, 1)


def _check_limit(account: Account, item: RuleItem, day: datetime.date, exclude: int | None = None) -> None:
    if not item.limit_count:
        return
    start, end = period_bounds(day, item.limit_period)
    rulebook_id = item.version.rulebook_id
    pending = Application.objects.filter(
        account=account,
        item__code=item.code,
        item__version__rulebook_id=rulebook_id,
        occurred_on__gte=start,
        occurred_on__lt=end,
        status__in=[
            ApplicationStatus.SUBMITTED,
            ApplicationStatus.APPROVED,
            ApplicationStatus.GRANTED,
            ApplicationStatus.APPEALED,
        ],
    )
    if exclude is not None:
        pending = pending.exclude(pk=exclude)
    start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time.min))
    end_at = timezone.make_aware(datetime.datetime.combine(end, datetime.time.min))
    direct = LedgerEntry.objects.filter(
        account=account,
        application__isnull=True,
        reverses__isnull=True,
        reversed_by__isnull=True,
        item__code=item.code,
        item__version__rulebook_id=rulebook_id,
        at__gte=start_at,
        at__lt=end_at,
    )
    used = pending.count() + direct.count()
    if used >= item.limit_count:
        period = LimitPeriod(item.limit_period).label
        raise ValidationFailed(
            f"“{item.name}”{period}最多 {item.limit_count} 次，本期已有 {used} 次。",
            code="item_limit_reached",
            extra={"limit": item.limit_count, "used": used},
        )


def _current_item(village: Unit, item: RuleItem) -> RuleItem:
    """Refuse an item that is not in the village's current rulebook version."""
    version = current_version(rulebook_for(village))
    item_version = item.version
    if version is None or item_version.rulebook_id != version.rulebook_id:
        raise ValidationFailed(f"“{item.name}”不属于{village}现行的积分细则。", code="item_other_village")
    if item_version.pk != version.pk:
        raise ValidationFailed(
            f"“{item.name}”所在的细则第{item_version.number}版已被第{version.number}版取代，请按现行细则申请。",
            code="item_outdated",
        )
    return item


# --- the award service other modules call ----------------------------------------------------------


@transaction.atomic
def points_award(
    *,
    actor: User | None,
    idempotency_key: str,
    resident: Resident | None = None,
    household: Household | None = None,
    item_code: str = "",
    amount: int | None = None,
    reason: str = "",
    cause_type: str = "",
    cause_id: str = "",
    vouched_by: str = "",
) -> LedgerEntry:
    """Award points for an event: an item of the village's current rulebook (`item_code`) or a
    positive `amount` with a `reason`. Replaying the same `idempotency_key` returns the first entry
    and changes nothing, so one case, vote or volunteer shift never pays twice.

    Permission: the points keeper's POINTS_APPROVE over the village. A module awarding for an event
    its own service has already authorised (a case report accepted, a vote attended) names itself in
    `vouched_by` ("cases", "voting"); the event records it. Never pass user input as `vouched_by`.
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > 120:
        raise ValidationFailed("须提供幂等键（不超过 120 个字符）。", code="idempotency_key_required")
    if bool(item_code) == (amount is not None):
        raise ValidationFailed(
            "请指定积分项目代码，或指定分值和事由（二选一）。", code="award_item_or_amount"
        )
    account = account_for(resident=resident, household=household)
    if not vouched_by:
        access.require(actor, Perm.POINTS_APPROVE, account.village.code)
    existing = LedgerEntry.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return _replayed(existing, account)
    item: RuleItem | None = None
    if item_code:
        version = current_version(rulebook_for(account.village))
        item = (
            RuleItem.objects.select_related("version").filter(version=version, code=item_code).first()
            if version is not None
            else None
        )
        if item is None:
            raise ValidationFailed(
                f"{account.village}现行积分细则中没有代码为“{item_code}”的项目。", code="item_unknown"
            )
        _check_limit(account, item, timezone.localdate())
    else:
        amount = _positive_int(amount, "积分", "points_not_positive")
        if not reason.strip():
            raise ValidationFailed("直接记分须写明事由。", code="reason_required")
    account = _lock(account)
    existing = LedgerEntry.objects.filter(idempotency_key=key).first()  # re-read under the lock
    if existing is not None:
        return _replayed(existing, account)
    if item is not None:
        value, nominal = _item_amounts(account, item)
        kind = EntryKind.CREDIT if item.direction == Direction.CREDIT else EntryKind.DEBIT
        text = reason.strip() or item.name
    else:
        assert amount is not None
        value, nominal, kind, text = amount, amount, EntryKind.CREDIT, reason.strip()
    try:
        with transaction.atomic():
            entry = _post(
                account=account,
                kind=kind,
                amount=value,
                nominal=nominal,
                reason=text,
                key=key,
                actor=actor,
                item=item,
                cause_type=cause_type[:40],
                cause_id=str(cause_id)[:64],
            )
    except IntegrityError:  # the same key on another account's row, committed meanwhile
        existing = LedgerEntry.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return _replayed(existing, account)
    audit_create(actor=actor, obj=entry, message=text)
    record_event(
        actor=actor,
        event_type=events.POINTS_AWARDED,
        obj=account,
        data={
            "entry": entry.pk,
            "amount": entry.amount,
            "key": key,
            "item": item_code,
            "vouched_by": vouched_by,
        },
    )
    return entry


def _replayed(existing: LedgerEntry, account: Account) -> LedgerEntry:
    if existing.account_id != account.pk:
        raise Conflict(
            "该幂等键已用于另一账户的积分记录，不能重复使用。",
            code="idempotency_key_reused",
            extra={"entry": existing.pk},
        )
    return existing


@transaction.atomic
def entry_reverse(*, actor: User, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Correct a wrong entry with a reversing entry (the original stays as it was)."""
    entry = LedgerEntry.objects.select_related("account__village").get(pk=entry.pk)
    access.require_obj(actor, Perm.POINTS_APPROVE, entry.account)
    if not reason.strip():
        raise ValidationFailed("冲正须写明理由。", code="reason_required")
    if entry.kind == EntryKind.REVERSAL:
        raise Conflict("冲正记录不能再冲正。", code="reverse_reversal")
    if entry.kind == EntryKind.REDEMPTION:
        raise Conflict("兑换记录请在积分超市取消兑换，商品库存会一并退回。", code="reverse_redemption")
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise Conflict("该记录已经冲正过。", code="already_reversed")
    if entry.amount == 0:
        raise Conflict("该记录未变动余额，无需冲正。", code="nothing_to_reverse")
    account = _lock(entry.account)
    try:
        with transaction.atomic():
            reversal = _post(
                account=account,
                kind=EntryKind.REVERSAL,
                amount=-entry.amount,
                reason=f"冲正：{reason.strip()}",
                key=f"reversal:{entry.pk}",
                actor=actor,
                reverses=entry,
                item=entry.item,
            )
    except IntegrityError as exc:
        raise Conflict("该记录已经冲正过。", code="already_reversed") from exc
    audit_create(actor=actor, obj=reversal, message=reason)
    record_event(
        actor=actor,
        event_type=events.ENTRY_REVERSED,
        obj=account,
        data={"entry": entry.pk, "reversal": reversal.pk, "amount": reversal.amount, "reason": reason},
    )
    return reversal


@transaction.atomic
def points_expire(*, actor: User, account: Account, reason: str, idempotency_key: str) -> LedgerEntry | None:
    """Clear an account's balance with an expiry entry (a village's yearly 零基积分 reset, or points
    left unused past the rulebook's term). `idempotency_key` names the run ("expiry:2026:<id>"), so
    a repeated run clears nothing twice. None when there was nothing to clear."""
    account = _lock(account)
    access.require_obj(actor, Perm.POINTS_APPROVE, account)
    if not reason.strip():
        raise ValidationFailed("清零须写明依据。", code="reason_required")
    existing = LedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, account)
    if account.balance == 0:
        return None
    entry = _post(
        account=account,
        kind=EntryKind.EXPIRY,
        amount=-account.balance,
        reason=reason.strip(),
        key=idempotency_key,
        actor=actor,
    )
    audit_create(actor=actor, obj=entry, message=reason)
    record_event(
        actor=actor,
        event_type=events.POINTS_EXPIRED,
        obj=account,
        data={"entry": entry.pk, "amount": entry.amount},
    )
    return entry


# --- rulebooks ---------------------------------------------------------------------------------------


def _clean_rulebook_fields(fields: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "name" in fields:
        name = str(fields["name"] or "").strip()
        if not name:
            raise ValidationFailed("请填写细则名称。", code="rulebook_name")
        out["name"] = name[:80]
    if "account_basis" in fields:
        if fields["account_basis"] not in AccountBasis.values:
            raise ValidationFailed("记分方式无效。", code="account_basis")
        out["account_basis"] = fields["account_basis"]
    if "publish_warning_names" in fields:
        out["publish_warning_names"] = bool(fields["publish_warning_names"])
    if "points_per_hour" in fields:
        out["points_per_hour"] = _positive_int(fields["points_per_hour"], "折算比例", "points_per_hour", 1000)
    return out


@transaction.atomic
def rulebook_create(*, actor: User, unit: Unit, name: str, **fields: Any) -> Rulebook:
    """A rulebook for a village, or for a township (all its villages without their own)."""
    access.require(actor, Perm.POINTS_RULEBOOK, unit.code)
    if unit.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise ValidationFailed("积分细则只能由村（社区）或乡镇（街道）制定。", code="rulebook_unit_level")
    cleaned = _clean_rulebook_fields({"name": name, **fields})
    if Rulebook.objects.filter(unit=unit, is_active=True).exists():
        raise Conflict(f"{unit}已有在用的积分细则，请修订它（起草新版本）。", code="rulebook_exists")
    rulebook = Rulebook.objects.create(unit=unit, **cleaned)
    RulebookVersion.objects.create(rulebook=rulebook, number=1, created_by=actor, note="初版")
    audit_create(actor=actor, obj=rulebook)
    record_event(actor=actor, event_type=events.RULEBOOK_CREATED, obj=rulebook, data={"unit": unit.code})
    return rulebook


@transaction.atomic
def rulebook_update(*, actor: User, rulebook: Rulebook, **fields: Any) -> Rulebook:
    rulebook = Rulebook.objects.select_for_update().select_related("unit").get(pk=rulebook.pk)
    access.require_obj(actor, Perm.POINTS_RULEBOOK, rulebook)
    before = snapshot(rulebook)
    cleaned = _clean_rulebook_fields(fields)
    changes_basis = cleaned.get("account_basis", rulebook.account_basis) != rulebook.account_basis
    # Moving points between household and personal accounts would rewrite who owns them.
    if changes_basis and Account.objects.filter(village__code__startswith=rulebook.unit.code).exists():
        raise Conflict("已有积分账户，不能再改变记分方式（按户/按人）。", code="basis_in_use")
    for key, value in cleaned.items():
        setattr(rulebook, key, value)
    rulebook.save()
    record = audit_update(actor=actor, obj=rulebook, before=before)
    if record is not None:
        record_event(
            actor=actor,
            event_type=events.RULEBOOK_UPDATED,
            obj=rulebook,
            data={"fields": record.changed_fields},
        )
    return rulebook


@transaction.atomic
def version_draft(*, actor: User, rulebook: Rulebook, note: str = "") -> RulebookVersion:
    """A new draft version, starting as a copy of the current one. Past awards keep pointing at
    the items of the version they were granted under."""
    rulebook = Rulebook.objects.select_for_update().select_related("unit").get(pk=rulebook.pk)
    access.require_obj(actor, Perm.POINTS_RULEBOOK, rulebook)
    if rulebook.versions.filter(status=VersionStatus.DRAFT).exists():
        raise Conflict("已有一个未发布的草稿版本，请先编辑并发布它。", code="draft_exists")
    current = rulebook.current_version()
    number = (rulebook.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    draft = RulebookVersion.objects.create(
        rulebook=rulebook, number=number, created_by=actor, note=note[:200]
    )
    if current is not None:
        copies = [
            RuleItem(
                version=draft,
                **{
                    f.attname: getattr(item, f.attname)
                    for f in RuleItem._meta.concrete_fields
                    if f.name not in ("id", "version")
                },
            )
            for item in current.items.all()
        ]
        RuleItem.objects.bulk_create(copies)
    audit_create(actor=actor, obj=draft)
    record_event(actor=actor, event_type=events.VERSION_DRAFTED, obj=rulebook, data={"number": number})
    return draft


def _clean_applicants(applicants: Any) -> list[str]:
    chosen = [a for a in Applicant.values if a in set(applicants or [])]
    if not chosen:
        raise ValidationFailed("请至少选择一类可申请人。", code="item_applicants")
    return chosen


@transaction.atomic
def item_save(
    *,
    actor: User,
    version: RulebookVersion,
    code: str,
    name: str,
    direction: str,
    points: Any,
    applicants: list[str],
    category: str = "",
    limit_count: Any = None,
    limit_period: str = LimitPeriod.MONTH,
    evidence: str = Evidence.NONE,
    description: str = "",
    order: int = 100,
) -> RuleItem:
    """Add an item to a draft version, or change the draft's item with the same code."""
    version = RulebookVersion.objects.select_for_update().select_related("rulebook__unit").get(pk=version.pk)
    access.require_obj(actor, Perm.POINTS_RULEBOOK, version)
    if version.status != VersionStatus.DRAFT:
        raise Conflict("已发布的细则版本不能修改：请起草新版本。", code="version_published")
    code = (code or "").strip().lower()
    if not code or not all(c.isalnum() or c in "-_" for c in code) or len(code) > 40:
        raise ValidationFailed("项目代码须为字母、数字、短横线，不超过 40 个字符。", code="item_code")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写项目名称。", code="item_name")
    if direction not in Direction.values:
        raise ValidationFailed("请选择加分项或减分项。", code="item_direction")
    value = _positive_int(points, "分值", "points_not_positive", 1000)
    limit = (
        None
        if limit_count in (None, "", 0, "0")
        else _positive_int(limit_count, "次数上限", "item_limit", 100)
    )
    if limit_period not in LimitPeriod.values:
        raise ValidationFailed("上限周期无效。", code="item_limit_period")
    if evidence not in Evidence.values:
        raise ValidationFailed("所需材料无效。", code="item_evidence")
    fields = {
        "name": name[:60],
        "direction": direction,
        "points": value,
        "applicants": _clean_applicants(applicants),
        "category": (category or "").strip()[:30],
        "limit_count": limit,
        "limit_period": limit_period,
        "evidence": evidence,
        "description": (description or "").strip()[:200],
        "order": int(order or 100),
    }
    item = RuleItem.objects.filter(version=version, code=code).first()
    if item is None:
        item = RuleItem.objects.create(version=version, code=code, **fields)
        audit_create(actor=actor, obj=item)
    else:
        before = snapshot(item)
        for key, val in fields.items():
            setattr(item, key, val)
        item.save()
        audit_update(actor=actor, obj=item, before=before)
    record_event(
        actor=actor,
        event_type=events.ITEM_SAVED,
        obj=version.rulebook,
        data={"version": version.number, "code": code},
    )
    return item


@transaction.atomic
def version_publish(
    *, actor: User, version: RulebookVersion, effective_from: datetime.date | None = None
) -> RulebookVersion:
    version = RulebookVersion.objects.select_for_update().select_related("rulebook__unit").get(pk=version.pk)
    access.require_obj(actor, Perm.POINTS_RULEBOOK, version)
    if version.status != VersionStatus.DRAFT:
        raise Conflict("该版本已经发布。", code="version_published")
    if not version.items.exists():
        raise ValidationFailed("细则至少要有一个积分项目才能发布。", code="version_empty")
    before = snapshot(version)
    version.status = VersionStatus.PUBLISHED
    version.effective_from = effective_from or timezone.localdate()
    version.published_at = timezone.now()
    version.save(update_fields=["status", "effective_from", "published_at"])
    audit_update(actor=actor, obj=version, before=before)
    record_event(
        actor=actor,
        event_type=events.VERSION_PUBLISHED,
        obj=version.rulebook,
        data={"number": version.number, "items": version.items.count()},
    )
    return version


# --- applications (two-person approval) ------------------------------------------------------------


def _applicant_kind(actor: User) -> str:
    roles = access.roles_of(actor)
    if actor.is_superuser or roles & {
        Role.VILLAGE_CADRE,
        Role.POINTS_KEEPER,
        Role.TOWNSHIP_OFFICER,
        Role.COUNTY_ADMIN,
    }:
        return Applicant.CADRE
    return Applicant.GRIDDER


@transaction.atomic
def application_submit(
    *,
    actor: User,
    item: RuleItem,
    occurred_on: datetime.date,
    resident: Resident | None = None,
    household: Household | None = None,
    note: str = "",
    photo: UploadedFile | None = None,
) -> Application:
    """A resident applies for themselves; staff holding POINTS_APPLY apply on a resident's (or a
    household's) behalf. The item must be in the village's current rulebook and open to this kind
    of applicant, with the evidence it asks for."""
    me = _me(actor)
    if me is not None:
        if (resident is not None and resident.pk != me.pk) or (
            household is not None and household.pk != me.household_id
        ):
            raise PermissionDenied("居民只能为本人（本户）申请积分。", code="apply_for_self_only")
        resident, household, kind = me, None, str(Applicant.RESIDENT)
    else:
        kind = _applicant_kind(actor)
    if household is not None:
        home = household
    elif resident is not None:
        home = Household.objects.select_related("unit").get(pk=resident.household_id)
    else:
        raise ValidationFailed("请选择申请积分的户或居民。", code="holder_required")
    village = village_of(home.unit)
    if me is None:
        access.require(actor, Perm.POINTS_APPLY, home.unit.code)
    item = RuleItem.objects.select_related("version__rulebook").get(pk=item.pk)
    _current_item(village, item)
    if not item.allows(kind):
        raise PermissionDenied(
            f"“{item.name}”不接受{Applicant(kind).label}提出申请（可申请人：{item.applicant_labels}）。",
            code="applicant_not_allowed",
        )
    today = timezone.localdate()
    if occurred_on > today:
        raise ValidationFailed("发生日期不能晚于今天。", code="occurred_on_future")
    if occurred_on < today - datetime.timedelta(days=OCCURRED_MAX_AGE_DAYS):
        raise ValidationFailed(
            f"只能申请 {OCCURRED_MAX_AGE_DAYS} 天以内发生的事项。", code="occurred_on_too_old"
        )
    note = (note or "").strip()
    if item.evidence in (Evidence.PHOTO, Evidence.PHOTO_NOTE) and photo is None:
        raise ValidationFailed(f"“{item.name}”须上传照片作为证明。", code="evidence_photo")
    if item.evidence in (Evidence.NOTE, Evidence.PHOTO_NOTE) and not note:
        raise ValidationFailed(f"“{item.name}”须填写情况说明。", code="evidence_note")
    _check_photo(photo)
    account = account_for(resident=resident, household=household)
    _check_limit(account, item, occurred_on)
    application = Application(
        account=account,
        resident=resident,
        item=item,
        occurred_on=occurred_on,
        note=note[:500],
        applicant=actor,
        applicant_kind=kind,
    )
    if photo is not None:
        application.photo = photo
    application.save()
    audit_create(actor=actor, obj=application)
    record_event(
        actor=actor,
        event_type=events.APPLICATION_SUBMITTED,
        obj=application,
        data={"item": item.code, "version": item.version.number, "points": item.signed_points},
    )
    return application


def _locked_application(application: Application) -> Application:
    return (
        Application.objects.select_for_update()
        .select_related("account__village", "item__version__rulebook", "applicant")
        .get(pk=application.pk)
    )


def _refuse_self(actor: User, application: Application) -> None:
    if application.applicant_id == actor.pk:
        raise ValidationFailed("不能审核或复核自己提交的申请。", code="self_approval")
    if application.resident is not None and application.resident.account_id == actor.pk:
        raise ValidationFailed("不能审核或复核为自己申请的积分。", code="self_approval")


@transaction.atomic
def application_approve(*, actor: User, application: Application) -> Application:
    """First signature: the points keeper checks the evidence."""
    application = _locked_application(application)
    access.require_obj(actor, Perm.POINTS_APPROVE, application)
    if application.status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPEALED):
        raise Conflict(
            f"该申请当前为“{application.get_status_display()}”，不能审核。", code="application_state"
        )
    _refuse_self(actor, application)
    before = snapshot(application)
    application.status = ApplicationStatus.APPROVED
    application.approved_by = actor
    application.approved_at = timezone.now()
    application.save(update_fields=["status", "approved_by", "approved_at"])
    audit_update(actor=actor, obj=application, before=before)
    record_event(actor=actor, event_type=events.APPLICATION_APPROVED, obj=application)
    return application


@transaction.atomic
def application_countersign(*, actor: User, application: Application) -> Application:
    """Second signature by a supervisor (never the approver): the points are booked now."""
    application = _locked_application(application)
    access.require_obj(actor, Perm.POINTS_COUNTERSIGN, application)
    if application.status != ApplicationStatus.APPROVED:
        raise Conflict(
            f"该申请当前为“{application.get_status_display()}”，不能复核。", code="application_state"
        )
    if application.approved_by_id == actor.pk:
        raise ValidationFailed("复核须由审核人以外的另一人进行（两人审核）。", code="same_person")
    _refuse_self(actor, application)
    before = snapshot(application)
    account = _lock(application.account)
    item = application.item
    value, nominal = _item_amounts(account, item)
    entry = _post(
        account=account,
        kind=EntryKind.CREDIT if item.direction == Direction.CREDIT else EntryKind.DEBIT,
        amount=value,
        nominal=nominal,
        reason=item.name,
        key=f"application:{application.pk}",
        actor=actor,
        item=item,
        application=application,
    )
    application.status = ApplicationStatus.GRANTED
    application.countersigned_by = actor
    application.countersigned_at = timezone.now()
    application.save(update_fields=["status", "countersigned_by", "countersigned_at"])
    audit_update(actor=actor, obj=application, before=before)
    audit_create(actor=actor, obj=entry)
    record_event(
        actor=actor,
        event_type=events.APPLICATION_GRANTED,
        obj=application,
        data={"entry": entry.pk, "amount": entry.amount, "nominal": entry.nominal},
    )
    return application


@transaction.atomic
def application_reject(*, actor: User, application: Application, reason: str) -> Application:
    """The keeper rejects at the first step, the supervisor at the second; always with a reason."""
    application = _locked_application(application)
    if application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.APPEALED):
        access.require_obj(actor, Perm.POINTS_APPROVE, application)
    elif application.status == ApplicationStatus.APPROVED:
        access.require_obj(actor, Perm.POINTS_COUNTERSIGN, application)
    else:
        raise Conflict(
            f"该申请当前为“{application.get_status_display()}”，不能驳回。", code="application_state"
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("驳回须写明理由，申请人会看到它。", code="reject_reason_required")
    _refuse_self(actor, application)
    before = snapshot(application)
    application.status = ApplicationStatus.REJECTED
    application.rejected_by = actor
    application.rejected_at = timezone.now()
    application.reject_reason = reason[:200]
    application.save(update_fields=["status", "rejected_by", "rejected_at", "reject_reason"])
    audit_update(actor=actor, obj=application, before=before)
    record_event(
        actor=actor, event_type=events.APPLICATION_REJECTED, obj=application, data={"reason": reason}
    )
    return application


@transaction.atomic
def application_appeal(*, actor: User, application: Application, reason: str) -> Application:
    """One appeal against a rejection, by the resident concerned or the staff who applied; it goes
    back to the keeper (and then the supervisor) with the appeal's reason."""
    application = _locked_application(application)
    me = _me(actor)
    if me is not None:
        account = application.account
        mine = account.resident_id == me.pk or (
            account.household_id is not None and account.household_id == me.household_id
        )
        if not mine:
            raise PermissionDenied("只能对本人（本户）的申请提出申诉。", code="appeal_not_yours")
    elif application.applicant_id != actor.pk:
        access.require_obj(actor, Perm.POINTS_APPLY, application)
    if application.status != ApplicationStatus.REJECTED:
        raise Conflict("只有被驳回的申请才能申诉。", code="application_state")
    if application.appealed_at is not None:
        raise Conflict("每份申请只能申诉一次，申诉后的驳回为最终结果。", code="appeal_used")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请写明申诉理由。", code="appeal_reason_required")
    before = snapshot(application)
    application.status = ApplicationStatus.APPEALED
    application.appeal_reason = reason[:200]
    application.appealed_at = timezone.now()
    application.approved_by = None
    application.approved_at = None
    application.save(update_fields=["status", "appeal_reason", "appealed_at", "approved_by", "approved_at"])
    audit_update(actor=actor, obj=application, before=before)
    record_event(
        actor=actor, event_type=events.APPLICATION_APPEALED, obj=application, data={"reason": reason}
    )
    return application


# --- points store --------------------------------------------------------------------------------------


@transaction.atomic
def store_create(*, actor: User, unit: Unit, name: str, address: str = "") -> Store:
    access.require(actor, Perm.POINTS_RULEBOOK, unit.code)
    if unit.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise ValidationFailed("积分超市设在村（社区）或乡镇（街道）。", code="store_unit_level")
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写超市名称。", code="store_name")
    if Store.objects.filter(unit=unit, name=name).exists():
        raise Conflict(f"{unit}已有名为“{name}”的积分超市。", code="store_exists")
    store = Store.objects.create(unit=unit, name=name[:60], address=(address or "").strip()[:120])
    audit_create(actor=actor, obj=store)
    record_event(actor=actor, event_type=events.STORE_SAVED, obj=store)
    return store


@transaction.atomic
def window_add(
    *, actor: User, store: Store, opens_on: datetime.date, closes_on: datetime.date, note: str = ""
) -> OpeningWindow:
    access.require_obj(actor, Perm.POINTS_RULEBOOK, store)
    if closes_on < opens_on:
        raise ValidationFailed("结束日期不能早于开放日期。", code="window_order")
    if (closes_on - opens_on).days > 92:
        raise ValidationFailed("一个开放时段不超过一个季度。", code="window_too_long")
    if store.windows.filter(opens_on__lte=closes_on, closes_on__gte=opens_on).exists():
        raise Conflict("与已有的开放时段重叠。", code="window_overlap")
    window = OpeningWindow.objects.create(store=store, opens_on=opens_on, closes_on=closes_on, note=note[:60])
    audit_create(actor=actor, obj=window)
    record_event(
        actor=actor,
        event_type=events.WINDOW_ADDED,
        obj=store,
        data={"opens_on": opens_on, "closes_on": closes_on},
    )
    return window


def _require_store(actor: User, store: Store) -> None:
    """Goods are kept by the shopkeeper, or set up by whoever keeps the store's settings."""
    if not (
        access.obj_allowed(actor, Perm.STORE_OPERATE, store)
        or access.obj_allowed(actor, Perm.POINTS_RULEBOOK, store)
    ):
        access.require_obj(actor, Perm.STORE_OPERATE, store)


def _move_stock(
    *, goods: Goods, delta: int, kind: str, actor: User, note: str = "", redemption: Redemption | None = None
) -> StockMovement:
    """`goods` must be locked by the caller."""
    after = goods.stock + delta
    if after < 0:
        raise ValidationFailed(
            f"“{goods.name}”库存不足：剩 {goods.stock}{goods.unit_label}。",
            code="insufficient_stock",
            extra={"stock": goods.stock},
        )
    movement = StockMovement.objects.create(
        goods=goods,
        kind=kind,
        delta=delta,
        stock_after=after,
        unit_price=goods.price,
        redemption=redemption,
        note=note[:200],
        created_by=actor,
    )
    goods.stock = after
    goods.save(update_fields=["stock"])
    return movement


@transaction.atomic
def goods_save(
    *,
    actor: User,
    store: Store,
    name: str,
    price: Any,
    unit_label: str = "件",
    goods: Goods | None = None,
    initial_stock: Any = 0,
    is_active: bool = True,
    photo: UploadedFile | None = None,
) -> Goods:
    _require_store(actor, store)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed("请填写商品名称。", code="goods_name")
    value = _positive_int(price, "兑换积分", "points_not_positive")
    _check_photo(photo)
    if goods is None:
        if Goods.objects.filter(store=store, name=name).exists():
            raise Conflict(f"本超市已有商品“{name}”，请直接补货。", code="goods_exists")
        stock = int(initial_stock or 0)
        if stock < 0:
            raise ValidationFailed("库存不能为负数。", code="stock_negative")
        goods = Goods.objects.create(
            store=store, name=name[:60], price=value, unit_label=(unit_label or "件")[:6], is_active=is_active
        )
        if photo is not None:
            goods.photo = photo
            goods.save(update_fields=["photo"])
        if stock:
            _move_stock(goods=goods, delta=stock, kind=StockKind.OPENING, actor=actor, note="上架")
        audit_create(actor=actor, obj=goods)
    else:
        goods = Goods.objects.select_for_update().get(pk=goods.pk, store=store)
        before = snapshot(goods)
        goods.name, goods.price, goods.is_active = name[:60], value, is_active
        goods.unit_label = (unit_label or goods.unit_label)[:6]
        if photo is not None:
            goods.photo = photo
        goods.save()
        audit_update(actor=actor, obj=goods, before=before)
    record_event(actor=actor, event_type=events.GOODS_SAVED, obj=goods, data={"price": goods.price})
    return goods


@transaction.atomic
def goods_restock(*, actor: User, goods: Goods, quantity: Any, note: str = "") -> StockMovement:
    goods = Goods.objects.select_for_update().select_related("store__unit").get(pk=goods.pk)
    access.require_obj(actor, Perm.STORE_OPERATE, goods)
    count = _positive_int(quantity, "补货数量", "quantity_not_positive", 100000)
    movement = _move_stock(goods=goods, delta=count, kind=StockKind.RESTOCK, actor=actor, note=note or "补货")
    record_event(actor=actor, event_type=events.GOODS_RESTOCKED, obj=goods, data={"quantity": count})
    return movement


@transaction.atomic
def goods_stocktake(*, actor: User, goods: Goods, counted: Any, note: str = "") -> StockMovement:
    """Record the counted stock; the difference (lost, broken, miscounted) is one adjustment row."""
    goods = Goods.objects.select_for_update().select_related("store__unit").get(pk=goods.pk)
    access.require_obj(actor, Perm.STORE_OPERATE, goods)
    try:
        number = int(counted)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("盘点数量须为整数。", code="stocktake_count") from exc
    if number < 0:
        raise ValidationFailed("盘点数量不能为负数。", code="stocktake_count")
    delta = number - goods.stock
    if delta and not (note or "").strip():
        raise ValidationFailed("盘点数与账面不符，请写明原因。", code="stocktake_reason")
    movement = _move_stock(
        goods=goods, delta=delta, kind=StockKind.STOCKTAKE, actor=actor, note=note or "盘点相符"
    )
    record_event(
        actor=actor, event_type=events.GOODS_STOCKTAKEN, obj=goods, data={"counted": number, "delta": delta}
    )
    return movement


def open_window(store: Store, day: datetime.date) -> OpeningWindow | None:
    return store.windows.filter(opens_on__lte=day, closes_on__gte=day).first()


def next_window(store: Store, day: datetime.date) -> OpeningWindow | None:
    return store.windows.filter(closes_on__gte=day).order_by("opens_on").first()


def _closed_message(store: Store, day: datetime.date) -> str:
    upcoming = next_window(store, day)
    when = (
        f"下次开放：{upcoming.opens_on:%Y年%m月%d日}–{upcoming.closes_on:%m月%d日}。"
        if upcoming
        else "暂无开放安排。"
    )
    return f"“{store.name}”今天不开放兑换。{when}"


def _check_redemption(store: Store, goods: Goods, account: Account, quantity: Any) -> int:
    if goods.store_id != store.pk:
        raise ValidationFailed(f"“{goods.name}”不是“{store.name}”的商品。", code="goods_other_store")
    if not goods.is_active or not store.is_active:
        raise ValidationFailed(f"“{goods.name}”已下架。", code="goods_inactive")
    if not account.village.code.startswith(store.unit.code):
        raise ValidationFailed(
            f"{account}不属于“{store.name}”的服务范围（{store.unit}）。", code="account_other_village"
        )
    return _positive_int(quantity, "兑换数量", "quantity_not_positive", MAX_QUANTITY)


def _receipt_no(redemption: Redemption) -> str:
    return f"{timezone.localdate():%y%m%d}{redemption.store_id:03d}{redemption.pk:06d}"


def _redeem(
    *,
    actor: User,
    store: Store,
    goods: Goods,
    account: Account,
    quantity: int,
    channel: str,
    status: str,
    redeemer: Resident | None,
) -> Redemption:
    """Points and stock change together or not at all; account locked before goods (lock order)."""
    account = _lock(account)
    goods = Goods.objects.select_for_update().get(pk=goods.pk)
    total = goods.price * quantity
    if goods.stock < quantity:
        raise ValidationFailed(
            f"“{goods.name}”库存不足：剩 {goods.stock}{goods.unit_label}，"
            f"要兑换 {quantity}{goods.unit_label}。",
            code="insufficient_stock",
            extra={"stock": goods.stock},
        )
    if account.balance < total:
        raise ValidationFailed(
            f"积分余额不足：当前 {account.balance} 分，兑换需要 {total} 分。",
            code="insufficient_balance",
            extra={"balance": account.balance, "needed": total},
        )
    now = timezone.now()
    redemption = Redemption.objects.create(
        receipt_no=uuid.uuid4().hex[:24],
        store=store,
        account=account,
        goods=goods,
        quantity=quantity,
        unit_price=goods.price,
        points=total,
        channel=channel,
        status=status,
        redeemer=redeemer,
        created_by=actor,
        created_at=now,
        handed_over_by=actor if status == RedemptionStatus.COMPLETED else None,
        handed_over_at=now if status == RedemptionStatus.COMPLETED else None,
    )
    redemption.receipt_no = _receipt_no(redemption)
    redemption.save(update_fields=["receipt_no"])
    _post(
        account=account,
        kind=EntryKind.REDEMPTION,
        amount=-total,
        reason=f"兑换 {goods.name}×{quantity}",
        key=f"redemption:{redemption.pk}",
        actor=actor,
        redemption=redemption,
    )
    _move_stock(
        goods=goods,
        delta=-quantity,
        kind=StockKind.REDEMPTION,
        actor=actor,
        redemption=redemption,
        note=redemption.receipt_no,
    )
    audit_create(actor=actor, obj=redemption)
    return redemption


@transaction.atomic
def redemption_create(
    *,
    actor: User,
    store: Store,
    goods: Goods,
    account: Account,
    quantity: Any = 1,
    redeemer: Resident | None = None,
) -> Redemption:
    """At the counter, while the store is open: the shopkeeper hands the goods over now."""
    access.require_obj(actor, Perm.STORE_OPERATE, store)
    count = _check_redemption(store, goods, account, quantity)
    if open_window(store, timezone.localdate()) is None:
        raise ValidationFailed(_closed_message(store, timezone.localdate()), code="store_closed")
    redemption = _redeem(
        actor=actor,
        store=store,
        goods=goods,
        account=account,
        quantity=count,
        channel=RedemptionChannel.COUNTER,
        status=RedemptionStatus.COMPLETED,
        redeemer=redeemer,
    )
    record_event(
        actor=actor,
        event_type=events.REDEEMED,
        obj=redemption,
        data={"receipt": redemption.receipt_no, "points": redemption.points, "goods": goods.name},
    )
    return redemption


@transaction.atomic
def redemption_preorder(*, actor: User, goods: Goods, quantity: Any = 1) -> Redemption:
    """A resident reserves goods from a phone: points and stock are held now, the goods are picked
    up at the counter while the store is open."""
    me = _me(actor)
    if me is None:
        raise PermissionDenied(
            "手机预约由居民本人操作；柜台兑换请使用柜台页面。", code="preorder_resident_only"
        )
    goods = Goods.objects.select_related("store__unit").get(pk=goods.pk)
    store = goods.store
    account = account_for(resident=me)
    count = _check_redemption(store, goods, account, quantity)
    today = timezone.localdate()
    upcoming = next_window(store, today)
    if upcoming is None or upcoming.opens_on > today + datetime.timedelta(days=PREORDER_DAYS_AHEAD):
        raise ValidationFailed(
            f"“{store.name}”近 {PREORDER_DAYS_AHEAD} 天内没有开放时段，暂不能预约。", code="store_closed"
        )
    redemption = _redeem(
        actor=actor,
        store=store,
        goods=goods,
        account=account,
        quantity=count,
        channel=RedemptionChannel.PREORDER,
        status=RedemptionStatus.RESERVED,
        redeemer=me,
    )
    record_event(
        actor=actor,
        event_type=events.PREORDERED,
        obj=redemption,
        data={
            "receipt": redemption.receipt_no,
            "points": redemption.points,
            "pickup_from": upcoming.opens_on,
        },
    )
    return redemption


def _locked_redemption(redemption: Redemption) -> Redemption:
    return (
        Redemption.objects.select_for_update()
        .select_related("store__unit", "goods", "account__village")
        .get(pk=redemption.pk)
    )


@transaction.atomic
def redemption_hand_over(*, actor: User, redemption: Redemption) -> Redemption:
    redemption = _locked_redemption(redemption)
    access.require_obj(actor, Perm.STORE_OPERATE, redemption)
    if redemption.status != RedemptionStatus.RESERVED:
        raise Conflict(f"该兑换当前为“{redemption.get_status_display()}”。", code="redemption_state")
    if open_window(redemption.store, timezone.localdate()) is None:
        raise ValidationFailed(_closed_message(redemption.store, timezone.localdate()), code="store_closed")
    before = snapshot(redemption)
    redemption.status = RedemptionStatus.COMPLETED
    redemption.handed_over_by = actor
    redemption.handed_over_at = timezone.now()
    redemption.save(update_fields=["status", "handed_over_by", "handed_over_at"])
    audit_update(actor=actor, obj=redemption, before=before)
    record_event(
        actor=actor, event_type=events.HANDED_OVER, obj=redemption, data={"receipt": redemption.receipt_no}
    )
    return redemption


@transaction.atomic
def redemption_cancel(*, actor: User, redemption: Redemption, reason: str) -> Redemption:
    """Cancel a reservation (the resident or the shopkeeper) or take goods back (the shopkeeper):
    points come back by a reversing entry and the goods back into stock."""
    redemption = _locked_redemption(redemption)
    me = _me(actor)
    if me is not None:
        if redemption.redeemer_id != me.pk or redemption.status != RedemptionStatus.RESERVED:
            raise PermissionDenied("只能取消本人尚未领取的预约。", code="cancel_not_yours")
    else:
        access.require_obj(actor, Perm.STORE_OPERATE, redemption)
    if redemption.status == RedemptionStatus.CANCELLED:
        raise Conflict("该兑换已经取消。", code="redemption_state")
    reason = (reason or "").strip() or ("居民取消预约" if me is not None else "")
    if not reason:
        raise ValidationFailed("请写明取消原因。", code="reason_required")
    before = snapshot(redemption)
    account = _lock(redemption.account)
    goods = Goods.objects.select_for_update().get(pk=redemption.goods_id)
    original = LedgerEntry.objects.get(redemption=redemption, kind=EntryKind.REDEMPTION)
    _post(
        account=account,
        kind=EntryKind.REVERSAL,
        amount=redemption.points,
        reason=f"取消兑换 {redemption.receipt_no}：{reason}",
        key=f"reversal:{original.pk}",
        actor=actor,
        reverses=original,
        redemption=redemption,
    )
    _move_stock(
        goods=goods,
        delta=redemption.quantity,
        kind=StockKind.CANCEL,
        actor=actor,
        redemption=redemption,
        note=reason,
    )
    redemption.status = RedemptionStatus.CANCELLED
    redemption.cancelled_at = timezone.now()
    redemption.save(update_fields=["status", "cancelled_at"])
    audit_update(actor=actor, obj=redemption, before=before, message=reason)
    record_event(actor=actor, event_type=events.REDEMPTION_CANCELLED, obj=redemption, data={"reason": reason})
    return redemption


# --- time bank -------------------------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    actor: User,
    unit: Unit,
    title: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    capacity: Any = 30,
    place: str = "",
    description: str = "",
) -> Activity:
    access.require(actor, Perm.POINTS_RULEBOOK, unit.code)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("请填写活动名称。", code="activity_title")
    if ends_at <= starts_at:
        raise ValidationFailed("结束时间须晚于开始时间。", code="activity_times")
    if ends_at - starts_at > datetime.timedelta(hours=12):
        raise ValidationFailed("一次活动不超过 12 小时。", code="activity_too_long")
    activity = Activity.objects.create(
        unit=unit,
        title=title[:80],
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=_positive_int(capacity, "人数上限", "activity_capacity", 1000),
        place=(place or "").strip()[:80],
        description=(description or "").strip()[:500],
        organiser=actor,
    )
    audit_create(actor=actor, obj=activity)
    record_event(actor=actor, event_type=events.ACTIVITY_SAVED, obj=activity)
    return activity


def _hour_account(resident: Resident) -> HourAccount:
    account = HourAccount.objects.filter(resident=resident).first()
    if account is not None:
        return account
    household = Household.objects.select_related("unit__parent").get(pk=resident.household_id)
    try:
        with transaction.atomic():
            return HourAccount.objects.create(resident=resident, village=village_of(household.unit))
    except IntegrityError:
        return HourAccount.objects.get(resident=resident)


def _hours_post(
    *, resident: Resident, minutes: int, kind: str, key: str, actor: User, note: str = "", **extra: Any
) -> HourEntry:
    account = HourAccount.objects.select_for_update().get(pk=_hour_account(resident).pk)
    after = account.minutes + minutes
    if after < 0:
        raise ValidationFailed(
            f"{resident.name}的志愿时长不足：剩 {account.minutes / 60:.1f} 小时。",
            code="insufficient_hours",
            extra={"minutes": account.minutes},
        )
    entry = HourEntry.objects.create(
        account=account,
        kind=kind,
        minutes=minutes,
        minutes_after=after,
        idempotency_key=key,
        created_by=actor,
        note=note[:200],
        **extra,
    )
    account.minutes = after
    account.save(update_fields=["minutes", "updated_at"])
    return entry


def _require_self_or(actor: User, perm: Perm, resident: Resident) -> Resident | None:
    """A resident acting for themselves, or staff holding `perm` over the resident's village."""
    me = _me(actor)
    if me is not None:
        if me.pk != resident.pk:
            raise PermissionDenied("只能为本人办理。", code="self_only")
        return me
    household = Household.objects.select_related("unit").get(pk=resident.household_id)
    access.require(actor, perm, household.unit.code)
    return None


def _minutes(hours: Any) -> int:
    try:
        value = round(float(hours) * 60)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("时长须为数字（小时）。", code="hours_not_number") from exc
    if value <= 0:
        raise ValidationFailed("时长须大于零。", code="hours_not_positive")
    if value > 24 * 60 * 30:
        raise ValidationFailed("时长过大。", code="hours_too_large")
    return value


@transaction.atomic
def signup_create(*, actor: User, activity: Activity, resident: Resident) -> Signup:
    activity = Activity.objects.select_for_update().select_related("unit").get(pk=activity.pk)
    _require_self_or(actor, Perm.POINTS_APPLY, resident)
    if activity.status != ActivityStatus.OPEN or activity.ends_at <= timezone.now():
        raise Conflict("该活动已结束报名。", code="activity_closed")
    household = Household.objects.select_related("unit").get(pk=resident.household_id)
    if not household.unit.code.startswith(activity.unit.code):
        raise ValidationFailed("只能报名本村（社区）的志愿活动。", code="activity_other_village")
    if Signup.objects.filter(activity=activity, resident=resident).exists():
        raise Conflict("已经报过名了。", code="signup_exists")
    if activity.signups.count() >= activity.capacity:
        raise Conflict("报名人数已满。", code="activity_full")
    signup = Signup.objects.create(activity=activity, resident=resident)
    audit_create(actor=actor, obj=signup)
    record_event(actor=actor, event_type=events.SIGNED_UP, obj=activity, data={"resident": resident.pk})
    return signup


def _locked_signup(signup: Signup) -> Signup:
    return Signup.objects.select_for_update().select_related("activity__unit", "resident").get(pk=signup.pk)


def _require_organiser_side(actor: User, signup: Signup) -> None:
    """Check-in/out: the organiser, staff running activities there, or the volunteer themselves."""
    if signup.activity.organiser_id == actor.pk:
        return
    _require_self_or(actor, Perm.POINTS_RULEBOOK, signup.resident)


@transaction.atomic
def signup_check_in(*, actor: User, signup: Signup) -> Signup:
    signup = _locked_signup(signup)
    _require_organiser_side(actor, signup)
    if signup.checked_in_at is not None:
        raise Conflict("已经签到。", code="already_checked_in")
    now = timezone.now()
    if now < signup.activity.starts_at - datetime.timedelta(hours=1) or now > signup.activity.ends_at:
        raise ValidationFailed("不在活动时间内，不能签到。", code="check_in_time")
    signup.checked_in_at = now
    signup.save(update_fields=["checked_in_at"])
    record_event(actor=actor, event_type=events.CHECKED_IN, obj=signup.activity, data={"signup": signup.pk})
    return signup


@transaction.atomic
def signup_check_out(*, actor: User, signup: Signup) -> Signup:
    signup = _locked_signup(signup)
    _require_organiser_side(actor, signup)
    if signup.checked_in_at is None:
        raise Conflict("尚未签到，不能签退。", code="not_checked_in")
    if signup.checked_out_at is not None:
        raise Conflict("已经签退。", code="already_checked_out")
    signup.checked_out_at = timezone.now()
    signup.save(update_fields=["checked_out_at"])
    record_event(actor=actor, event_type=events.CHECKED_OUT, obj=signup.activity, data={"signup": signup.pk})
    return signup


@transaction.atomic
def signup_verify(*, actor: User, signup: Signup, hours: Any) -> HourEntry:
    """The organiser confirms the hours served; they are banked for the volunteer."""
    signup = _locked_signup(signup)
    activity = signup.activity
    if activity.organiser_id != actor.pk:
        raise PermissionDenied("志愿时长只能由该活动的组织人核定。", code="organiser_only")
    access.require_obj(actor, Perm.POINTS_RULEBOOK, activity)
    if signup.verified_at is not None:
        raise Conflict("该志愿者的时长已经核定。", code="already_verified")
    minutes = _minutes(hours)
    span = int((activity.ends_at - activity.starts_at).total_seconds() // 60)
    if minutes > span:
        raise ValidationFailed(
            f"核定时长不能超过活动时长（{span / 60:.1f} 小时）。", code="hours_exceed_activity"
        )
    entry = _hours_post(
        resident=signup.resident,
        minutes=minutes,
        kind=HourKind.EARNED,
        key=f"signup:{signup.pk}",
        actor=actor,
        note=activity.title,
        signup=signup,
    )
    signup.minutes_verified = minutes
    signup.verified_by = actor
    signup.verified_at = timezone.now()
    signup.save(update_fields=["minutes_verified", "verified_by", "verified_at"])
    audit_create(actor=actor, obj=entry)
    record_event(
        actor=actor,
        event_type=events.HOURS_VERIFIED,
        obj=activity,
        data={"signup": signup.pk, "minutes": minutes},
    )
    return entry


@transaction.atomic
def hours_spend(*, actor: User, payer: Resident, provider: Resident, hours: Any, note: str) -> HourEntry:
    """A service from another volunteer paid with banked hours (the provider banks them)."""
    _require_self_or(actor, Perm.POINTS_APPLY, payer)
    if payer.pk == provider.pk:
        raise ValidationFailed("提供服务的人不能是自己。", code="spend_self")
    if not (note or "").strip():
        raise ValidationFailed("请写明接受的服务内容。", code="spend_note")
    minutes = _minutes(hours)
    key = uuid.uuid4().hex
    out = _hours_post(
        resident=payer,
        minutes=-minutes,
        kind=HourKind.SERVICE_RECEIVED,
        key=f"spend:{key}",
        actor=actor,
        note=note,
        counterpart=provider,
    )
    _hours_post(
        resident=provider,
        minutes=minutes,
        kind=HourKind.SERVICE_GIVEN,
        key=f"spend-in:{key}",
        actor=actor,
        note=note,
        counterpart=payer,
    )
    audit_create(actor=actor, obj=out)
    record_event(
        actor=actor,
        event_type=events.HOURS_SPENT,
        obj=out.account,
        data={"provider": provider.pk, "minutes": minutes},
    )
    return out


@transaction.atomic
def hours_transfer(*, actor: User, from_resident: Resident, to_resident: Resident, hours: Any) -> HourEntry:
    """Banked hours given to a family member (same household), logged on both sides."""
    _require_self_or(actor, Perm.POINTS_APPLY, from_resident)
    if from_resident.pk == to_resident.pk:
        raise ValidationFailed("不能转给自己。", code="transfer_self")
    if from_resident.household_id != to_resident.household_id:
        raise ValidationFailed("志愿时长只能在同一户的家庭成员之间转让。", code="transfer_outside_household")
    minutes = _minutes(hours)
    key = uuid.uuid4().hex
    out = _hours_post(
        resident=from_resident,
        minutes=-minutes,
        kind=HourKind.TRANSFER_OUT,
        key=f"transfer:{key}",
        actor=actor,
        note=f"转给{to_resident.name}",
        counterpart=to_resident,
    )
    _hours_post(
        resident=to_resident,
        minutes=minutes,
        kind=HourKind.TRANSFER_IN,
        key=f"transfer-in:{key}",
        actor=actor,
        note=f"{from_resident.name}转入",
        counterpart=from_resident,
    )
    audit_create(actor=actor, obj=out)
    record_event(
        actor=actor,
        event_type=events.HOURS_TRANSFERRED,
        obj=out.account,
        data={"from": from_resident.pk, "to": to_resident.pk, "minutes": minutes},
    )
    return out


@transaction.atomic
def hours_convert(*, actor: User, resident: Resident, hours: Any) -> LedgerEntry:
    """Banked hours turned into points at the rulebook's rate."""
    _require_self_or(actor, Perm.POINTS_APPROVE, resident)
    minutes = _minutes(hours)
    household = Household.objects.select_related("unit__parent").get(pk=resident.household_id)
    rulebook = rulebook_for(village_of(household.unit))
    if rulebook is None:
        raise ValidationFailed("本村尚未制定积分细则，不能折算。", code="no_rulebook")
    points = minutes * rulebook.points_per_hour // 60
    if points <= 0:
        raise ValidationFailed("时长太短，折算不到 1 分。", code="conversion_too_small")
    hours_entry = _hours_post(
        resident=resident,
        minutes=-minutes,
        kind=HourKind.CONVERTED,
        key=f"convert:{uuid.uuid4().hex}",
        actor=actor,
        note=f"折算 {points} 分（{rulebook.points_per_hour} 分/小时）",
    )
    account = _lock(account_for(resident=resident))
    entry = _post(
        account=account,
        kind=EntryKind.CONVERSION,
        amount=points,
        reason=f"志愿时长 {minutes / 60:.1f} 小时折算",
        key=f"hours:{hours_entry.pk}",
        actor=actor,
        cause_type="points.hourentry",
        cause_id=str(hours_entry.pk),
    )
    audit_create(actor=actor, obj=entry)
    record_event(
        actor=actor,
        event_type=events.HOURS_CONVERTED,
        obj=account,
        data={"minutes": minutes, "points": points},
    )
    return entry
