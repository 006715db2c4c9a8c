import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cases.services import case_assign
from digests.messages import unsubscribe_token
from digests.models import WeeklyStatus
from digests.views import EMAIL_PREVIEW_CSP
from outbox.models import EmailKind, EmailStatus, OutgoingEmail
from tests.digests.conftest import NOW, Week

pytestmark = pytest.mark.django_db
SETTINGS = reverse("digests:settings")


def form(**overrides):
    return {
        "enabled": "1",
        "weekday": "0",
        "hour": "9",
        "time_zone": "Pacific/Auckland",
        "quiet_weeks": "on",
        **overrides,
    }


class TestSettings:
    def test_she_picks_her_day_hour_and_time_zone(self, client, survivor):
        with time_machine.travel(NOW, tick=False):
            client.force_login(survivor)
            response = client.post(SETTINGS, form(weekday="2", hour="19"), follow=True)
        status = WeeklyStatus.objects.get(user=survivor)
        assert (status.weekday, status.hour, status.time_zone) == (2, 19, "Pacific/Auckland")
        # Wednesday 2 December 19:00 in Auckland.
        assert "Wednesday 2 December 2026, 19:00" in response.content.decode()
        assert status.next_digest_at == dt.datetime(2026, 12, 2, 6, tzinfo=dt.UTC)

    def test_never_turns_it_off(self, client, survivor):
        client.force_login(survivor)
        response = client.post(SETTINGS, form(enabled="0"), follow=True)
        assert "Weekly emails are off." in response.content.decode()
        assert WeeklyStatus.objects.get(user=survivor).next_digest_at is None

    @pytest.mark.parametrize(
        ("field", "value"),
        [("time_zone", "Mars/Olympus_Mons"), ("hour", "24"), ("weekday", "7"), ("hour", "x")],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, client, survivor, field, value):
        client.force_login(survivor)
        client.get(SETTINGS)
        before = WeeklyStatus.objects.values().get(user=survivor)
        response = client.post(SETTINGS, form(**{field: value}))
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert WeeklyStatus.objects.values().get(user=survivor) == before

    def test_the_page_costs_a_few_queries(self, client, survivor, django_assert_max_num_queries):
        client.force_login(survivor)
        client.get(SETTINGS)
        with django_assert_max_num_queries(6):
            assert client.get(SETTINGS).status_code == 200


class TestUnsubscribe:
    def url(self, user):
        return reverse("digests:unsubscribe", args=[unsubscribe_token(user.pk)])

    def test_opening_the_link_only_asks(self, client, survivor):
        WeeklyStatus.objects.create(user=survivor, next_digest_at=NOW)
        response = client.get(self.url(survivor))
        assert response.status_code == 200
        assert "Stop weekly emails" in response.content.decode()
        assert WeeklyStatus.objects.get(user=survivor).enabled is True

    def test_one_click_post_works_without_login_or_csrf_token(self, survivor):
        WeeklyStatus.objects.create(user=survivor, next_digest_at=NOW)
        mail_client = Client(enforce_csrf_checks=True)
        response = mail_client.post(self.url(survivor), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        assert "Weekly emails stopped" in response.content.decode()
        status = WeeklyStatus.objects.get(user=survivor)
        assert (status.enabled, status.next_digest_at) == (False, None)

    @pytest.mark.parametrize("token", ["garbage", "MQ:1xXxEu:tampered", "x" * 300])
    def test_a_broken_link_says_so_and_changes_nothing(self, client, survivor, token):
        WeeklyStatus.objects.create(user=survivor, next_digest_at=NOW)
        response = client.post(reverse("digests:unsubscribe", args=[token]))
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
        assert WeeklyStatus.objects.get(user=survivor).enabled is True


class TestPreview:
    def test_staff_see_their_own_digest(self, client, caseworker):
        client.force_login(caseworker)
        response = client.get(reverse("digests:preview"))
        body = response.content.decode()
        assert "Your weekly email" in body and "Cases assigned to you" in body

    def test_staff_see_her_digest_for_a_case_they_may_see(self, client, caseworker, survivor):
        week = Week(survivor, caseworker)
        case = week.cases[0]
        case_assign(case=case, to=caseworker, acting_user=caseworker)
        client.force_login(caseworker)
        url = reverse("digests:preview") + f"?case={case.reference}"
        body = client.get(url).content.decode()
        assert "Her weekly email" in body and "Links reported" in body
        for secret in week.secrets():
            if secret != case.reference:  # the page itself names the case it was asked for
                assert secret not in body.split("Plain text version")[1], secret
        html = client.get(reverse("digests:preview_html") + f"?case={case.reference}")
        assert html["Content-Security-Policy"] == EMAIL_PREVIEW_CSP
        assert "Links reported" in html.content.decode()

    def test_a_case_they_may_not_see_is_not_found(
        self, client, other_caseworker, survivor, caseworker
    ):
        week = Week(survivor, caseworker)
        case_assign(case=week.cases[0], to=caseworker, acting_user=caseworker)
        client.force_login(other_caseworker)
        response = client.get(reverse("digests:preview") + f"?case={week.cases[0].reference}")
        assert response.status_code == 404


class TestOnTheCaseFile:
    def test_staff_see_whether_her_weekly_email_goes_out(self, client, supervisor, case):
        survivor = case.survivor
        WeeklyStatus.objects.create(user=survivor, weekday=2, hour=7, time_zone="Europe/Oslo")
        OutgoingEmail.objects.create(
            user=survivor,
            kind=EmailKind.SURVIVOR_WEEKLY,
            scheduled_for=NOW,
            status=EmailStatus.FAILED,
            last_error="SMTPRecipientsRefused: 550 Mailbox unavailable",
        )
        client.force_login(supervisor)
        page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
        assert "On, Wednesdays 07:00 (Europe/Oslo)" in page
        assert "last one failed: SMTPRecipientsRefused: 550 Mailbox unavailable" in page
        assert f"/email/preview/?case={case.reference}" in page

    def test_survivors_do_not_see_that_panel(self, client, case):
        client.force_login(case.survivor)
        page = client.get(reverse("cases:detail", args=[case.reference])).content.decode()
        assert "Weekly email" not in page


def test_opening_the_settings_page_without_saving_keeps_her_scheduled(client, survivor):
    client.force_login(survivor)
    assert client.get(SETTINGS).status_code == 200
    status = WeeklyStatus.objects.get(user=survivor)
    assert status.enabled and status.next_digest_at is not None


class TestUpdateNoticeSettings:
    URL = reverse("digests:update_notice_settings")

    @pytest.mark.parametrize("user_fixture", ["survivor", "caseworker"])
    def test_each_person_turns_new_message_emails_off_and_on(self, client, request, user_fixture):
        from cases.models import UpdateNotice

        user = request.getfixturevalue(user_fixture)
        client.force_login(user)
        page = client.get(SETTINGS).content.decode()
        assert "New message emails" in page
        response = client.post(self.URL, {"enabled": "0"})
        assert response.status_code == 302
        assert response["Location"] == SETTINGS
        assert UpdateNotice.objects.get(user=user).enabled is False
        assert (
            "You will not get emails about new messages." in client.get(SETTINGS).content.decode()
        )
        client.post(self.URL, {"enabled": "1"})
        assert UpdateNotice.objects.get(user=user).enabled is True

    def test_bad_input_says_so_and_changes_nothing(self, client, survivor):
        from cases.models import UpdateNotice

        client.force_login(survivor)
        response = client.post(self.URL, {"enabled": "maybe"}, follow=True)
        assert "Nothing was changed" in response.content.decode()
        assert not UpdateNotice.objects.filter(user=survivor).exists()
