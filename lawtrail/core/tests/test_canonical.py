import datetime
import decimal

import pytest
import rfc8785

from lawtrail.core.canonical import canonical_bytes, content_hash


SAMPLES = [
    {"b": 1, "a": "执法", "c": [True, False, None], "nested": {"z": "\n\t\"\\", "y": "\u0001"}},
    {"seq": 12, "reason": "当事人拒绝签字 😀", "empty": "", "list": []},
]


@pytest.mark.parametrize("value", SAMPLES)
def test_it_matches_rfc8785_for_the_values_we_hash(value):
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_it_normalises_times_to_utc():
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    t = datetime.datetime(2026, 11, 23, 9, 0, 0, 5, tzinfo=shanghai)
    assert canonical_bytes({"t": t}) == b'{"t":"2026-11-23T01:00:00.000005Z"}'


def test_it_refuses_naive_times_and_floats():
    with pytest.raises(ValueError):
        canonical_bytes({"t": datetime.datetime(2026, 1, 1)})
    with pytest.raises(ValueError):
        canonical_bytes({"x": 1.5})


def test_it_hashes_decimals_and_dates_as_text():
    assert content_hash({"d": decimal.Decimal("1.50"), "day": datetime.date(2026, 1, 2)}) == content_hash(
        {"d": "1.50", "day": "2026-01-02"}
    )
