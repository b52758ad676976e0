"""The API root: authentication (token and session), the error shape for every kind of failure,
pagination bounds, the OpenAPI document and the docs page (local assets, works under the CSP)."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from apps.accounts.choices import Role
from apps.accounts.models import ApiToken
from apps.accounts.services import api_token_create, api_token_revoke
from apps.core.errors import ValidationFailed
from apps.core.pagination import MAX_PAGE_SIZE, PagePagination

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def bearer(user: Any, **kwargs: Any) -> dict[str, str]:
    _, plaintext = api_token_create(actor=user, name="测试", **kwargs)
    return {"Authorization": f"Bearer {plaintext}"}


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "code", "extra"}
    assert body["code"] == code
    assert CJK.search(body["message"]), body["message"]
    return body


# --- Authentication --------------------------------------------------------------------------------


def test_no_credentials_is_401_with_bearer_challenge(client: Client) -> None:
    response = client.get("/api/accounts/me")
    assert_error(response, 401, "unauthenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_token_auth(client: Client, tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"], username="naguofficer")
    response = client.get("/api/accounts/me", headers=bearer(officer))
    assert response.status_code == 200
    assert response.json()["username"] == "naguofficer"
    assert response["X-Request-ID"]


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer jc_deadbeef_wrong", "Token abc", "Bearer "])
def test_garbage_token_is_401(client: Client, header: str) -> None:
    assert_error(client.get("/api/accounts/me", headers={"Authorization": header}), 401, "unauthenticated")


def test_wrong_secret_for_real_prefix_is_401(client: Client, make_staff) -> None:
    user = make_staff(None)
    token, plaintext = api_token_create(actor=user, name="x")
    forged = f"jc_{token.prefix}_{'A' * 43}"
    assert plaintext != forged
    assert_error(
        client.get("/api/accounts/me", headers={"Authorization": f"Bearer {forged}"}), 401, "unauthenticated"
    )


def test_revoked_token_is_401(client: Client, make_staff) -> None:
    user = make_staff(None)
    token, plaintext = api_token_create(actor=user, name="x")
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/accounts/me", headers=headers).status_code == 200
    api_token_revoke(actor=user, token=token)
    assert_error(client.get("/api/accounts/me", headers=headers), 401, "unauthenticated")


def test_expired_token_is_401(client: Client, make_staff) -> None:
    user = make_staff(None)
    token, plaintext = api_token_create(actor=user, name="x", days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert_error(
        client.get("/api/accounts/me", headers={"Authorization": f"Bearer {plaintext}"}),
        401,
        "unauthenticated",
    )


def test_token_of_deactivated_user_is_401(client: Client, make_staff) -> None:
    user = make_staff(None)
    headers = bearer(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(client.get("/api/accounts/me", headers=headers), 401, "unauthenticated")


def test_session_auth_reads_and_needs_csrf_for_writes(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(officer)
    assert browser.get("/api/accounts/me").status_code == 200
    url = "/api/territory/units/530326102201/groups"
    refused = browser.post(url, {"name": "第一村民小组"}, content_type="application/json")
    assert_error(refused, 403, "csrf_failed")
    # The CSRF cookie set by any page, echoed in the header, lets the write through.
    browser.get("/api/docs")
    token = browser.cookies["csrftoken"].value
    done = browser.post(
        url, {"name": "第一村民小组"}, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert done.status_code == 201, done.content


def test_token_writes_need_no_csrf(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    machine = Client(enforce_csrf_checks=True)
    response = machine.post(
        "/api/territory/units/530326102201/groups",
        {"name": "第二村民小组"},
        content_type="application/json",
        headers=bearer(officer),
    )
    assert response.status_code == 201, response.content


def test_refused_token_on_a_write_is_401_not_csrf(client: Client) -> None:
    """A machine client with a dead token must learn it is unauthenticated, not see a CSRF error."""
    machine = Client(enforce_csrf_checks=True)
    response = machine.post(
        "/api/territory/grids",
        {"code": "X"},
        content_type="application/json",
        headers={"Authorization": "Bearer jc_00000000_nothing"},
    )
    assert_error(response, 401, "unauthenticated")


def test_admin_session_needs_second_factor_but_admin_token_does_not(
    client: Client, verified_client, tiny_county, make_staff
) -> None:
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    client.force_login(admin)
    assert_error(client.get("/api/territory/units"), 403, "second_factor_required")
    machine = Client()
    assert machine.get("/api/territory/units", headers=bearer(admin)).status_code == 200
    verified = verified_client(admin)
    response = verified.get("/api/territory/units")
    assert response.status_code == 200
    assert response.json()["count"] == 7  # the county and everything under it


# --- The error shape -------------------------------------------------------------------------------


def test_unknown_paths_are_json_404(client: Client, make_staff) -> None:
    for path in ["/api/", "/api/nope", "/api/territory/nothing/here", "/api/territory/units/1/2/3/4"]:
        body = assert_error(client.get(path), 404, "not_found")
        assert body["extra"]["path"] == path
    # An unknown path answers 404 even to a POST without CSRF or credentials.
    assert_error(Client(enforce_csrf_checks=True).post("/api/nope", {}), 404, "not_found")


def test_wrong_method_is_json_405(client: Client, make_staff) -> None:
    response = client.put("/api/accounts/me", headers=bearer(make_staff(None)))
    body = assert_error(response, 405, "method_not_allowed")
    assert body["extra"]["allowed"] == ["GET"]
    assert response["Allow"] == "GET"


def test_missing_object_is_404(client: Client, tiny_county, make_staff) -> None:
    user = make_staff(Role.LEADER, tiny_county["county"])
    assert_error(client.get("/api/territory/units/530326999", headers=bearer(user)), 404, "not_found")


def test_malformed_json_body_is_422_invalid_request(client: Client, tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    response = client.post(
        "/api/territory/grids", data="{not json", content_type="application/json", headers=bearer(officer)
    )
    body = assert_error(response, 422, "invalid_request")
    assert body["message"] == "请求参数有误。"
    assert body["extra"]["errors"][0]["type"] == "json_invalid"
    assert body["extra"]["errors"][0]["loc"] == ["body"]


def test_schema_error_is_422_with_locations(client: Client, tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    response = client.post(
        "/api/territory/grids",
        {"code": "X", "level": "high"},
        content_type="application/json",
        headers=bearer(officer),
    )
    body = assert_error(response, 422, "invalid_request")
    locations = {tuple(e["loc"]) for e in body["extra"]["errors"]}
    assert ("body", "payload", "unit_code") in locations
    assert ("body", "payload", "level") in locations


def test_bad_query_parameter_is_422(client: Client, tiny_county, make_staff) -> None:
    user = make_staff(Role.LEADER, tiny_county["county"])
    body = assert_error(
        client.get("/api/territory/units?level=seven", headers=bearer(user)), 422, "invalid_request"
    )
    assert body["extra"]["errors"][0]["loc"] == ["query", "level"]


def test_unhandled_exception_is_500_without_traceback(
    client: Client, tiny_county, make_staff, monkeypatch, caplog
) -> None:
    from apps.territory import selectors

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(selectors, "unit_get", boom)
    user = make_staff(Role.LEADER, tiny_county["county"])
    response = client.get("/api/territory/units/530326", headers=bearer(user))
    body = response.json()
    assert response.status_code == 500
    assert body["message"] == "服务器内部错误"
    assert body["code"] == "server_error"
    assert body["extra"]["request_id"] == response["X-Request-ID"]
    assert b"secret internal detail" not in response.content
    assert b"Traceback" not in response.content
    assert "secret internal detail" in caplog.text  # the log keeps what the client must not see


# --- Pagination ------------------------------------------------------------------------------------


@pytest.fixture
def leader_headers(tiny_county, make_staff) -> dict[str, str]:
    return bearer(make_staff(Role.LEADER, tiny_county["county"]))


def test_pagination_shape_and_default_size(client: Client, leader_headers) -> None:
    with override_settings(API_PAGE_SIZE=3):
        body = client.get("/api/territory/units", headers=leader_headers).json()
    assert set(body) == {"items", "count", "page", "page_size"}
    assert (body["count"], body["page"], body["page_size"]) == (7, 1, 3)
    assert [u["code"] for u in body["items"]] == ["530326", "530326102", "530326102201"]


def test_pagination_walks_pages_without_gaps(client: Client, leader_headers) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        body = client.get(f"/api/territory/units?page={page}&page_size=3", headers=leader_headers).json()
        seen += [u["code"] for u in body["items"]]
    assert len(seen) == 7 == len(set(seen))
    assert seen == sorted(seen)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("page=0", "page_invalid"),
        ("page=-1", "page_invalid"),
        ("page=3&page_size=5", "page_out_of_range"),
        ("page_size=0", "page_size_invalid"),
        (f"page_size={MAX_PAGE_SIZE + 1}", "page_size_invalid"),
    ],
)
def test_pagination_bounds_are_400(client: Client, leader_headers, query: str, code: str) -> None:
    assert_error(client.get(f"/api/territory/units?{query}", headers=leader_headers), 400, code)


def test_pagination_accepts_the_maximum_and_an_empty_first_page(
    client: Client, leader_headers, make_staff
) -> None:
    response = client.get(f"/api/territory/units?page_size={MAX_PAGE_SIZE}", headers=leader_headers)
    assert response.json()["page_size"] == MAX_PAGE_SIZE
    assert client.get("/api/territory/units?q=没有这个地方", headers=leader_headers).json() == {
        "items": [],
        "count": 0,
        "page": 1,
        "page_size": 50,
    }
    # Without any territory role the list is refused rather than answered empty.
    nobody = bearer(make_staff(None))
    assert_error(client.get("/api/territory/units", headers=nobody), 403, "forbidden")


def test_pagination_non_number_is_422(client: Client, leader_headers) -> None:
    assert_error(client.get("/api/territory/units?page=abc", headers=leader_headers), 422, "invalid_request")


def test_pagination_class_directly() -> None:
    class Params:
        page = 2
        page_size = 2

    result = PagePagination().paginate_queryset(list(range(5)), Params(), None)  # type: ignore[arg-type]
    assert result == {"items": [2, 3], "count": 5, "page": 2, "page_size": 2}
    with pytest.raises(ValidationFailed):
        PagePagination.validated(1, MAX_PAGE_SIZE + 1)


# --- OpenAPI document and docs page ----------------------------------------------------------------


def _endpoints() -> dict[str, set[str]]:
    """Every API operation, from the permission matrix (each module lists its own there)."""
    from .test_permission_matrix import API, API_COVERED_ELSEWHERE

    out: dict[str, set[str]] = {}
    for name in {c.name for c in API} | API_COVERED_ELSEWHERE:
        method, path = name.split(" ", 1)
        out.setdefault(path, set()).add(method.lower())
    return out


ENDPOINTS = _endpoints()


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_openapi_document_is_structurally_valid(client: Client) -> None:
    response = client.get("/api/openapi.json")  # public, like the docs page
    assert response.status_code == 200
    doc = response.json()
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    schemes = doc["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer"}
    assert schemes["SessionAuth"]["in"] == "cookie"
    assert {p: set(ops) for p, ops in doc["paths"].items()} == ENDPOINTS

    operation_ids: list[str] = []
    for path, operations in doc["paths"].items():
        placeholders = set(re.findall(r"{(\w+)}", path))
        for method, op in operations.items():
            operation_ids.append(op["operationId"])
            assert CJK.search(op["summary"]), (path, method)
            assert op["tags"]
            assert {"TokenAuth": []} in op["security"]
            path_params = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert path_params == placeholders, (path, method)
            success = [code for code in op["responses"] if code.startswith("2")]
            # One success code; an idempotent create answers 201 first and 200 on a replay.
            assert len(success) == 1 or set(success) == {"200", "201"}, (path, method)
            for code in ("401", "422"):
                error = op["responses"][code]["content"]["application/json"]["schema"]
                assert error == {"$ref": "#/components/schemas/ErrorOut"}
            if method in {"post", "put", "patch"}:
                assert op["requestBody"]["required"] is True
    assert len(operation_ids) == len(set(operation_ids)) == sum(len(m) for m in ENDPOINTS.values())

    schemas = doc["components"]["schemas"]
    for ref in _refs(doc):
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    assert set(schemas["ErrorOut"]["required"]) == {"message", "code"}
    paged = doc["paths"]["/api/territory/units"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    paged_schema = schemas[paged["$ref"].rsplit("/", 1)[1]]
    assert set(paged_schema["properties"]) == {"items", "count", "page", "page_size"}


class _AssetCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts: list[str] = []
        self._in_script: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        assert "style" not in values, f"inline style on <{tag}>"
        assert not any(name.startswith("on") for name in values), f"inline handler on <{tag}>"
        for name in ("src", "href"):
            if values.get(name):
                self.urls.append(str(values[name]))
        if tag == "script" and not values.get("src"):
            self._in_script = values.get("type") or "text/javascript"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip() and self._in_script != "application/json":
            self.inline_scripts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = None


def test_docs_page_uses_only_local_assets_under_the_csp(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    page = _AssetCollector()
    page.feed(response.content.decode())
    assert page.urls, "the docs page loads its assets"
    for url in page.urls:
        assert url.startswith("/static/"), url
    assert any(u.endswith("swagger-ui-bundle.js") for u in page.urls)
    assert page.inline_scripts == []  # the CSP would block them: the init is a static file
    assert '"validatorUrl": null' in response.content.decode()  # no badge image from the internet


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_page_renders_operations_in_chromium(live_server, browser) -> None:
    page = browser.new_page()
    requests: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    # Injected by the driver (not subject to the CSP): records anything the CSP blocks.
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto(f"{live_server.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=15000)
    assert page.locator(".opblock").count() == sum(len(m) for m in ENDPOINTS.values())
    assert page.get_by_text("按坐标查找所在网格（最细一级在前）").count() == 1
    # Try one operation from the page: the anonymous call comes back in our error shape.
    page.locator(".opblock-summary").first.click()
    page.get_by_text("Try it out").first.click()
    page.get_by_text("Execute").first.click()
    page.wait_for_selector(".live-responses-table", timeout=10000)
    assert "unauthenticated" in page.locator(".live-responses-table").first.inner_text()
    assert page.evaluate("window.__csp") == []
    assert [e for e in console_errors if "401" not in e] == []
    assert requests and all(url.startswith(live_server.url) for url in requests), requests
    page.close()
