"""The lists route the work: dispatch shows the lists' suggestion, and a township may push a case
down to a village only for matters on the 村级工作准入清单."""

from __future__ import annotations

from typing import Any

import pytest

from apps.cases import selectors, services
from apps.cases.choices import Status, Triage
from apps.cases.models import Category
from apps.core.errors import ValidationFailed
from apps.duties import services as duties

pytestmark = pytest.mark.django_db


def publish(p: dict[str, Any], kind: str, rows: list[dict[str, Any]]) -> None:
    duties.responsibility_list_publish(actor=p["admin"], kind=kind, unit=p["county"], title="", rows=rows)


def township_case(p: dict[str, Any], submit: Any, category: Category) -> Any:
    case = services.case_accept(actor=p["officer"], case=submit(category=category))
    return services.case_triage(actor=p["officer"], case=case, triage=Triage.MINOR)


def test_admission_list_guards_pushing_work_down_to_villages(people: dict[str, Any], submit: Any) -> None:
    p = people
    publish(p, "admission", [{"number": 1, "matter": "人居环境整治", "categories": "env"}])
    admitted = township_case(p, submit, Category.objects.get(code="env-garbage"))
    case = services.case_dispatch(actor=p["officer"], case=admitted, unit=p["v11"])
    assert case.status == Status.DISPATCHED and case.holder_unit == p["v11"]

    refused = township_case(p, submit, Category.objects.get(code="land-compensation"))
    with pytest.raises(ValidationFailed) as err:
        services.case_dispatch(actor=p["officer"], case=refused, unit=p["v11"])
    assert err.value.code == "not_on_admission_list" and "村级工作准入清单" in err.value.message
    refused.refresh_from_db()
    assert refused.status == Status.TRIAGED and refused.holder_unit is None
    # The township keeps it, or a department takes it.
    assert services.case_dispatch(actor=p["officer"], case=refused, unit=p["t1"]).holder_unit == p["t1"]


def test_a_village_handling_its_own_small_matter_is_not_pushed_down(
    people: dict[str, Any], submit: Any
) -> None:
    p = people
    publish(p, "admission", [{"number": 1, "matter": "人居环境整治", "categories": "env"}])
    case = services.case_accept(
        actor=p["cadre"], case=submit(category=Category.objects.get(code="social-dibao"))
    )
    case = services.case_triage(actor=p["cadre"], case=case, triage=Triage.MINOR)
    assert services.case_dispatch(actor=p["cadre"], case=case, unit=p["v11"]).holder_unit == p["v11"]


def test_dispatch_form_offers_the_lists_suggestion(people: dict[str, Any], submit: Any) -> None:
    p = people
    publish(
        p,
        "territorial",
        [
            {
                "number": 1,
                "domain": "生态环境",
                "matter": "农村生活垃圾收运",
                "primary": "乡镇",
                "supporting": "县自然资源局",
                "categories": "env-garbage",
            }
        ],
    )
    case = township_case(p, submit, Category.objects.get(code="env-garbage"))
    targets = selectors.dispatch_targets(p["officer"], case)
    suggestion = targets["suggestion"]
    assert suggestion.primary.unit == p["t1"]
    assert [b.organisation for b in suggestion.supporting] == [p["dept"]]
    assert "农村生活垃圾收运" in suggestion.basis
    assert p["t1"] in targets["units"] and p["dept"] in targets["organisations"]
    assert targets["selected_unit"] == p["t1"].code and targets["supporting"] == {p["dept"].pk}


def test_dispatch_form_preselects_the_suggestion(client: Any, people: dict[str, Any], submit: Any) -> None:
    p = people
    publish(
        p,
        "territorial",
        [
            {
                "number": 1,
                "matter": "垃圾收运",
                "primary": "乡镇",
                "supporting": "县自然资源局",
                "categories": "env",
            }
        ],
    )
    case = township_case(p, submit, Category.objects.get(code="env-garbage"))
    client.force_login(p["officer"])
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'value="unit:{p["t1"].code}" selected' in page
    assert f'name="supporting" value="{p["dept"].pk}" checked' in page
