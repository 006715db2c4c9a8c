import datetime as dt

import pytest

from digests.models import WeeklyStatus, next_digest_slot

UTC = dt.UTC


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("time_zone", "after", "expected"),
    [
        # Monday 30 Nov 2026 09:00 in Auckland (NZDT, UTC+13) is Sunday 20:00 UTC.
        ("Pacific/Auckland", at(2026, 11, 25, 12), at(2026, 11, 29, 20)),
        # Monday 30 Nov 2026 09:00 in Los Angeles (PST, UTC-8) is Monday 17:00 UTC.
        ("America/Los_Angeles", at(2026, 11, 25, 12), at(2026, 11, 30, 17)),
        ("UTC", at(2026, 11, 25, 12), at(2026, 11, 30, 9)),
        # Exactly at the slot: the next one, a week on (strictly after).
        ("UTC", at(2026, 11, 30, 9), at(2026, 12, 7, 9)),
        # A minute before: this one.
        ("UTC", at(2026, 11, 30, 8, 59), at(2026, 11, 30, 9)),
        # Across a daylight-saving change the local hour holds: LA moves to PDT on 8 Mar 2026.
        ("America/Los_Angeles", at(2026, 3, 3, 0), at(2026, 3, 9, 16)),
    ],
)
def test_next_slot_is_her_local_hour(time_zone, after, expected):
    assert next_digest_slot(weekday=0, hour=9, time_zone=time_zone, after=after) == expected


def test_an_hour_lost_to_daylight_saving_still_gets_a_digest():
    # 02:00 does not exist in Los Angeles on Sunday 8 March 2026; the slot is 03:00 PDT.
    slot = next_digest_slot(
        weekday=6, hour=2, time_zone="America/Los_Angeles", after=at(2026, 3, 7, 0)
    )
    assert slot == at(2026, 3, 8, 10)


def test_changing_the_day_right_after_a_digest_waits_six_days():
    status = WeeklyStatus(weekday=1, hour=9, time_zone="UTC", last_digest_at=at(2026, 11, 30, 9))
    # Monday's digest went; she moves to Tuesday: not tomorrow, but the Tuesday after.
    assert status.slot_after(at(2026, 11, 30, 10)) == at(2026, 12, 8, 9)
    never_had_one = WeeklyStatus(weekday=1, hour=9, time_zone="UTC")
    assert never_had_one.slot_after(at(2026, 11, 30, 10)) == at(2026, 12, 1, 9)
