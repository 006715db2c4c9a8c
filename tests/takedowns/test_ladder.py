"""The ladder's data (takedowns/ladder.py): each route's rungs in order, each rung's wait
with its source, each rung a template, the regulators with theirs."""

from pathlib import Path

import pytest
from django.conf import settings

from takedowns import ladder
from takedowns.models import LegalBasis, Rung


def test_every_route_climbs_site_host_registrar_cdn_then_its_regulators():
    along = [Rung.SITE, Rung.HOST, Rung.REGISTRAR, Rung.CDN]
    assert ladder.ladder_for(LegalBasis.TAKE_IT_DOWN) == [*along, Rung.FTC]
    assert ladder.ladder_for(LegalBasis.DSA) == [
        *along,
        Rung.DSA_COMPLAINT,
        Rung.DSA_SETTLEMENT,
        Rung.DSA_COORDINATOR,
    ]
    assert ladder.ladder_for(LegalBasis.DMCA) == along
    assert ladder.ladder_for(LegalBasis.PLATFORM_POLICY) == along
    # Without a regulator, the ladder says what fits beyond it (no legal advice).
    assert "lawyer" in ladder.BEYOND_THE_LADDER[LegalBasis.DMCA]
    assert "TAKE IT DOWN Act" in ladder.BEYOND_THE_LADDER[LegalBasis.PLATFORM_POLICY]


def test_next_rung_passes_over_skipped_rungs_and_stops_at_the_top():
    assert ladder.next_rung(LegalBasis.DSA, Rung.SITE) == Rung.HOST
    assert ladder.next_rung(LegalBasis.DSA, Rung.SITE, (Rung.HOST,)) == Rung.REGISTRAR
    assert ladder.next_rung(LegalBasis.DSA, Rung.CDN) == Rung.DSA_COMPLAINT
    assert ladder.next_rung(LegalBasis.TAKE_IT_DOWN, Rung.FTC) is None
    assert ladder.next_rung(LegalBasis.DMCA, Rung.CDN) is None
    assert ladder.next_rung(LegalBasis.DMCA, Rung.FTC) is None  # not on this route


@pytest.mark.parametrize("rung", Rung.values)
def test_every_rung_says_its_wait_with_a_source_and_has_a_template(rung):
    spec = ladder.RUNGS[rung]
    assert spec.rung == rung
    assert len(spec.wait_source) > 40
    assert str(spec.for_her).startswith("We have")
    if rung != Rung.SITE:
        folder = Path(settings.BASE_DIR) / "templates" / "notices"
        assert (folder / f"{rung}-v1.txt").exists()


def test_the_defaults_and_their_sources():
    assert ladder.RUNGS[Rung.HOST].default_wait_hours == 72
    assert "Art. 16(6)" in ladder.RUNGS[Rung.HOST].wait_source
    assert ladder.RUNGS[Rung.REGISTRAR].default_wait_hours == 120
    assert "3.18" in ladder.RUNGS[Rung.REGISTRAR].wait_source
    assert ladder.RUNGS[Rung.DSA_SETTLEMENT].default_wait_hours == 90 * 24
    assert "Art. 21(4)" in ladder.RUNGS[Rung.DSA_SETTLEMENT].wait_source
    assert ladder.RUNGS[Rung.FTC].default_wait_hours is None  # the last rung
    assert "223a(a)(3)" in ladder.RUNGS[Rung.SITE].wait_source


def test_regulators_come_from_the_table_with_their_sources():
    assert ladder.regulator_for(Rung.FTC).form_url == "https://reportfraud.ftc.gov/"
    assert ladder.regulator_for(Rung.DSA_COORDINATOR, country="ie").name == "Coimisiún na Meán"
    anywhere = ladder.regulator_for(Rung.DSA_COORDINATOR, country="PT")
    assert anywhere is ladder.ANY_COORDINATOR
    complaint = ladder.regulator_for(
        Rung.DSA_COMPLAINT, site="Example", site_form="https://example.test/appeal"
    )
    assert complaint.name == "Example's internal complaint system"
    assert complaint.form_url == "https://example.test/appeal"
    assert ladder.regulator_for(Rung.HOST) is None
    for regulator in (ladder.FTC, ladder.DSA_SETTLEMENT_BODIES, ladder.ANY_COORDINATOR):
        assert regulator.source
