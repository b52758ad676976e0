"""Open311 GeoReport v2 endpoints: every endpoint in .json and .xml (XML parsed, so well-formed),
the spec's error bodies and statuses, POST requests into cases, the 90-day window and the
1000-result limit, Chinese text round-trip, and what the public feed never shows.

These run with OPEN311_ASYNC off (the case made in the request, its service_request_id in the
POST answer); test_queued.py runs POST requests and tokens with it on (the default)."""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from django.test import override_settings
from django.utils import timezone

from apps.audit.models import AuditRecord, Event
from apps.cases import services as case_services
from apps.cases.choices import Channel, Status
from apps.cases.models import Case, Category
from apps.open311 import events, services
from apps.open311.georeport import mask_numbers
from apps.open311.models import Open311Submission

from .conftest import INSIDE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _synchronous(settings: Any) -> None:
    settings.OPEN311_ASYNC = False


V2 = "/open311/v2"
FORMATS = ["json", "xml"]


def parse(response: Any) -> Any:
    """JSON as data; XML as a list of {tag: text} per item (or the root element for documents)."""
    body = response.content
    if response["Content-Type"].startswith("application/json"):
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(body.decode("utf-8"))
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(body)  # noqa: S314 - our own response


def items(response: Any) -> list[dict[str, str | None]]:
    data = parse(response)
    if isinstance(data, list):
        return [{k: (None if v is None else str(v) if not isinstance(v, bool) else str(v).lower())
                 for k, v in item.items()} for item in data]  # fmt: skip
    return [{child.tag: child.text for child in item} for item in data]


def errors(response: Any) -> list[tuple[int, str]]:
    data = parse(response)
    if isinstance(data, list):
        return [(e["code"], e["description"]) for e in data]
    assert data.tag == "errors"
    return [(int(e.findtext("code") or 0), e.findtext("description") or "") for e in data]


def submit(client: Any, fmt: str = "json", **data: Any) -> Any:
    body = urlencode(data)
    return client.post(f"{V2}/requests.{fmt}", body, content_type="application/x-www-form-urlencoded")


def good(world: dict[str, Any], **extra: Any) -> dict[str, Any]:
    values = {
        "api_key": world["key"],
        "service_code": "env-garbage",
        "description": "村口垃圾池已经满了三天没人清运，气味很大。",
        "address_string": "娜姑镇娜姑村村口",
        "first_name": "三",
        "last_name": "张",
        "phone": "138 1234 5678",
    }
    values.update(extra)
    return values


# --- discovery, services, definitions ---------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(world: dict[str, Any], client: Any, fmt: str) -> None:
    response = client.get(f"{V2}/discovery.{fmt}")
    assert response.status_code == 200
    data = parse(response)
    if fmt == "json":
        endpoint = data["endpoints"][0]
        assert endpoint["url"] == "http://testserver/open311/v2/"
        assert endpoint["formats"] == ["text/xml", "application/json"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert data["changeset"].endswith("+08:00") and "/open311/clients/" in data["key_service"]
    else:
        assert data.tag == "discovery"
        endpoint = data.find("endpoints/endpoint")
        assert endpoint is not None and endpoint.findtext("url") == "http://testserver/open311/v2/"
        assert [f.text for f in endpoint.findall("formats/format")] == ["text/xml", "application/json"]
        assert "县级管理员" in (data.findtext("key_service") or "")


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_categories(world: dict[str, Any], client: Any, fmt: str) -> None:
    Category.objects.filter(code="env-toilet").update(is_active=False)
    response = client.get(f"{V2}/services.{fmt}")
    assert response.status_code == 200
    found = {s["service_code"]: s for s in items(response)}
    assert "env-toilet" not in found
    assert len(found) == Category.objects.filter(is_active=True).count()
    garbage = found["env-garbage"]
    assert garbage["service_name"] == "垃圾清运" and garbage["group"] == "环境卫生"
    assert garbage["metadata"] == "false" and garbage["type"] == "realtime"
    assert garbage["keywords"] == "环境卫生, 垃圾清运, 投诉"
    assert found["consult"]["group"] == "政策咨询"  # a root without children is its own group


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition(world: dict[str, Any], client: Any, fmt: str) -> None:
    response = client.get(f"{V2}/services/env-garbage.{fmt}")
    assert response.status_code == 200
    data = parse(response)
    if fmt == "json":
        assert data == {"service_code": "env-garbage", "attributes": []}
    else:
        assert data.tag == "service_definition" and data.findtext("service_code") == "env-garbage"
        attributes = data.find("attributes")
        assert attributes is not None and list(attributes) == []
    missing = client.get(f"{V2}/services/no-such.{fmt}")
    assert missing.status_code == 404
    assert errors(missing) == [(404, "service_code “no-such”不存在。")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_paths_and_methods_answer_in_the_spec_shape(
    world: dict[str, Any], client: Any, fmt: str
) -> None:
    response = client.get(f"{V2}/nothing-here.{fmt}")
    assert response.status_code == 404 and errors(response)[0][0] == 404
    response = client.put(f"{V2}/requests.{fmt}")
    assert response.status_code == 405 and response["Allow"] == "GET, POST"
    assert errors(response)[0][0] == 405
    assert client.post(f"{V2}/services.{fmt}").status_code == 405
    assert client.get(f"{V2}/services.csv").status_code == 404


# --- POST requests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_request_creates_a_case_on_the_api_channel(world: dict[str, Any], client: Any, fmt: str) -> None:
    response = submit(client, fmt, **good(world, media_url="https://img.example.cn/1.jpg"))
    assert response.status_code == 201, response.content.decode()
    [created] = items(response)
    case = Case.objects.get(tracking_code=created["service_request_id"])
    submission = Open311Submission.objects.get(case=case)
    assert created["token"] == submission.token and created["account_id"] in (None, "")
    assert created["service_notice"] == "受理后一般在 3 个工作日内办理并答复（节假日顺延）。"
    assert case.channel == Channel.API and case.status == Status.SUBMITTED
    assert case.unit == world["v11"] and case.category.code == "env-garbage"
    assert case.submitter_name == "张三" and case.submitter_phone == "13812345678"
    assert case.submitter is None and case.entered_by is None
    assert case.title == "村口垃圾池已经满了三天没人清运，气味很大。"
    assert submission.client == world["api"] and submission.media_url == "https://img.example.cn/1.jpg"
    event = Event.objects.get(event_type=events.REQUEST_SUBMITTED)
    assert event.data["client"] == world["api"].prefix and event.source == "api"
    audit = AuditRecord.objects.get(object_id=str(submission.pk), content_type__model="open311submission")
    assert "市民服务应用" in audit.message
    assert Event.objects.filter(event_type="cases.submit", object_id=str(case.pk)).exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_coordinates_finds_the_grid(world: dict[str, Any], client: Any, fmt: str) -> None:
    values = good(world, **INSIDE)
    del values["address_string"]
    response = submit(client, fmt, **values)
    assert response.status_code == 201, response.content.decode()
    case = Case.objects.get(tracking_code=items(response)[0]["service_request_id"])
    assert case.grid == world["g11"] and case.unit == world["v11"]
    assert (case.latitude, case.longitude) == (26.41, 103.31)


def test_post_outside_every_grid_falls_back_to_the_address(world: dict[str, Any], client: Any) -> None:
    response = submit(client, **good(world, lat="26.0", long="103.0", address_string="迤车镇小营村"))
    assert response.status_code == 201
    case = Case.objects.get(tracking_code=items(response)[0]["service_request_id"])
    assert case.unit == world["v22"] and case.grid is None


# Refused before anything is written, in both modes.
CHEAP_REFUSALS = [
    ({"api_key": None}, 403, "缺少 api_key。"),
    ({"api_key": "o311_deadbeef_nope"}, 403, "api_key 无效。"),
    ({"api_key": "jc_abc_def"}, 403, "api_key 无效。"),
    ({"service_code": None}, 400, "缺少 service_code。"),
    ({"service_code": "no-such"}, 400, "service_code “no-such”不存在或已停用。"),
    ({"address_string": None}, 400, "请提供位置：lat 和 long，或 address_string。"),
    ({"lat": "60.5", "long": "10.1"}, 400, "lat/long 不在中国范围内（请检查是否颠倒）。"),
    ({"lat": "abc", "long": "103.1"}, 400, "lat 须为数字（十进制度）。"),
    ({"lat": "26.4"}, 400, "lat 和 long 须同时提供。"),
    ({"description": "太脏"}, 400, "请填写诉求内容（至少 5 个字）。"),
    ({"description": "脏" * 4001}, 400, "诉求内容不能超过 4000 个字。"),
    ({"phone": "0874-1234567"}, 400, "手机号须为 11 位数字。"),
    ({"media_url": "javascript:alert(1)"}, 400, "media_url 须为 http 或 https 网址。"),
    ({"jurisdiction_id": "530325"}, 400, "jurisdiction_id 与 api_key 的管辖区域（530326）不符。"),
]
# Refused where the place is looked up: in the request here, in the task worker when queued.
PLACE_REFUSALS = [
    ({"address_string": "昆明市五华区"}, 400, "无法从地址中确定会泽县的乡镇（街道）或村（社区）。"),
    ({"address_string": None, "lat": "26.0", "long": "103.0"}, 400,
     "该位置不在会泽县的网格内，请同时提供 address_string（写明乡镇、村）。"),
]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("change", "status", "message"), CHEAP_REFUSALS + PLACE_REFUSALS)
def test_post_refusals(
    world: dict[str, Any], client: Any, fmt: str, change: dict[str, Any], status: int, message: str
) -> None:
    values = {k: v for k, v in {**good(world), **change}.items() if v is not None}
    response = submit(client, fmt, **values)
    assert response.status_code == status
    assert errors(response) == [(status, message)]
    assert not Case.objects.exists()


def test_a_stopped_key_is_refused(world: dict[str, Any], client: Any) -> None:
    services.open311_client_deactivate(actor=world["admin"], client=world["api"])
    response = submit(client, "xml", **good(world))
    assert response.status_code == 403
    assert errors(response) == [(403, "该 api_key 已停用，请联系县级管理员。")]


@override_settings(OPEN311_RATE_PER_MINUTE=2)
def test_rate_limit_per_key(world: dict[str, Any], client: Any) -> None:
    assert submit(client, **good(world)).status_code == 201
    assert submit(client, **good(world)).status_code == 201
    response = submit(client, **good(world))
    assert response.status_code == 403
    [(code, text)] = errors(response)
    assert code == 403 and "每分钟最多提交 2 条" in text
    assert Case.objects.count() == 2
    # Another key has its own allowance.
    _, other = services.open311_client_create(
        actor=world["admin"], name="合作平台", jurisdiction=world["county"]
    )
    assert submit(client, **good(world, api_key=other)).status_code == 201


def test_api_key_in_the_query_string_and_last_used(world: dict[str, Any], client: Any) -> None:
    values = good(world)
    key = values.pop("api_key")
    response = client.post(
        f"{V2}/requests.json?api_key={key}",
        urlencode(values),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201
    world["api"].refresh_from_db()
    assert world["api"].last_used_at is not None


# --- tokens and GET requests -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_lookup(world: dict[str, Any], client: Any, fmt: str) -> None:
    created = items(submit(client, **good(world)))[0]
    response = client.get(f"{V2}/tokens/{created['token']}.{fmt}")
    assert response.status_code == 200
    assert items(response) == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
    missing = client.get(f"{V2}/tokens/0000.{fmt}")
    assert missing.status_code == 404 and errors(missing) == [(404, "token 不存在。")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_by_id_has_every_field_and_no_personal_data(
    world: dict[str, Any], client: Any, fmt: str
) -> None:
    created = items(submit(client, **good(world, description="村口垃圾池满了，请联系我 13912345678。")))[0]
    case = Case.objects.get(tracking_code=created["service_request_id"])
    response = client.get(f"{V2}/requests/{case.tracking_code.lower()}.{fmt}")
    assert response.status_code == 200
    body = response.content.decode("utf-8")
    assert "张三" not in body and "13812345678" not in body and "13912345678" not in body
    [found] = items(response)
    expected_due = timezone.localtime(case.reply_due or case.due_at).isoformat(timespec="seconds")
    assert found["service_request_id"] == case.tracking_code
    assert found["status"] == "open" and found["status_notes"] == "待受理"
    assert found["service_code"] == "env-garbage" and found["service_name"] == "垃圾清运"
    assert found["description"] == "村口垃圾池满了，请联系我 139********。"
    assert found["requested_datetime"] == timezone.localtime(case.submitted_at).isoformat(timespec="seconds")
    assert found["requested_datetime"].endswith("+08:00") and found["updated_datetime"].endswith("+08:00")
    assert found["expected_datetime"] == expected_due and expected_due.endswith("+08:00")
    assert found["address"] == "会泽县娜姑镇娜姑村 娜姑镇娜姑村村口"
    assert float(found["lat"] or 0) == 26.41 and float(found["long"] or 0) == 103.31
    assert found["agency_responsible"] == "娜姑村"  # no list names a body: the village (小事)
    assert found["media_url"] in ("", None)
    missing = client.get(f"{V2}/requests/NOPE.{fmt}")
    assert missing.status_code == 404


def test_status_closed_for_rejected_and_merged_and_agency_from_the_holder(
    world: dict[str, Any], client: Any
) -> None:
    admin = world["admin"]
    first, second, third = (
        Case.objects.get(tracking_code=items(submit(client, **good(world)))[0]["service_request_id"])
        for _ in range(3)
    )
    case_services.case_reject(actor=admin, case=first, reason="不属于受理范围")
    case_services.case_merge(actor=admin, case=second, original=third, note="同一垃圾池")
    case_services.case_accept(actor=admin, case=third)
    case_services.case_triage(actor=admin, case=third, triage="minor")
    case_services.case_dispatch(actor=admin, case=Case.objects.get(pk=third.pk), unit=world["v11"])
    found = {r["service_request_id"]: r for r in items(client.get(f"{V2}/requests.xml"))}
    assert found[first.tracking_code]["status"] == "closed"
    assert found[first.tracking_code]["status_notes"] == "不予受理"
    assert found[second.tracking_code]["status"] == "closed"
    assert found[second.tracking_code]["status_notes"] == f"已与 {third.tracking_code} 合并办理。"
    assert found[third.tracking_code]["status"] == "open"
    assert found[third.tracking_code]["agency_responsible"] == "娜姑村"
    closed = items(client.get(f"{V2}/requests.json", {"status": "closed"}))
    assert {r["service_request_id"] for r in closed} == {first.tracking_code, second.tracking_code}
    both = items(client.get(f"{V2}/requests.json", {"status": "open,closed"}))
    assert len(both) == 3


def test_agency_from_the_lists_before_dispatch(world: dict[str, Any], client: Any, make_staff: Any) -> None:
    from apps.duties import services as duties
    from apps.duties.choices import ListKind
    from apps.open311.georeport import AgencyNames

    duties.responsibility_list_publish(
        actor=world["admin"],
        kind=ListKind.TERRITORIAL,
        unit=world["county"],
        title="",
        rows=[{"number": 1, "matter": "路灯维护", "primary": "县自然资源局", "categories": "road"}],
    )
    lamp = _hotline_case(world, make_staff, days_ago=1, external_id="L-1")
    garbage = _hotline_case(world, make_staff, days_ago=1, external_id="L-2",
                            category=Category.objects.get(code="env-sewage"))  # fmt: skip
    found = {
        r["service_request_id"]: r["agency_responsible"] for r in items(client.get(f"{V2}/requests.json"))
    }
    assert found[lamp.tracking_code] == "县自然资源局"  # the list's primary body
    assert found[garbage.tracking_code] == "娜姑镇"  # no item: 污水排放 is 大事, the township
    # Past the per-response budget of look-ups, the triage body stands in.
    assert AgencyNames(budget=0)(lamp) == "白雾村"


def _hotline_case(world: dict[str, Any], make_staff: Any, days_ago: int, **kw: Any) -> Case:
    operator = make_staff("operator", world["county"])
    values: dict[str, Any] = {
        "actor": operator,
        "channel": Channel.HOTLINE,
        "category": Category.objects.get(code="road-light"),
        "title": "王五家门口路灯坏了",
        "description": "来电人王五（身份证 53032619700101123X）反映门口路灯坏了一个月。",
        "unit": world["v12"],
        "submitter_name": "王五",
        "submitter_phone": "13700001111",
        "submitted_at": timezone.now() - datetime.timedelta(days=days_ago),
    }
    values.update(kw)
    return case_services.case_submit(**values)


def test_other_channels_publish_no_text_and_the_village_point(
    world: dict[str, Any], client: Any, make_staff: Any
) -> None:
    case = _hotline_case(world, make_staff, days_ago=1, external_id="HZ-1")
    body = client.get(f"{V2}/requests/{case.tracking_code}.json").content.decode("utf-8")
    assert "王五" not in body and "13700001111" not in body and "53032619700101123X" not in body
    assert "路灯坏了" not in body
    [found] = json.loads(body)
    assert found["description"] == "" and found["address"] == "会泽县娜姑镇白雾村"
    assert found["lat"] is None  # 白雾村 has no centre point in the fixture


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_filters_and_the_90_day_window(
    world: dict[str, Any], client: Any, make_staff: Any, fmt: str
) -> None:
    recent = _hotline_case(world, make_staff, days_ago=3, external_id="A")
    month = _hotline_case(world, make_staff, days_ago=40, external_id="B",
                          category=Category.objects.get(code="env-pile"))  # fmt: skip
    old = _hotline_case(world, make_staff, days_ago=200, external_id="C")

    def ids(**params: Any) -> list[str | None]:
        response = client.get(f"{V2}/requests.{fmt}", params)
        assert response.status_code == 200, response.content.decode()
        return [r["service_request_id"] for r in items(response)]

    assert ids() == [recent.tracking_code, month.tracking_code]  # newest first, 90 days
    assert ids(service_code="env-pile") == [month.tracking_code]
    assert ids(service_code="env") == [month.tracking_code]  # a group code takes its children
    assert ids(service_code="road-light,env-pile") == [recent.tracking_code, month.tracking_code]
    start = (timezone.localdate() - datetime.timedelta(days=210)).isoformat()
    assert ids(start_date=start) == [old.tracking_code]  # 90 days from the start
    end = timezone.localtime() - datetime.timedelta(days=150)
    # An unencoded "+08:00" arrives as " 08:00": still read as Beijing time.
    assert ids(end_date=end.isoformat(timespec="seconds")) == [old.tracking_code]
    assert ids(end_date=end.strftime("%Y-%m-%dT%H:%M:%S") + " 08:00") == [old.tracking_code]
    # service_request_id overrides every other filter, the window too.
    listed = ids(service_request_id=f"{old.tracking_code},{recent.tracking_code.lower()}", status="closed")
    assert listed == [recent.tracking_code, old.tracking_code]
    assert ids(jurisdiction_id="530326") == [recent.tracking_code, month.tracking_code]
    assert ids(status="open") == [recent.tracking_code, month.tracking_code]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"start_date": "2026-01-01", "end_date": "2026-06-01"},
            "start_date 与 end_date 相差不能超过 90 天。",
        ),
        ({"start_date": "2026-06-01", "end_date": "2026-05-01"}, "end_date 不能早于 start_date。"),
        ({"start_date": "yesterday"}, "start_date 须为 ISO 8601 时间，如 2026-11-21T08:00:00+08:00。"),
        ({"end_date": "2026-13-45"}, "end_date 须为 ISO 8601 时间，如 2026-11-21T08:00:00+08:00。"),
        ({"status": "pending"}, "status 只能是 open 或 closed（收到“pending”）。"),
        ({"jurisdiction_id": "999999"}, "jurisdiction_id “999999”无效：须为县（区）的区划代码。"),
    ],
)
def test_get_requests_refusals(
    world: dict[str, Any], client: Any, fmt: str, params: dict[str, str], message: str
) -> None:
    response = client.get(f"{V2}/requests.{fmt}", params)
    assert response.status_code == 400
    assert errors(response) == [(400, message)]


def test_at_most_1000_results(world: dict[str, Any], client: Any, django_assert_max_num_queries: Any) -> None:
    # Rows written directly: the limit is about the query, 1001 submissions would only be slow.
    category = Category.objects.get(code="consult")
    now = timezone.now()
    Case.objects.bulk_create(
        Case(
            tracking_code=f"T{i:06d}",
            channel=Channel.API,
            category=category,
            kind=category.kind,
            title="咨询",
            description="咨询政策问题。",
            unit=world["v11"],
            submitted_at=now - datetime.timedelta(minutes=i),
        )
        for i in range(1001)
    )
    with django_assert_max_num_queries(3):  # the feed, and the lists of the one township
        found = items(client.get(f"{V2}/requests.json"))
    assert len(found) == 1000
    assert found[0]["service_request_id"] == "T000000" and found[-1]["service_request_id"] == "T000999"
    assert len(items(client.get(f"{V2}/requests.xml"))) == 1000


def test_chinese_text_and_control_characters_round_trip_in_xml(world: dict[str, Any], client: Any) -> None:
    text = "路面塌陷「危险」& <注意>：娜姑村𠀋号\x07附近，请尽快处理"
    created = items(submit(client, **good(world, description=text)))[0]
    response = client.get(f"{V2}/requests/{created['service_request_id']}.xml")
    root = parse(response)  # well-formed despite the bell character
    assert root.findtext("request/description") == text.replace("\x07", "")
    json_body = client.get(f"{V2}/requests/{created['service_request_id']}.json").content
    assert "路面塌陷「危险」".encode() in json_body  # UTF-8, not \\u escapes


def test_mask_numbers() -> None:
    assert mask_numbers("电话 0874-5123456，身份证 53032619700101123x。2026年11月 12 号") == (
        "电话 087*********，身份证 530***************。2026年11月 12 号"
    )
