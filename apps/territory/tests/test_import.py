"""The division importer: one county from the shipped national table, idempotence, unknown codes."""

from __future__ import annotations

import csv
import gzip
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apps.accounts.choices import Role
from apps.audit.models import AuditRecord, Event
from apps.core.errors import PermissionDenied, ValidationFailed
from apps.territory import events
from apps.territory.choices import Level, UnitKind
from apps.territory.importer import DATA_DIR, import_divisions, kind_for, short_name_for
from apps.territory.models import Unit
from apps.territory.paths import subtree_q

pytestmark = pytest.mark.django_db

HUIZE = "530326"


def _table_lines(filename: str, prefix: str) -> list[str]:
    with gzip.open(DATA_DIR / filename, "rt", encoding="utf-8") as fh:
        return [next(fh), *(line for line in fh if line.startswith(prefix))]


def _table_rows(filename: str, prefix: str) -> dict[str, str]:
    return {row["code"]: row["name"] for row in csv.DictReader(_table_lines(filename, prefix))}


def test_import_county_builds_chain_townships_and_villages() -> None:
    result = import_divisions([HUIZE])

    assert result.created == {1: 1, 2: 1, 3: 1, 4: 25, 5: 381}
    assert result.total_updated == 0
    county = Unit.objects.get(code=HUIZE)
    assert (county.name, county.level, county.kind) == ("会泽县", Level.COUNTY, UnitKind.COUNTY)
    assert (
        county.parent.code == "5303" and county.parent.name == "曲靖市" and county.parent.level == Level.CITY
    )
    assert county.parent.parent.code == "53" and county.parent.parent.name == "云南省"
    assert county.parent.parent.parent is None

    townships = Unit.objects.filter(level=Level.TOWNSHIP)
    villages = Unit.objects.filter(level=Level.VILLAGE)
    assert townships.count() == 25 and villages.count() == 381
    assert set(townships.values_list("parent_id", flat=True)) == {county.pk}
    # Every village hangs off the township whose code it extends, and its name is the table's.
    table = _table_rows("villages.csv.gz", HUIZE)
    by_code = {t.code: t.pk for t in townships}
    for code, name, parent_id in villages.values_list("code", "name", "parent_id"):
        assert parent_id == by_code[code[:9]]
        assert name == table[code]
    assert set(table) == set(villages.values_list("code", flat=True))

    kinds = dict(townships.values_list("name", "kind"))
    assert kinds["娜姑镇"] == UnitKind.TOWN
    assert kinds["大海乡"] == UnitKind.TOWNSHIP
    assert kinds["新街回族乡"] == UnitKind.TOWNSHIP
    assert kinds["古城街道"] == UnitKind.STREET
    assert Unit.objects.get(code="530326102").short_name == "娜姑镇"  # towns keep their name

    village = Unit.objects.get(code="530326001201")
    assert (village.name, village.short_name, village.kind) == (
        "青云村村民委员会",
        "青云村",
        UnitKind.VILLAGE,
    )
    community = Unit.objects.get(code="530326002004")
    assert (community.short_name, community.kind) == ("赵家村社区", UnitKind.COMMUNITY)
    assert (
        villages.filter(kind=UnitKind.COMMUNITY).count() + villages.filter(kind=UnitKind.VILLAGE).count()
        == 381
    )
    assert not villages.filter(short_name__endswith="委员会").exists()


def test_import_writes_one_event_and_no_audit_records() -> None:
    audits_before = AuditRecord.objects.count()
    import_divisions([HUIZE])
    assert AuditRecord.objects.count() == audits_before
    event = Event.objects.get(event_type=events.UNITS_IMPORTED)
    assert event.scope_code == HUIZE
    assert event.data["roots"] == [HUIZE]
    assert event.data["created"] == {"1": 1, "2": 1, "3": 1, "4": 25, "5": 381}
    assert event.data["total_created"] == 409


def test_reimport_is_idempotent_and_keeps_hand_edits() -> None:
    import_divisions([HUIZE])
    # A short name edited by hand survives a re-import while the official name is unchanged.
    Unit.objects.filter(code="530326102201").update(short_name="娜姑村（老街）")
    snapshot = list(
        Unit.objects.order_by("code").values_list("id", "code", "name", "parent_id", "kind", "updated_at")
    )
    events_before = Event.objects.count()

    result = import_divisions([HUIZE])

    assert result.total_created == 0 and result.total_updated == 0
    assert result.seen == {1: 1, 2: 1, 3: 1, 4: 25, 5: 381}
    assert list(
        Unit.objects.order_by("code").values_list("id", "code", "name", "parent_id", "kind", "updated_at")
    ) == (snapshot)
    assert Unit.objects.get(code="530326102201").short_name == "娜姑村（老街）"
    assert Event.objects.count() == events_before  # nothing changed, nothing to record


def test_renamed_unit_gets_new_name(tmp_path: Path) -> None:
    import_divisions([HUIZE])
    # A new edition of the table renames one village (a copy cut down to the county, to stay fast).
    data = tmp_path / "divisions"
    data.mkdir()
    for name in ("provinces.csv", "cities.csv", "areas.csv"):
        shutil.copy(DATA_DIR / name, data / name)
    with gzip.open(data / "streets.csv.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(_table_lines("streets.csv.gz", HUIZE))
    old_name = Unit.objects.get(code="530326102201").name
    lines = [
        line.replace(f'"{old_name}"', '"新娜姑村民委员会"') if line.startswith("530326102201,") else line
        for line in _table_lines("villages.csv.gz", HUIZE)
    ]
    with gzip.open(data / "villages.csv.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(lines)

    result = import_divisions([HUIZE], data_dir=data)

    assert result.updated[Level.VILLAGE] == 1 and result.total_created == 0
    renamed = Unit.objects.get(code="530326102201")
    assert (renamed.name, renamed.short_name) == ("新娜姑村民委员会", "新娜姑村")


def test_unknown_code_changes_nothing() -> None:
    import_divisions(["530326102"])
    units_before = list(Unit.objects.values_list("code", "name"))
    events_before = Event.objects.count()

    for bad in (["999999"], [HUIZE, "999999"], ["530326999"], ["5399"], ["12345"], ["abc"]):
        with pytest.raises(ValidationFailed) as err:
            import_divisions(bad)
        assert err.value.code == "unknown_division_code"
        assert "未知的区划代码" in err.value.message

    assert list(Unit.objects.values_list("code", "name")) == units_before
    assert Event.objects.count() == events_before


def test_township_only_import() -> None:
    result = import_divisions(["530326102"])

    assert result.created == {1: 1, 2: 1, 3: 1, 4: 1, 5: len(_table_rows("villages.csv.gz", "530326102"))}
    assert set(Unit.objects.filter(level__lte=Level.TOWNSHIP).values_list("code", flat=True)) == {
        "53",
        "5303",
        HUIZE,
        "530326102",
    }
    nagu = Unit.objects.get(code="530326102")
    assert nagu.kind == UnitKind.TOWN and nagu.parent.code == HUIZE
    assert Unit.objects.filter(level=Level.VILLAGE).exclude(parent=nagu).count() == 0

    # Importing the whole county afterwards adds the rest and reuses the chain.
    result = import_divisions([HUIZE])
    assert result.created[Level.TOWNSHIP] == 24 and result.created[Level.COUNTY] == 0
    assert Unit.objects.filter(level=Level.VILLAGE).count() == 381


def test_subtree_q_returns_exactly_the_descendants() -> None:
    import_divisions([HUIZE, "530325"])  # 会泽县 and its neighbour 富源县 in the same city
    nagu = Unit.objects.get(code="530326102")
    in_subtree = set(Unit.objects.filter(subtree_q(nagu.code)).values_list("pk", flat=True))
    # Walk the tree through parent links to get the expected set independently of codes.
    expected, frontier = {nagu.pk}, [nagu.pk]
    while frontier:
        frontier = list(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        expected.update(frontier)
    assert in_subtree == expected
    assert len(expected) == 1 + Unit.objects.filter(parent=nagu).count()
    county = set(Unit.objects.filter(subtree_q(HUIZE)).values_list("code", flat=True))
    assert len(county) == 1 + 25 + 381
    assert not any(code.startswith("530325") for code in county)


def test_actor_must_manage_the_root(tiny_county, make_staff) -> None:
    officer = make_staff(Role.TOWNSHIP_OFFICER, tiny_county["t1"])
    with pytest.raises(PermissionDenied):
        import_divisions([HUIZE], actor=officer)
    admin = make_staff(Role.COUNTY_ADMIN, tiny_county["county"])
    with pytest.raises(PermissionDenied):
        import_divisions([], all_=True, actor=admin)
    result = import_divisions([HUIZE], actor=admin)
    # tiny_county holds 8 of the units already (its 迤车村 530326103201 is not in the table), with
    # made-up village names that the official ones replace.
    assert result.total_created == 409 - 8
    assert result.updated[Level.VILLAGE] == 3 and result.total_updated == 3
    assert Unit.objects.get(code="530326102201").short_name == "大闸村"
    assert Event.objects.get(event_type=events.UNITS_IMPORTED).actor == admin


@pytest.mark.parametrize(
    ("name", "short"),
    [
        ("青云村村民委员会", "青云村"),
        ("妥洛村民委员会", "妥洛村"),
        ("多福巷社区居委会", "多福巷社区"),
        ("堂琅社区居民委员会", "堂琅社区"),
        ("东风居委会", "东风社区"),
        ("大营村委会", "大营村"),
        ("塔拉嘎查委员会", "塔拉嘎查"),
        ("八连生活区", "八连生活区"),
        ("小村子村", "小村子村"),
    ],
)
def test_short_names(name: str, short: str) -> None:
    assert short_name_for(name, Level.VILLAGE) == short
    assert short_name_for("娜姑镇", Level.TOWNSHIP) == "娜姑镇"


def test_kinds_from_name_suffix() -> None:
    assert kind_for("沾化区", Level.COUNTY) == UnitKind.DISTRICT
    assert kind_for("会泽县", Level.COUNTY) == UnitKind.COUNTY
    assert kind_for("海防办事处", Level.TOWNSHIP) == UnitKind.STREET
    assert kind_for("一六五团", Level.TOWNSHIP) == UnitKind.OTHER
    assert kind_for("多福巷社区居委会", Level.VILLAGE) == UnitKind.COMMUNITY
    assert kind_for("八连生活区", Level.VILLAGE) == UnitKind.OTHER


def test_command_prints_counts_and_refuses_unknown_codes() -> None:
    out = StringIO()
    call_command("import_divisions", HUIZE, stdout=out)
    assert "新建 381" in out.getvalue() and "合计新建 409" in out.getvalue()
    with pytest.raises(CommandError, match="未知的区划代码 999999"):
        call_command("import_divisions", "999999", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("import_divisions", stdout=StringIO())
