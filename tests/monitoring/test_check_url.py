"""`manage.py check_url` (monitoring/management/commands/check_url.py): what a worker sees."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from tests.monitoring.conftest import HER_IMAGE

pytestmark = pytest.mark.usefixtures("allow_local")


def test_check_url_prints_what_a_worker_sees(server, case, her_references):
    out = StringIO()
    call_command("check_url", server + "/image", "--case", case.reference, "--json", stdout=out)
    found = json.loads(out.getvalue())
    assert set(found) == {
        "outcome", "http_status", "final_url", "content_type", "bytes", "elapsed_ms",
        "distance", "error",
    }  # fmt: skip
    assert (found["outcome"], found["http_status"], found["content_type"]) == (
        "live",
        200,
        "image/jpeg",
    )
    assert found["bytes"] == len(HER_IMAGE)
    plain = StringIO()
    call_command("check_url", server + "/gone", stdout=plain)
    assert "outcome       removed" in plain.getvalue()
