"""The state machine through its services: the happy path, each refusal, and what each step leaves."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from apps.audit.models import AuditRecord, Event
from apps.cases import selectors, services
from apps.cases.choices import Action, Rating, ResolvedLevel, SlaState, Status, Triage, WhistleStatus
from apps.cases.models import Case, Notice
from apps.core.errors import Conflict, PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def walk_to_handling(p: dict[str, Any], case: Case, *, unit: Any = None, org: Any = None) -> Case:
    case = services.case_accept(actor=p["cadre"], case=case)
    case = services.case_triage(actor=p["cadre"], case=case, triage=Triage.MINOR)
    case = services.case_dispatch(actor=p["cadre"], case=case, unit=unit or p["v11"], organisation=org)
    signer = p["handler"] if org is not None else p["cadre"]
    return services.case_sign(actor=signer, case=case)


def test_submit_gives_tracking_code_deadline_and_timeline(people: dict[str, Any], submit: Any) -> None:
    case = submit(submitter_phone="13912345678")
    assert case.status == Status.SUBMITTED
    assert len(case.tracking_code) == 11 and case.tracking_code[:6] == timezone.localtime().strftime("%y%m%d")
    assert case.submitter == people["resident"] and case.submitter_name == "王村民"
    assert case.submitter_phone_tail == "5678" and "13912345678" not in case.submitter_phone_enc
    assert case.submitter_phone == "13912345678"
    assert case.due_at is not None and case.due_at > timezone.now()
    assert [s.action for s in case.steps.all()] == [Action.SUBMIT]
    assert AuditRecord.objects.filter(object_id=str(case.pk), action="create").exists()
    assert Event.objects.filter(event_type="cases.submit", object_id=str(case.pk)).exists()


def test_full_path_to_close_records_every_step(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = submit()
    case = walk_to_handling(p, case)
    assert case.status == Status.HANDLING and case.handler == p["cadre"]
    assert case.dispatcher_unit == p["v11"] and case.holder_unit == p["v11"]
    assert case.reply_due is not None and case.due_at == case.reply_due
    case = services.case_reply(actor=p["cadre"], case=case, reply="已安排保洁员清运，垃圾池已清空。")
    assert case.status == Status.REPLIED and case.on_time is True
    case = services.case_follow_up(actor=p["resident"], case=case, rating=Rating.SATISFIED)
    assert case.status == Status.FOLLOWED_UP
    case = services.case_close(actor=p["cadre"], case=case)
    assert case.status == Status.CLOSED and case.closed_at is not None and case.due_at is None
    assert case.resolved_level == ResolvedLevel.VILLAGE
    actions = list(case.steps.values_list("action", flat=True))
    assert actions == ["submit", "accept", "triage", "dispatch", "sign", "reply", "follow_up", "close"]
    assert case.version == 8
    kinds = set(Notice.objects.filter(recipient=p["resident"], case=case).values_list("kind", flat=True))
    assert {"accepted", "replied", "closed"} <= kinds


def test_illegal_transition_is_refused_and_changes_nothing(people: dict[str, Any], submit: Any) -> None:
    case = submit()
    with pytest.raises(Conflict) as err:
        services.case_sign(actor=people["cadre"], case=case)
    assert err.value.code == "illegal_transition" and "待受理" in err.value.message
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED and case.version == 1 and case.steps.count() == 1


def test_stale_version_is_refused(people: dict[str, Any], submit: Any) -> None:
    case = submit()
    services.case_accept(actor=people["cadre"], case=case)
    with pytest.raises(Conflict) as err:
        services.case_reject(actor=people["officer"], case=case, reason="重复", expected_version=1)
    assert err.value.code == "stale_version"


def test_reject_needs_a_reason_and_is_final(people: dict[str, Any], submit: Any) -> None:
    case = submit()
    with pytest.raises(ValidationFailed):
        services.case_reject(actor=people["cadre"], case=case, reason=" ")
    case = services.case_reject(actor=people["cadre"], case=case, reason="不属于受理范围")
    assert case.status == Status.REJECTED
    with pytest.raises(Conflict):
        services.case_accept(actor=people["cadre"], case=case)


def test_outsiders_cannot_act(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = submit()
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=p["cadre12"], case=case)  # another village
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=p["officer2"], case=case)  # another township
    with pytest.raises(PermissionDenied):
        services.case_accept(actor=p["handler"], case=case)  # a department does not dispatch
    case = services.case_accept(actor=p["officer"], case=case)
    assert case.dispatcher_unit == p["t1"]
    case = services.case_triage(actor=p["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=p["officer"], case=case, unit=p["t1"])
    with pytest.raises(PermissionDenied) as err:
        services.case_sign(actor=p["cadre"], case=case)  # the village does not hold it
    assert err.value.code in {"not_the_holder", "forbidden"}


def test_department_handler_sees_only_what_their_department_is_party_to(
    people: dict[str, Any], submit: Any
) -> None:
    p = people
    mine = submit()
    other = submit(title="另一件")
    assert not selectors.cases_visible(p["handler"]).exists()
    with pytest.raises(PermissionDenied):
        selectors.case_get(p["handler"], mine.pk)
    mine = services.case_accept(actor=p["officer"], case=mine)
    mine = services.case_triage(actor=p["officer"], case=mine, triage=Triage.MAJOR)
    mine = services.case_dispatch(actor=p["officer"], case=mine, organisation=p["dept"])
    assert list(selectors.cases_visible(p["handler"])) == [mine]
    assert selectors.case_get(p["handler"], mine.pk) == mine
    with pytest.raises(PermissionDenied):
        selectors.case_get(p["handler"], other.pk)
    assert list(selectors.inbox(p["handler"], "to_sign")) == [mine]
    assert list(selectors.inbox(p["cadre"], "to_sign")) == []


def test_return_within_window_goes_back_to_the_dispatcher(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = services.case_accept(actor=p["officer"], case=submit())
    case = services.case_triage(actor=p["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=p["officer"], case=case, organisation=p["dept"])
    with pytest.raises(ValidationFailed):
        services.case_return(actor=p["handler"], case=case, reason="")
    case = services.case_return(actor=p["handler"], case=case, reason="不属于本部门职责")
    assert case.status == Status.TRIAGED and case.holder_org is None and case.return_count == 1
    assert case in selectors.inbox(p["officer"], "to_dispatch")
    assert not selectors.cases_visible(p["handler"]).filter(pk=case.pk).exists()


def test_return_after_the_window_is_refused(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = walk_to_handling(p, submit())
    Case.objects.filter(pk=case.pk).update(return_until=timezone.now() - datetime.timedelta(minutes=1))
    with pytest.raises(Conflict) as err:
        services.case_return(actor=p["cadre"], case=case, reason="不归我们管")
    assert err.value.code == "return_window_passed"


def test_escalate_goes_one_level_up(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = walk_to_handling(p, submit())
    case = services.case_escalate(actor=p["cadre"], case=case, reason="涉及多个村，村里协调不了")
    assert case.status == Status.TRIAGED and case.dispatcher_unit == p["t1"] and case.triage == Triage.MAJOR
    with pytest.raises(PermissionDenied):
        services.case_dispatch(actor=p["cadre"], case=case, unit=p["v11"])  # no longer the village's
    case = services.case_dispatch(actor=p["officer"], case=case, unit=p["t1"])
    assert case.holder_unit == p["t1"] and case.escalation_count == 1


def test_extension_decided_by_the_dispatchers_superior(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = walk_to_handling(p, submit())
    due = case.reply_due
    ext = services.extension_request(actor=p["cadre"], case=case, days=3, reason="等待清运车辆维修")
    with pytest.raises(Conflict):
        services.extension_request(actor=p["cadre"], case=case, days=2, reason="再延")
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=p["cadre"], extension=ext, approve=True)  # not the superior
    with pytest.raises(PermissionDenied):
        services.extension_decide(actor=p["officer2"], extension=ext, approve=True)
    ext = services.extension_decide(actor=p["officer"], extension=ext, approve=True)
    case.refresh_from_db()
    assert ext.status == "approved" and case.extension_days == 3 and case.reply_due > due
    with pytest.raises(Conflict):
        services.extension_decide(actor=p["officer"], extension=ext, approve=False, note="no")


def test_urge_by_a_superior_marks_and_counts(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = walk_to_handling(p, submit())
    with pytest.raises(PermissionDenied):
        services.case_urge(actor=p["cadre"], case=case, note="快办")
    case = services.case_urge(actor=p["leader"], case=case, note="请三日内办结")
    case = services.case_urge(actor=p["officer"], case=case, note="再催")
    assert case.urge_count == 2 and case.is_urged
    assert Notice.objects.filter(recipient=p["cadre"], case=case, kind="urged").count() == 2


def test_unsatisfied_rating_reopens_to_the_same_body(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = walk_to_handling(p, submit())
    case = services.case_reply(actor=p["cadre"], case=case, reply="已经清理干净了。")
    with pytest.raises(ValidationFailed):
        services.case_follow_up(actor=p["resident"], case=case, rating=Rating.UNSATISFIED)
    case = services.case_follow_up(actor=p["resident"], case=case, rating=Rating.UNSATISFIED, note="又堆满了")
    assert case.status == Status.HANDLING and case.reopen_count == 1 and case.holder_unit == p["v11"]
    assert case.steps.filter(action=Action.REOPEN).exists()
    case = services.case_reply(actor=p["cadre"], case=case, reply="增设了一个垃圾池，每日清运。")
    case = services.case_follow_up(actor=p["cadre"], case=case, rating=Rating.BASIC)
    case = services.case_close(actor=p["cadre"], case=case)
    assert case.status == Status.CLOSED and case.rating == Rating.BASIC and case.reopen_count == 1


def test_someone_elses_rating_is_refused(people: dict[str, Any], submit: Any, make_staff: Any) -> None:
    from apps.accounts.models import User

    p = people
    case = walk_to_handling(p, submit())
    case = services.case_reply(actor=p["cadre"], case=case, reply="已经清理干净了。")
    stranger = User.objects.create_user("stranger", None, kind="resident", phone="13900000010")
    with pytest.raises(PermissionDenied):
        services.case_follow_up(actor=stranger, case=case, rating=Rating.SATISFIED)


def test_close_without_follow_up_needs_a_reason(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = walk_to_handling(p, submit())
    case = services.case_reply(actor=p["cadre"], case=case, reply="已经清理干净了。")
    with pytest.raises(ValidationFailed):
        services.case_close(actor=p["cadre"], case=case)
    case = services.case_close(actor=p["cadre"], case=case, note="三次电话未接通")
    assert case.status == Status.CLOSED and case.rating == ""


def test_whistle_departments_must_report(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = services.case_accept(actor=p["officer"], case=submit())
    case = services.case_triage(actor=p["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=p["officer"], case=case, unit=p["t1"])
    case = services.case_sign(actor=p["officer"], case=case)
    [whistle] = services.case_whistle(
        actor=p["officer"], case=case, organisations=[p["dept"]], reason="需执法"
    )
    assert whistle.status == WhistleStatus.PENDING and whistle.sign_due > timezone.now()
    assert selectors.case_get(p["handler"], case.pk) == case  # the department now sees it
    with pytest.raises(Conflict):
        services.case_whistle(actor=p["officer"], case=case, organisations=[p["dept"]], reason="再吹")
    with pytest.raises(Conflict) as err:
        services.case_reply(actor=p["officer"], case=case, reply="已处理完毕，谢谢。")
    assert err.value.code == "whistles_pending"
    with pytest.raises(PermissionDenied):
        services.whistle_sign(actor=p["cadre"], whistle=whistle)
    whistle = services.whistle_sign(actor=p["handler"], whistle=whistle)
    assert whistle.status == WhistleStatus.SIGNED and whistle.signed_on_time
    with pytest.raises(Conflict):
        services.whistle_sign(actor=p["handler2"], whistle=whistle)
    whistle = services.whistle_done(actor=p["handler"], whistle=whistle, result="已现场执法，责令整改。")
    assert whistle.status == WhistleStatus.DONE
    case = services.case_reply(actor=p["officer"], case=case, reply="部门已执法，问题已解决。")
    assert case.status == Status.REPLIED


def test_merge_duplicate_follows_original(people: dict[str, Any], submit: Any) -> None:
    p = people
    original = submit()
    duplicate = submit(title="村口垃圾没人管", description="村口垃圾池满了好几天了，没人清运。")
    dupes = selectors.possible_duplicates(p["cadre"], duplicate)
    assert original in [c for c, _ in dupes]
    merged = services.case_merge(actor=p["cadre"], case=duplicate, original=original)
    assert merged.status == Status.MERGED and merged.merged_into == original
    assert selectors.public_case(duplicate.tracking_code).merged_into == original
    with pytest.raises(Conflict):
        services.case_merge(actor=p["cadre"], case=submit(), original=merged)
    original = walk_to_handling(p, original)
    services.case_reply(actor=p["cadre"], case=original, reply="已清运，设专人管理。")
    # The duplicate's submitter (same resident here) hears of the original's reply.
    assert Notice.objects.filter(case=original, kind="replied").exists()


def test_split_into_children_and_parent_waits_for_them(people: dict[str, Any], submit: Any) -> None:
    from apps.territory.models import Organisation

    p = people
    other = Organisation.objects.create(code="HZ-ZJ", name="县住建局", service_area=p["county"])
    case = services.case_accept(actor=p["officer"], case=submit())
    children = services.case_split(
        actor=p["officer"],
        case=case,
        parts=[services.SplitPart(organisation=p["dept"]), services.SplitPart(organisation=other)],
    )
    assert len(children) == 2 and all(c.status == Status.DISPATCHED and c.parent == case for c in children)
    case = services.case_triage(actor=p["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=p["officer"], case=case, unit=p["t1"])
    case = services.case_sign(actor=p["officer"], case=case)
    case = services.case_reply(actor=p["officer"], case=case, reply="已协调两个部门分别办理。")
    with pytest.raises(Conflict) as err:
        services.case_close(actor=p["officer"], case=case, note="已电话告知")
    assert err.value.code == "children_open"


def test_dispatch_with_supporting_bodies_creates_child_cases(people: dict[str, Any], submit: Any) -> None:
    from apps.territory.models import Organisation

    p = people
    support = Organisation.objects.create(code="HZ-ST", name="县生态环境分局", service_area=p["county"])
    case = services.case_accept(actor=p["officer"], case=submit())
    case = services.case_triage(actor=p["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=p["officer"], case=case, unit=p["t1"], supporting=[support])
    [child] = case.children.all()
    assert child.holder_org == support and child.status == Status.DISPATCHED


def test_dispatch_targets_are_checked(people: dict[str, Any], submit: Any) -> None:
    p = people
    case = services.case_accept(actor=p["cadre"], case=submit())
    case = services.case_triage(actor=p["cadre"], case=case, triage=Triage.MINOR)
    with pytest.raises(ValidationFailed) as err:
        services.case_dispatch(actor=p["cadre"], case=case, unit=p["v12"])
    assert err.value.code == "unit_outside_place"
    with pytest.raises(ValidationFailed) as err:
        services.case_dispatch(actor=p["cadre"], case=case, unit=p["t1"])
    assert err.value.code == "target_above_dispatcher"
    with pytest.raises(ValidationFailed):
        services.case_dispatch(actor=p["cadre"], case=case)


def test_leader_owns_a_case(people: dict[str, Any], submit: Any, make_staff: Any) -> None:
    from apps.accounts.choices import Role

    p = people
    case = services.case_accept(actor=p["cadre"], case=submit())
    with pytest.raises(PermissionDenied):
        services.case_own(actor=p["officer"], case=case, deadline=timezone.localdate())
    case = services.case_own(
        actor=p["leader"], case=case, deadline=timezone.localdate() + datetime.timedelta(7)
    )
    assert case.owner == p["leader"]
    assert list(selectors.owned_cases(p["leader"])) == [case]
    other = make_staff(Role.LEADER, p["county"], username="leader_b")
    with pytest.raises(Conflict):
        services.case_own(actor=other, case=case, deadline=timezone.localdate())


def test_staff_channels_need_intake_permission(people: dict[str, Any], submit: Any) -> None:
    p = people
    with pytest.raises(PermissionDenied):
        submit(actor=p["resident"], channel="hotline")
    with pytest.raises(PermissionDenied):
        submit(actor=None, channel="patrol")
    case = submit(
        actor=p["operator"], channel="hotline", submitter_name="李四", submitter_phone="13700000000"
    )
    assert case.entered_by == p["operator"] and case.submitter is None


def test_bad_input_is_refused_with_codes(people: dict[str, Any], submit: Any) -> None:
    cases = [
        ({"title": ""}, "title_required"),
        ({"description": "短"}, "description_required"),
        ({"unit": None}, "place_required"),
        ({"unit": people["county"]}, "place_too_coarse"),
        ({"submitter_phone": "12345"}, "phone_invalid"),
        ({"unit": None, "latitude": 1.0, "longitude": 2.0}, "point_out_of_range"),
        ({"latitude": 26.0}, "coordinates_incomplete"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ValidationFailed) as err:
            submit(**kwargs)
        assert err.value.code == code, kwargs
    assert Case.objects.count() == 0


def test_emergency_is_due_the_same_day(people: dict[str, Any], submit: Any) -> None:
    from apps.cases.models import Category

    fire = Category.objects.get(code="safety-fire")
    case = submit(category=fire, title="山火隐患", description="后山有人烧荒，火势靠近林区。")
    case = services.case_accept(actor=people["officer"], case=case)
    case = services.case_triage(actor=people["officer"], case=case, triage=Triage.MAJOR)
    case = services.case_dispatch(actor=people["officer"], case=case, unit=people["t1"])
    today = timezone.localdate()
    assert timezone.localtime(case.reply_due).date() == today
    assert timezone.localtime(case.sign_due).date() == today
    assert case.sla_state in (SlaState.NORMAL, SlaState.RED)


def test_a_point_finds_its_grid_and_village(people: dict[str, Any], submit: Any) -> None:
    from apps.territory import services as territory

    square = {
        "type": "Polygon",
        "coordinates": [
            [[103.30, 26.40], [103.32, 26.40], [103.32, 26.42], [103.30, 26.42], [103.30, 26.40]]
        ],
    }
    territory.grid_set_boundary(actor=people["admin"], grid=people["g11"], boundary=square)
    case = submit(unit=None, latitude=26.41, longitude=103.31)
    assert case.grid == people["g11"] and case.unit == people["v11"]
    with pytest.raises(ValidationFailed) as err:
        submit(unit=None, latitude=30.0, longitude=110.0)  # in China, but in no grid of ours
    assert err.value.code == "place_required"
