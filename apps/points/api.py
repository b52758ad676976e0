"""JSON API of the 积分制 module (mounted under /api/points/): balances and ledgers, the award
service other systems call (idempotent), store goods and counter redemptions.

Reads start from the scoped selectors; writes go through the services, which check their own
permission and answer refusals in the platform's error shape (insufficient balance or stock 400,
outside the opening window 400, a reused idempotency key 409…).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from apps.accounts import access
from apps.accounts.permissions import Perm
from apps.core.errors import ValidationFailed
from apps.core.pagination import PagePagination
from apps.core.schemas import error_responses
from apps.people.models import Household, Resident
from apps.territory.paths import subtree_q

from . import selectors, services
from .models import Account, Goods, LedgerEntry
from .schemas import AccountFilterIn, AccountOut, AwardIn, EntryOut, GoodsOut, RedemptionIn, RedemptionOut

router = Router(tags=["积分制"])


def _actor(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _viewer(request: HttpRequest) -> Any:
    user = _actor(request)
    access.require(user, Perm.POINTS_VIEW)
    return user


@router.get(
    "/accounts",
    response={200: list[AccountOut], **error_responses(400, 403)},
    summary="积分账户与余额（管辖范围内）",
)
@paginate(PagePagination)
def account_list(request: HttpRequest, filters: Query[AccountFilterIn]) -> QuerySet[Account]:
    user = _viewer(request)
    if filters.unit:
        access.require(user, Perm.POINTS_VIEW, filters.unit)
    return selectors.account_list(user, q=filters.q, unit_code=filters.unit)


@router.get(
    "/accounts/{account_id}",
    response={200: AccountOut, **error_responses(403, 404)},
    summary="积分账户余额",
)
def account_detail(request: HttpRequest, account_id: int) -> Account:
    return selectors.account_get(_viewer(request), account_id)


@router.get(
    "/accounts/{account_id}/ledger",
    response={200: list[EntryOut], **error_responses(400, 403, 404)},
    summary="积分账目（新的在前；余额 = 全部 amount 之和）",
)
@paginate(PagePagination)
def account_ledger(request: HttpRequest, account_id: int) -> QuerySet[LedgerEntry]:
    account = selectors.account_get(_viewer(request), account_id)
    return selectors.account_entries(account)


@router.post(
    "/households/{household_id}/awards",
    response={200: EntryOut, 201: EntryOut, **error_responses(400, 403, 404, 409)},
    summary="记入积分（幂等：同一 idempotency_key 重复提交返回 200 和第一次的记录）",
)
def award(request: HttpRequest, household_id: int, payload: AwardIn) -> Status:
    """To the household's account, or (villages keeping personal accounts) to `resident_id`, a
    member of the household."""
    user = _actor(request)
    access.require(user, Perm.POINTS_APPROVE)
    household = access.get_for(
        user, Perm.POINTS_APPROVE, Household.objects.select_related("unit"), pk=household_id
    )
    resident = None
    if payload.resident_id is not None:
        resident = Resident.objects.filter(pk=payload.resident_id, household=household).first()
        if resident is None:
            raise ValidationFailed("该居民不是这一户的成员。", code="resident_not_in_household")
    replay = LedgerEntry.objects.filter(idempotency_key=payload.idempotency_key.strip()).exists()
    entry = services.points_award(
        actor=user,
        idempotency_key=payload.idempotency_key,
        household=household if resident is None else None,
        resident=resident,
        item_code=payload.item_code,
        amount=payload.amount,
        reason=payload.reason,
        cause_type=payload.cause_type,
        cause_id=payload.cause_id,
    )
    return Status(200 if replay else 201, entry)


@router.get(
    "/stores/{store_id}/goods",
    response={200: list[GoodsOut], **error_responses(403, 404)},
    summary="积分超市的商品、兑换积分与库存",
)
def goods_list(request: HttpRequest, store_id: int) -> QuerySet[Goods]:
    store = selectors.store_get(_viewer(request), store_id)
    return store.goods.order_by("price", "name")


@router.post(
    "/goods/{goods_id}/redemptions",
    response={201: RedemptionOut, **error_responses(400, 403, 404, 409)},
    summary="柜台兑换（开放时段内；余额与库存同时扣减）。按 household_id 或户号 household_number 指定户",
)
def redemption_create(request: HttpRequest, goods_id: int, payload: RedemptionIn) -> Status:
    user = _actor(request)
    access.require(user, Perm.STORE_OPERATE)
    goods = selectors.goods_get(user, goods_id, Perm.STORE_OPERATE)
    store = goods.store
    households = Household.objects.select_related("unit__parent", "head").filter(
        subtree_q(store.unit.code, "unit__code")
    )
    if payload.household_id is not None:
        household = access.get_for(user, Perm.STORE_OPERATE, households, pk=payload.household_id)
    elif payload.household_number:
        household = access.get_for(user, Perm.STORE_OPERATE, households, number=payload.household_number)
    else:
        raise ValidationFailed("请指定 household_id 或 household_number。", code="holder_required")
    redemption = services.redemption_create(
        actor=user,
        store=store,
        goods=goods,
        account=services.account_for(household=household),
        quantity=payload.quantity,
        redeemer=household.head,
    )
    return Status(201, selectors.redemption_get(user, redemption.pk))
