"""Who gets what from every URL of ours: the answer for each role, from the URL resolver.

A new view of ours without an entry in MATRIX (tests/helpers/access_matrix.py) fails
test_every_url_of_ours_is_in_the_matrix, so nobody adds a page without deciding who may see
it.
"""

import pytest
from django.urls import reverse

from tests.case_world import our_urls
from tests.helpers.access_matrix import (
    ELSEWHERE,
    LOGIN,
    MATRIX,
    OK,
    PAGE,
    ROLES,
    SELF_SERVICE_ON,
    World,
)


def test_every_url_of_ours_is_in_the_matrix():
    assert {name for name, _ in our_urls()} == set(MATRIX)


@pytest.fixture
def world(db):
    return World()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(MATRIX))
def test_access(client, world, name, role):
    _check(client, world, name, role, MATRIX[name][2][role])


@pytest.mark.parametrize("name", list(SELF_SERVICE_ON))
def test_access_of_the_owner_with_self_service_on(client, world, name, settings):
    settings.LEAKCASE_SURVIVOR_SELF_SERVICE = True
    _check(client, world, name, "owner", SELF_SERVICE_ON[name])


def _check(client, world, name, role, expected):
    method, data, _ = MATRIX[name]
    if role != "anonymous":
        client.force_login(world.users[role])
    url = world.url(name)
    payload = data(world) if callable(data) else data
    response = client.post(url, payload) if method == "POST" else client.get(url)
    login_url = reverse("account_login")
    if expected == LOGIN:
        assert response.status_code == 302, (name, role, response.status_code)
        assert response["Location"].startswith(login_url), (name, role)
    elif expected in (OK, ELSEWHERE, PAGE):
        wanted = 200 if (expected, method) in ((OK, "GET"), (PAGE, "POST")) else 302
        assert response.status_code == wanted, (name, role, response.status_code)
        if wanted == 302:
            assert not response["Location"].startswith(login_url), (name, role)
    else:
        assert response.status_code == expected, (name, role, response.status_code)
