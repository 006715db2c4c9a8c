"""The weekly status emails' fixtures, for the delivery tests that send them."""

from tests.digests.conftest import her_case  # noqa: F401 (a fixture)
