"""Reads of the 积分制 module, through the access chokepoint: accounts and ledgers, applications,
rulebooks, stores, the counter's household lookup, the honour board, the monthly statement, the
store reconciliation, and the ledger check (cached balance against the sum of the ledger).

Residents hold no staff permission: their own pages read only their own rows (`my_*`)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import NotFound, PermissionDenied, ValidationFailed
from apps.people.models import Household, Resident
from apps.territory.models import Unit
from apps.territory.paths import subtree_q

from .choices import ApplicationStatus, EntryKind, RedemptionStatus, StockKind
from .models import (
    Account,
    Activity,
    Application,
    Goods,
    HourAccount,
    HourEntry,
    LedgerEntry,
    Redemption,
    Rulebook,
    RulebookVersion,
    Signup,
    StockMovement,
    Store,
)

QUARTER_RE = re.compile(r"^(\d{4})Q([1-4])$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
HOUSEHOLD_QR = re.compile(r"^JCHH:(\d+)$")  # what a household's QR code card carries


# --- periods ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    key: str  # "2026Q4" or "2026-11"
    label: str
    start: datetime.date
    end: datetime.date  # exclusive

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.end, datetime.time.min))


def quarter_of(day: datetime.date) -> Period:
    q = (day.month - 1) // 3 + 1
    return parse_period(f"{day.year}Q{q}")


def parse_period(key: str | None, default: datetime.date | None = None) -> Period:
    """A quarter ("2026Q4") or a month ("2026-11"); empty means the quarter of `default`/today."""
    key = (key or "").strip()
    if not key:
        return quarter_of(default or timezone.localdate())
    if m := QUARTER_RE.match(key):
        year, q = int(m.group(1)), int(m.group(2))
        start = datetime.date(year, 3 * q - 2, 1)
        end = datetime.date(year + 1, 1, 1) if q == 4 else datetime.date(year, 3 * q + 1, 1)
        return Period(key, f"{year}年第{q}季度", start, end)
    if m := MONTH_RE.match(key):
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12:
            raise ValidationFailed(f"月份“{key}”无效。", code="period_invalid")
        end = datetime.date(year + 1, 1, 1) if month == 12 else datetime.date(year, month + 1, 1)
        return Period(key, f"{year}年{month}月", datetime.date(year, month, 1), end)
    raise ValidationFailed(f"期间“{key}”无效：请用 2026Q4 或 2026-11 的格式。", code="period_invalid")


# --- accounts and ledger ---------------------------------------------------------------------------

_ACCOUNT_RELATED = ("village", "household__head", "household__unit", "resident__household")


def accounts_visible(user: Any) -> QuerySet[Account]:
    return access.restrict(Account.objects.select_related(*_ACCOUNT_RELATED), user, Perm.POINTS_VIEW)


def account_get(user: Any, pk: int) -> Account:
    return access.get_for(user, Perm.POINTS_VIEW, Account.objects.select_related(*_ACCOUNT_RELATED), pk=pk)


def _holder_q(q: str, prefix: str = "") -> Q:
    """Search a household (or person account) by household number, QR card, name or phone tail."""
    q = q.strip()
    if m := HOUSEHOLD_QR.match(q):
        return Q(**{f"{prefix}household_id": int(m.group(1))})
    if re.fullmatch(r"\d{4}", q):
        return (
            Q(**{f"{prefix}household__members__phone_tail": q})
            | Q(**{f"{prefix}resident__phone_tail": q})
            | Q(**{f"{prefix}household__number": q})
        )
    return (
        Q(**{f"{prefix}household__number": q})
        | Q(**{f"{prefix}household__members__name__contains": q})
        | Q(**{f"{prefix}resident__name__contains": q})
    )


def account_list(user: Any, *, q: str = "", unit_code: str = "") -> QuerySet[Account]:
    qs = accounts_visible(user)
    if unit_code:
        qs = qs.filter(subtree_q(unit_code, "village__code"))
    if q.strip():
        qs = qs.filter(_holder_q(q)).distinct()
    return qs.order_by("village__code", "household__number", "id")


def account_entries(account: Account) -> QuerySet[LedgerEntry]:
    return account.entries.select_related("item__version", "created_by", "reverses").order_by("-at", "-id")


def entry_get(user: Any, pk: int) -> LedgerEntry:
    return access.get_for(
        user, Perm.POINTS_VIEW, LedgerEntry.objects.select_related("account__village"), pk=pk
    )


def ledger_verify(accounts: QuerySet[Account] | None = None) -> list[dict[str, Any]]:
    """Accounts whose cached balance differs from the sum of their ledger, or from the running
    balance on their last row. An empty list means the books agree. Two grouped passes over the
    ledger, whatever the number of accounts."""
    qs = accounts if accounts is not None else Account.objects.all()
    balances = dict(qs.values_list("pk", "balance"))
    entries = LedgerEntry.objects.filter(account_id__in=qs.values("pk"))
    sums = dict(entries.values("account_id").annotate(total=Sum("amount")).values_list("account_id", "total"))
    last_ids = entries.values("account_id").annotate(last=Max("id")).values_list("last", flat=True)
    last_after = dict(LedgerEntry.objects.filter(pk__in=last_ids).values_list("account_id", "balance_after"))
    wrong: list[dict[str, Any]] = []
    for account_id, balance in balances.items():
        total = sums.get(account_id, 0)
        if balance != total:
            wrong.append({"account": account_id, "balance": balance, "ledger_sum": total})
        elif account_id in last_after and last_after[account_id] != balance:
            wrong.append({"account": account_id, "balance": balance, "last_row": last_after[account_id]})
    return wrong


def monthly_statement(user: Any, *, unit_code: str, period: Period) -> QuerySet[Any]:
    """Every account under `unit_code` with its opening balance, points earned and points spent in
    the period (closing = the three summed), as dicts {"pk", "opening", "credited", "spent"}: one
    query grouped by account over the ledger (index ledger_account_at). Callers fetch the
    holders' names for the rows they show."""
    access.require(user, Perm.POINTS_VIEW, unit_code)
    before = Q(entries__at__lt=period.start_at)
    within = Q(entries__at__gte=period.start_at, entries__at__lt=period.end_at)
    zero = Value(0)
    return (
        access.restrict(Account.objects.all(), user, Perm.POINTS_VIEW)
        .filter(subtree_q(unit_code, "village__code"))
        .values("pk")
        .annotate(
            opening=Coalesce(Sum("entries__amount", filter=before), zero),
            credited=Coalesce(Sum("entries__amount", filter=within & Q(entries__amount__gt=0)), zero),
            spent=Coalesce(Sum("entries__amount", filter=within & Q(entries__amount__lt=0)), zero),
        )
        .order_by("pk")
    )


# --- applications ----------------------------------------------------------------------------------

_APPLICATION_RELATED = (
    "account__village",
    "account__household__head",
    "account__resident",
    "resident",
    "item__version__rulebook",
    "applicant",
    "approved_by",
    "countersigned_by",
    "rejected_by",
)


def applications_visible(user: Any) -> QuerySet[Application]:
    return access.restrict(Application.objects.select_related(*_APPLICATION_RELATED), user, Perm.POINTS_VIEW)


def application_list(user: Any, *, status: str = "", unit_code: str = "") -> QuerySet[Application]:
    qs = applications_visible(user)
    if status == "todo":
        # What waits for this user: the keeper's first check, the supervisor's second.
        todo = Q(pk__in=[])
        if access.has_perm(user, Perm.POINTS_APPROVE):
            todo |= Q(status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.APPEALED])
        if access.has_perm(user, Perm.POINTS_COUNTERSIGN):
            todo |= Q(status=ApplicationStatus.APPROVED)
        qs = qs.filter(todo)
    elif status:
        qs = qs.filter(status=status)
    if unit_code:
        qs = qs.filter(subtree_q(unit_code, "account__village__code"))
    return qs.order_by("-created_at", "-id")


def application_get(user: Any, pk: int) -> Application:
    """Staff through the chokepoint; a resident only their own (or their household's)."""
    from apps.people.selectors import resident_of

    me = resident_of(user) if getattr(user, "kind", "") == "resident" else None
    if me is not None:
        application = Application.objects.select_related(*_APPLICATION_RELATED).filter(pk=pk).first()
        if application is None:
            raise NotFound("积分申请不存在。")
        account = application.account
        if account.resident_id != me.pk and account.household_id != me.household_id:
            raise PermissionDenied("只能查看本人（本户）的积分申请。", code="forbidden")
        return application
    return access.get_for(
        user, Perm.POINTS_VIEW, Application.objects.select_related(*_APPLICATION_RELATED), pk=pk
    )


def todo_count(user: Any) -> int:
    return application_list(user, status="todo").count()


# --- rulebooks ---------------------------------------------------------------------------------------


def rulebooks_visible(user: Any) -> QuerySet[Rulebook]:
    return access.restrict(Rulebook.objects.select_related("unit"), user, Perm.POINTS_VIEW)


def rulebook_get(user: Any, pk: int) -> Rulebook:
    return access.get_for(user, Perm.POINTS_VIEW, Rulebook.objects.select_related("unit"), pk=pk)


def version_get(user: Any, pk: int) -> RulebookVersion:
    return access.get_for(
        user, Perm.POINTS_VIEW, RulebookVersion.objects.select_related("rulebook__unit"), pk=pk
    )


def current_items(village: Unit, applicant: str | None = None) -> list[Any]:
    from .services import current_version, rulebook_for

    version = current_version(rulebook_for(village))
    if version is None:
        return []
    items = list(version.items.select_related("version").order_by("direction", "order", "code"))
    return [i for i in items if applicant is None or i.allows(applicant)]


# --- store ------------------------------------------------------------------------------------------


def stores_visible(user: Any) -> QuerySet[Store]:
    return access.restrict(Store.objects.select_related("unit"), user, Perm.POINTS_VIEW)


def store_get(user: Any, pk: int, perm: Perm = Perm.POINTS_VIEW) -> Store:
    return access.get_for(user, perm, Store.objects.select_related("unit"), pk=pk)


def goods_get(user: Any, pk: int, perm: Perm = Perm.POINTS_VIEW) -> Goods:
    return access.get_for(user, perm, Goods.objects.select_related("store__unit"), pk=pk)


def redemption_get(user: Any, pk: int) -> Redemption:
    """Staff through the chokepoint; a resident only their own pre-orders and receipts."""
    from apps.people.selectors import resident_of

    qs = Redemption.objects.select_related(
        "store__unit",
        "goods",
        "account__village",
        "account__household__head",
        "account__resident",
        "redeemer",
        "created_by",
        "handed_over_by",
    )
    me = resident_of(user) if getattr(user, "kind", "") == "resident" else None
    if me is not None:
        redemption = qs.filter(pk=pk).first()
        if redemption is None:
            raise NotFound("兑换记录不存在。")
        account = redemption.account
        if account.resident_id != me.pk and account.household_id != me.household_id:
            raise PermissionDenied("只能查看本人（本户）的兑换记录。", code="forbidden")
        return redemption
    return access.get_for(user, Perm.POINTS_VIEW, qs, pk=pk)


def store_redemptions(store: Store, status: str = "") -> QuerySet[Redemption]:
    qs = store.redemptions.select_related(
        "goods", "account__household__head", "account__resident", "redeemer"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


@dataclass
class CounterHit:
    household: Household
    head_name: str
    account: Account | None
    balance: int


def counter_lookup(user: Any, store: Store, q: str, limit: int = 10) -> list[CounterHit]:
    """Households the shopkeeper may serve, by household number, QR card (JCHH:<id>), name or the
    last four digits of a member's phone."""
    q = (q or "").strip()
    if not q:
        return []
    households = access.restrict(
        Household.objects.select_related("head", "unit").filter(is_active=True), user, Perm.STORE_OPERATE
    ).filter(subtree_q(store.unit.code, "unit__code"))
    if m := HOUSEHOLD_QR.match(q):
        households = households.filter(pk=int(m.group(1)))
    else:
        members = access.restrict(Resident.objects.all(), user, Perm.STORE_OPERATE).filter(status="active")
        if re.fullmatch(r"\d{4}", q):
            matched = members.filter(phone_tail=q)
            households = households.filter(Q(number=q) | Q(pk__in=matched.values("household_id")))
        else:
            matched = members.filter(name__contains=q)
            households = households.filter(Q(number=q) | Q(pk__in=matched.values("household_id")))
    found = list(households.order_by("unit__code", "number")[:limit])
    accounts = {
        a.household_id: a for a in Account.objects.filter(household__in=found).select_related("village")
    }
    return [
        CounterHit(
            household=h,
            head_name=h.head.name if h.head else "",
            account=accounts.get(h.pk),
            balance=accounts[h.pk].balance if h.pk in accounts else 0,
        )
        for h in found
    ]


@dataclass
class ReconciliationLine:
    goods: Goods
    opening_stock: int = 0
    restocked: int = 0
    issued: int = 0  # net of cancellations
    adjusted: int = 0  # stock-takes
    closing_stock: int = 0
    points_value: int = 0  # issued goods at the price of the day


@dataclass
class Reconciliation:
    store: Store
    period: Period
    lines: list[ReconciliationLine] = field(default_factory=list)
    ledger_points: int = 0  # points taken from accounts for this store's redemptions, net of reversals
    goods_points: int = 0
    redemptions: int = 0

    @property
    def balanced(self) -> bool:
        return self.ledger_points == self.goods_points


def reconciliation(store: Store, period: Period) -> Reconciliation:
    """Points spent in the store against goods issued from its stock, for a quarter."""
    report = Reconciliation(store=store, period=period)
    movements = StockMovement.objects.filter(goods__store=store)
    in_period = Q(at__gte=period.start_at, at__lt=period.end_at)
    before = movements.filter(at__lt=period.start_at).values("goods_id").annotate(total=Sum("delta"))
    opening = {row["goods_id"]: row["total"] for row in before}
    sums = (
        movements.filter(in_period)
        .values("goods_id")
        .annotate(
            restocked=Coalesce(Sum("delta", filter=Q(kind__in=[StockKind.OPENING, StockKind.RESTOCK])), 0),
            issued=Coalesce(Sum("delta", filter=Q(kind__in=[StockKind.REDEMPTION, StockKind.CANCEL])), 0),
            adjusted=Coalesce(Sum("delta", filter=Q(kind=StockKind.STOCKTAKE)), 0),
            value=Coalesce(
                Sum(
                    Case(
                        When(
                            kind__in=[StockKind.REDEMPTION, StockKind.CANCEL],
                            then=-1 * F("delta") * F("unit_price"),
                        ),
                        default=Value(0),
                        output_field=IntegerField(),
                    )
                ),
                0,
            ),
        )
    )
    by_goods = {row["goods_id"]: row for row in sums}
    for goods in store.goods.order_by("name"):
        row = by_goods.get(goods.pk, {})
        line = ReconciliationLine(
            goods=goods,
            opening_stock=opening.get(goods.pk, 0),
            restocked=row.get("restocked", 0),
            issued=-row.get("issued", 0),
            adjusted=row.get("adjusted", 0),
            points_value=row.get("value", 0),
        )
        line.closing_stock = line.opening_stock + line.restocked - line.issued + line.adjusted
        report.lines.append(line)
        report.goods_points += line.points_value
    ledger = LedgerEntry.objects.filter(
        redemption__store=store, at__gte=period.start_at, at__lt=period.end_at
    )
    report.ledger_points = -(ledger.aggregate(total=Coalesce(Sum("amount"), 0))["total"])
    report.redemptions = (
        Redemption.objects.filter(store=store, created_at__gte=period.start_at, created_at__lt=period.end_at)
        .exclude(status=RedemptionStatus.CANCELLED)
        .count()
    )
    return report


# --- honour and warning board -----------------------------------------------------------------------


@dataclass
class BoardRow:
    account_id: int
    name: str
    number: str
    points: int


@dataclass
class Board:
    village: Unit
    period: Period
    honour: list[BoardRow]
    warning: list[BoardRow]
    names_public: bool


def _holder_name(account: Account) -> tuple[str, str]:
    if account.household_id is not None:
        head = account.household.head  # type: ignore[union-attr]
        return (f"{head.name}户" if head else "（户主未登记）"), account.household.number  # type: ignore[union-attr]
    return account.resident.name, ""  # type: ignore[union-attr]


def board(village: Unit, period: Period, size: int = 10) -> Board:
    """The honour board (most points earned in the period) and the warning board (debit items
    in the period, at the rulebook's value even where the balance could not cover them)."""
    from .services import rulebook_for

    rulebook = rulebook_for(village)
    in_period = Q(entries__at__gte=period.start_at, entries__at__lt=period.end_at)
    base = Account.objects.filter(subtree_q(village.code, "village__code")).select_related(
        "household__head", "resident"
    )
    honour_qs = (
        base.annotate(
            earned=Coalesce(
                Sum(
                    "entries__amount",
                    filter=in_period & Q(entries__kind__in=[EntryKind.CREDIT, EntryKind.CONVERSION]),
                ),
                0,
            )
        )
        .filter(earned__gt=0)
        .order_by("-earned", "id")[:size]
    )
    warning_qs = (
        base.annotate(
            lost=Coalesce(Sum("entries__nominal", filter=in_period & Q(entries__kind=EntryKind.DEBIT)), 0),
            debits=Count("entries", filter=in_period & Q(entries__kind=EntryKind.DEBIT)),
        )
        .filter(debits__gt=0)
        .order_by("lost", "id")[:size]
    )
    honour = [BoardRow(a.pk, *_holder_name(a), a.earned) for a in honour_qs]
    warning = [BoardRow(a.pk, *_holder_name(a), a.lost) for a in warning_qs]
    return Board(
        village=village,
        period=period,
        honour=honour,
        warning=warning,
        names_public=bool(rulebook and rulebook.publish_warning_names),
    )


def masked(name: str) -> str:
    """A name on the public warning board where the rulebook does not allow names: 张某某户."""
    if not name:
        return "某户"
    return name[0] + "某" * max(1, len(name.rstrip("户")) - 1) + ("户" if name.endswith("户") else "")


# --- time bank ---------------------------------------------------------------------------------------


def activities_visible(user: Any) -> QuerySet[Activity]:
    return access.restrict(Activity.objects.select_related("unit", "organiser"), user, Perm.POINTS_VIEW)


def activity_get(user: Any, pk: int) -> Activity:
    """Staff through the chokepoint; residents may open activities of their own village."""
    from apps.people.selectors import resident_of

    qs = Activity.objects.select_related("unit", "organiser")
    me = resident_of(user) if getattr(user, "kind", "") == "resident" else None
    if me is not None:
        activity = qs.filter(pk=pk).first()
        if activity is None:
            raise NotFound("志愿活动不存在。")
        if not me.household.unit.code.startswith(activity.unit.code):
            raise PermissionDenied("只能查看本村（社区）的志愿活动。", code="forbidden")
        return activity
    return access.get_for(user, Perm.POINTS_VIEW, qs, pk=pk)


def activity_signups(activity: Activity) -> QuerySet[Signup]:
    return activity.signups.select_related("resident__household").order_by("signed_up_at")


def open_activities_for(resident: Resident) -> QuerySet[Activity]:
    village_code = resident.household.unit.code[:12]
    codes = [village_code, village_code[:9]]
    return Activity.objects.filter(unit__code__in=codes, status="open", ends_at__gt=timezone.now()).order_by(
        "starts_at"
    )


def hour_account_of(resident: Resident) -> HourAccount | None:
    return HourAccount.objects.filter(resident=resident).first()


def hour_entries(resident: Resident) -> QuerySet[HourEntry]:
    return (
        HourEntry.objects.filter(account__resident=resident)
        .select_related("counterpart")
        .order_by("-at", "-id")
    )


# --- a resident's own points -------------------------------------------------------------------------


def my_account(resident: Resident) -> Account | None:
    """The account holding the resident's points, if any points were ever booked."""
    from .services import account_lookup

    return account_lookup(resident=resident)[1]


def my_applications(resident: Resident) -> QuerySet[Application]:
    return (
        Application.objects.filter(
            Q(account__household_id=resident.household_id) | Q(account__resident=resident)
        )
        .select_related(*_APPLICATION_RELATED)
        .order_by("-created_at", "-id")
    )


def my_redemptions(resident: Resident) -> QuerySet[Redemption]:
    return (
        Redemption.objects.filter(
            Q(account__household_id=resident.household_id) | Q(account__resident=resident)
        )
        .select_related("goods", "store")
        .order_by("-created_at", "-id")
    )


def stores_for(resident: Resident) -> QuerySet[Store]:
    village_code = resident.household.unit.code[:12]
    return Store.objects.filter(
        unit__code__in=[village_code, village_code[:9]], is_active=True
    ).select_related("unit")
