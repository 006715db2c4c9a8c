from django.urls import reverse

from platforms.models import Platform


def test_supervisors_edit_the_directory_and_a_channel_needs_its_source(client, supervisor):
    client.force_login(supervisor)
    url = reverse("platforms:new")
    data = {
        "name": "Example Tube",
        "kind": "adult",
        "report_form_url": "https://exampletube.example/report",
        "abuse_email": "",
        "legal_bases": ["platform_policy", "dsa"],
        "expected_response_hours": 24,
        "checks_per_minute": 120,
        "source": "",
        "notes": "",
        "domains_text": "exampletube.example\nEXAMPLETUBE-CDN.example",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Say where the contact channel comes from." in refused.content.decode()
    response = client.post(url, {**data, "source": "https://exampletube.example/terms"})
    assert response.status_code == 302
    platform = Platform.objects.get(slug="example-tube")
    assert platform.checks_per_minute == 120  # a big site may take more of our checks
    assert sorted(platform.domains.values_list("domain", flat=True)) == [
        "exampletube-cdn.example",
        "exampletube.example",
    ]
    # No checks at all would leave her links there unwatched.
    stopped = client.post(url, {**data, "name": "Quiet", "source": "s", "checks_per_minute": 0})
    assert stopped.status_code == 400 and not Platform.objects.filter(name="Quiet").exists()
    taken = client.post(url, {**data, "name": "Copycat", "source": "s", "domains_text": "x.com"})
    assert taken.status_code == 400
    assert "Already in the directory under: x.com (X (Twitter))" in taken.content.decode()
