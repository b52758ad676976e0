"""zh-hans first; English through Django i18n for the shell (more strings get translated as
modules mature; an untranslated string falls back to Chinese)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_chinese_by_default(client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="zh-hans"' in page and "工作人员登录" in page and "用户名" in page


def test_english_when_chosen(client) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert 'lang="en"' in page and "Staff sign-in" in page and "Username" in page
    assert "After 5 wrong passwords in a row" in page


def test_error_page_in_english(client, tiny_county, make_staff) -> None:
    from apps.accounts.choices import Role

    client.force_login(make_staff(Role.GRIDDER, grid=tiny_county["g11"]))
    client.cookies["django_language"] = "en"
    page = client.get("/territory/units/530326103/")
    assert page.status_code == 403
    assert "Access denied" in page.content.decode()
