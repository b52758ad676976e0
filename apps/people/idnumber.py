"""Citizen ID numbers (公民身份号码, GB 11643-1999): validation and what the number tells.

18 characters: 6-digit region code, 8-digit birth date, 3-digit sequence (odd = male), and an
ISO 7064 MOD 11-2 check character (0–9 or X). The check character catches every single-digit
error and every swap of two adjacent different digits.
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK_CHARS = "10X98765432"
DIVISIONS = Path(__file__).resolve().parent.parent / "territory" / "data" / "divisions"


class InvalidIdNumber(ValueError):
    """Carries a Chinese message and an error code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class IdInfo:
    number: str
    region: str
    birth_date: datetime.date
    gender: str  # "male" | "female"


def check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


@lru_cache(maxsize=1)
def _known_regions() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    def codes(name: str) -> frozenset[str]:
        with (DIVISIONS / name).open(encoding="utf-8") as fh:
            return frozenset(row["code"] for row in csv.DictReader(fh))

    return codes("provinces.csv"), codes("cities.csv"), codes("areas.csv")


def region_known(region: str) -> bool:
    """The county code is current, or (for numbers issued before a re-division) its city is."""
    _, cities, areas = _known_regions()
    return region in areas or region[:4] in cities


def normalise(raw: str) -> str:
    return (raw or "").strip().replace(" ", "").upper()


def parse(raw: str, *, today: datetime.date | None = None) -> IdInfo:
    """Validate and decode; raises InvalidIdNumber with the specific reason."""
    number = normalise(raw)
    if not number:
        raise InvalidIdNumber("身份证号为空。", "id_empty")
    if len(number) != 18:
        raise InvalidIdNumber(f"身份证号应为 18 位，实际 {len(number)} 位。", "id_length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise InvalidIdNumber("身份证号前 17 位须为数字，最后一位为数字或 X。", "id_characters")
    if check_char(number[:17]) != number[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对是否输错。", "id_checksum")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError as exc:
        raise InvalidIdNumber(f"身份证号中的出生日期 {number[6:14]} 不是有效日期。", "id_birth_date") from exc
    today = today or datetime.date.today()
    if birth > today or birth.year < 1890:
        raise InvalidIdNumber(f"身份证号中的出生日期 {birth:%Y-%m-%d} 不合理。", "id_birth_date")
    if not region_known(number[:6]):
        raise InvalidIdNumber(f"身份证号的地区码 {number[:6]} 不存在。", "id_region")
    gender = "male" if int(number[16]) % 2 == 1 else "female"
    return IdInfo(number=number, region=number[:6], birth_date=birth, gender=gender)


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


def make(region: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid number (demo data and tests): sequence 0–999, odd = male."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
