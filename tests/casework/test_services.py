import datetime as dt

from casework.services import case_triage
from evidence.services import sighting_log


def test_raising_priority_brings_live_links_due_sooner_never_later(case, survivor, supervisor):
    sighting = sighting_log(case=case, url="https://x.com/a", acting_user=survivor)
    normal_due = sighting.action_due_at
    assert normal_due - sighting.created_at == dt.timedelta(hours=72)
    case_triage(
        case=case,
        priority="urgent",
        involves_minor=True,
        threats_or_extortion=False,
        acting_user=supervisor,
    )
    sighting.refresh_from_db()
    assert sighting.action_due_at - sighting.created_at == dt.timedelta(hours=12)
    case_triage(
        case=case,
        priority="normal",
        involves_minor=False,
        threats_or_extortion=False,
        acting_user=supervisor,
    )
    sighting.refresh_from_db()
    assert sighting.action_due_at - sighting.created_at == dt.timedelta(hours=12)
