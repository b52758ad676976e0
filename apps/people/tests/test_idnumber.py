"""GB 11643 ID numbers: every valid number passes; any single-digit change or adjacent swap fails."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apps.people import idnumber
from apps.people.idnumber import InvalidIdNumber

REGIONS = ["530326", "330825", "371603", "331102", "110101"]
valid_ids = st.builds(
    idnumber.make,
    st.sampled_from(REGIONS),
    st.dates(min_value=datetime.date(1920, 1, 1), max_value=datetime.date(2025, 12, 31)),
    st.integers(min_value=0, max_value=999),
)


@given(valid_ids)
def test_every_valid_number_passes_and_decodes(number: str) -> None:
    info = idnumber.parse(number)
    assert info.number == number
    assert info.birth_date == datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    assert info.gender == ("male" if int(number[16]) % 2 else "female")


@settings(max_examples=300)
@given(valid_ids, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=10))
def test_any_single_character_change_fails(number: str, position: int, shift: int) -> None:
    alphabet = "0123456789X" if position == 17 else "0123456789"
    current = alphabet.index(number[position])
    changed = alphabet[(current + shift) % len(alphabet)]
    if changed == number[position]:
        return
    assert not idnumber.is_valid(number[:position] + changed + number[position + 1 :])


@settings(max_examples=300)
@given(valid_ids, st.integers(min_value=0, max_value=16))
def test_any_adjacent_swap_of_different_characters_fails(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    assert not idnumber.is_valid(swapped)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_empty"),
        ("53032619900101123", "id_length"),
        ("5303261990010112345", "id_length"),
        ("53032619900101A234", "id_characters"),
        ("53032619900101123" + "0", "id_checksum"),  # its check character is 3
        ("530326" + "19900230" + "123" + idnumber.check_char("53032619900230123"), "id_birth_date"),
        ("999999" + "19900101" + "123" + idnumber.check_char("99999919900101123"), "id_region"),
    ],
)
def test_specific_reasons(raw: str, code: str) -> None:
    with pytest.raises(InvalidIdNumber) as err:
        idnumber.parse(raw)
    assert err.value.code == code
    assert err.value.message


def test_future_birth_date_is_refused() -> None:
    future = idnumber.make("530326", datetime.date(2030, 1, 1), 1)
    with pytest.raises(InvalidIdNumber) as err:
        idnumber.parse(future, today=datetime.date(2026, 11, 21))
    assert err.value.code == "id_birth_date"


def test_lowercase_x_and_spaces_are_normalised() -> None:
    for seq in range(1000):
        number = idnumber.make("530326", datetime.date(1985, 6, 15), seq)
        if number.endswith("X"):
            break
    assert idnumber.parse(" " + number[:-1] + "x ").number == number
