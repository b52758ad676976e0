"""Permission-matrix rows of sunshine voting (read by apps/core/tests/test_permission_matrix.py).

VOTE_VIEW: admin, leader, township officer, village cadre, supervisor, auditor (not gridders,
departments, operators, points staff). The village runs the steps and tells ballots (cadre), the
township reviews (officer), the supervision committee reports (supervisor); residents vote and
suggest on their own pages. In scope = 娜姑村; out = 迤车村 (county-wide roles only).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from apps.core.tests.matrix_support import (
    ADMIN,
    AUDITOR,
    CADRE,
    LEADER,
    OFFICER,
    RESIDENT,
    SUPERVISOR,
    case,
)
from apps.people.idnumber import make

VIEW = {ADMIN, LEADER, OFFICER, CADRE, SUPERVISOR, AUDITOR}
MANAGE = {ADMIN, CADRE}
REVIEW = {ADMIN, OFFICER}
TELLER = {ADMIN, CADRE}
SUPERVISE = {ADMIN, SUPERVISOR}
TODAY = datetime.date.today().isoformat()
# The matrix's resident votes online as 王代表; the ID tail follows from the made-up ID number.
TAIL = make("530326", datetime.date(1975, 5, 1), 21)[-4:]

PAGES = [
    case("voting:motion_list", "/voting/", VIEW),
    case("voting:motion_create", "/voting/new/", MANAGE),
    case("voting:motion_record", "/voting/record/", MANAGE),
    case("voting:summary", "/voting/summary/", VIEW),
    case("voting:summary", "/voting/summary/?unit=530326103", {ADMIN, LEADER}),
    case("voting:motion_detail", "/voting/m/{vm_in}/", VIEW),
    case("voting:motion_detail", "/voting/m/{vm_out}/", {ADMIN, LEADER}),
    case(
        "voting:motion_act",
        "/voting/m/{vm_cons}/act/review/",
        REVIEW,
        method="post",
        data={"decision": "approve", "held_on": TODAY, "minutes": "同意"},
    ),
    case(
        "voting:motion_act", "/voting/m/{vm_sug}/act/propose/", MANAGE, method="post", data={"held_on": TODAY}
    ),
    case("voting:motion_act", "/voting/m/{vm_in}/act/close/", MANAGE, method="post"),
    case(
        "voting:motion_act",
        "/voting/m/{vm_sup}/act/report/",
        SUPERVISE,
        method="post",
        data={"held_on": TODAY, "minutes": "施工进度过半"},
    ),
    case(
        "voting:motion_act",
        "/voting/m/{vm_out}/act/withdraw/",
        {ADMIN},
        method="post",
        data={"reason": "并入年度计划"},
    ),
    case("voting:attachment", "/voting/m/{vm_sug}/files/{vm_file}/", VIEW),
    case("voting:hall", "/voting/m/{vm_in}/hall/", TELLER),
    case(
        "voting:hall_enter",
        "/voting/m/{vm_in}/hall/{vm_rep2}/",
        TELLER,
        method="post",
        data={"choice": "for", "channel": "paper"},
    ),
    case("voting:screen", "/voting/m/{vm_in}/screen/", VIEW),
    case("voting:tally", "/voting/m/{vm_in}/tally/", VIEW),
    case("voting:bodies", "/voting/bodies/530326102201/", VIEW),
    case("voting:bodies", "/voting/bodies/530326103201/", {ADMIN, LEADER}),
    case(
        "voting:body_add",
        "/voting/bodies/530326102201/add/{vm_rep2}/",
        MANAGE,
        method="post",
        data={"kind": "supervision", "starts_on": TODAY},
    ),
    case("voting:body_end", "/voting/seats/{vm_seat}/end/", MANAGE, method="post", data={"ends_on": TODAY}),
    case("voting:my_voting", "/voting/my/", {RESIDENT}),
    case("voting:suggest", "/voting/my/suggest/", {RESIDENT}, method="post", data={"text": "修缮文化礼堂"}),
    case("voting:ballot", "/voting/m/{vm_in}/ballot/", {RESIDENT}),
]

API = [
    case("GET /api/voting/motions", "/api/voting/motions", VIEW),
    case("GET /api/voting/motions/{motion_id}", "/api/voting/motions/{vm_in}", VIEW),
    case("GET /api/voting/motions/{motion_id}", "/api/voting/motions/{vm_out}", {ADMIN, LEADER}),
    case("GET /api/voting/motions/{motion_id}/tally", "/api/voting/motions/{vm_in}/tally", VIEW),
    case(
        "POST /api/voting/motions/{motion_id}/ballots",
        "/api/voting/motions/{vm_in}/ballots",
        {RESIDENT},
        method="post",
        data={"choice": "for", "name": "王代表", "id_tail": TAIL},
    ),
    case(
        "POST /api/voting/motions/{motion_id}/voters/{resident_id}/ballot",
        "/api/voting/motions/{vm_in}/voters/{vm_rep2}/ballot",
        TELLER,
        method="post",
        data={"choice": "against"},
    ),
]

# Public pages of the village board (no login): covered in apps/voting/tests/test_views.py.
PUBLIC_PAGES = {"voting:public_village", "voting:public_motion", "voting:public_box"}


def records(t: dict[str, Any], users: dict[str, Any]) -> dict[str, int]:
    """Motions at several steps in 娜姑村 and one in 迤车村, made through the services."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from apps.people import services as people
    from apps.voting import services
    from apps.voting.choices import BodyKind, Choice, MotionKind

    admin = users[ADMIN]
    today = timezone.localdate()
    residents = []
    for i, (unit, name) in enumerate(
        [(t["v11"], "王代表"), (t["v11"], "李代表"), (t["v11"], "赵代表"), (t["v21"], "迤车代表")]
    ):
        household = people.household_create(
            actor=admin, unit=unit, number=f"VT{i}", address=f"票决测试 {i} 号"
        )
        residents.append(
            people.resident_create(
                actor=admin,
                household=household,
                name=name,
                relation="head",
                id_number=make("530326", datetime.date(1975, 5, 1 + i), 21 + i),
            )
        )
    seats = [
        services.body_member_add(
            actor=admin, village=r.household.unit, kind=BodyKind.REPRESENTATIVES, resident=r, starts_on=today
        )
        for r in residents
    ]
    people.resident_link_account(actor=None, resident=residents[0], account=users[RESIDENT])

    def motion(village: Any, title: str) -> Any:
        return services.motion_suggest(
            actor=admin,
            village=village,
            kind=MotionKind.WELFARE,
            title=title,
            held_on=today,
            attachments=[
                SimpleUploadedFile("会议记录.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
            ],
        )

    def to_filed(m: Any) -> Any:
        m = services.motion_propose(actor=admin, motion=m, held_on=today)
        m = services.motion_consult(actor=admin, motion=m, held_on=today, minutes="商议")
        return services.motion_review(actor=admin, motion=m, approve=True, held_on=today)

    def open_vote(m: Any) -> Any:
        now = timezone.now()
        return services.vote_open(
            actor=admin,
            motion=m,
            held_on=today,
            opens_at=now - datetime.timedelta(minutes=5),
            closes_at=now + datetime.timedelta(hours=2),
        )

    suggested = motion(t["v11"], "修缮村文化礼堂")
    consulted = services.motion_consult(
        actor=admin,
        motion=services.motion_propose(actor=admin, motion=motion(t["v11"], "村集体山林承包"), held_on=today),
        held_on=today,
        minutes="商议",
    )
    voting = open_vote(to_filed(motion(t["v11"], "村道硬化工程")))
    supervised = open_vote(to_filed(motion(t["v11"], "路灯安装")))
    for r in residents[:3]:
        services.ballot_enter(actor=admin, motion=supervised, voter=r, choice=Choice.FOR)
    supervised = services.motion_publish_result(
        actor=admin, motion=services.vote_close(actor=admin, motion=supervised)
    )
    outside = motion(t["v21"], "迤车村水池修建")
    return {
        "vm_in": voting.pk,
        "vm_sug": suggested.pk,
        "vm_cons": consulted.pk,
        "vm_sup": supervised.pk,
        "vm_out": outside.pk,
        "vm_file": suggested.steps.get().attachments.get().pk,
        "vm_rep2": residents[1].pk,
        "vm_seat": seats[2].pk,
    }
