"""The search engines whose results we track, apart from removal.

A page the host removed can still show in search (its title, a cached thumbnail), and a
result the engine dropped can still be online: "delisted is not deleted", "deleted is not
delisted". Each engine has two tools: its NCII request (a request in the platform directory,
sent through takedowns like any other), and its tool for results of pages that are gone.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEngine(models.TextChoices):
    GOOGLE = "google", "Google"
    BING = "bing", "Bing"


@dataclass(frozen=True)
class Engine:
    code: str
    name: str
    # The engine's entry in the platform directory (platforms/platform_directory.json): its
    # NCII delisting request is a takedown request to it.
    platform_slug: str
    # For results whose page is gone: the engine recrawls the address and drops the result.
    outdated_tool_name: str
    outdated_tool_url: str
    outdated_tool_source: str


ENGINES = {
    SearchEngine.GOOGLE: Engine(
        code=SearchEngine.GOOGLE,
        name="Google",
        platform_slug="google-search",
        outdated_tool_name="Refresh Outdated Content",
        outdated_tool_url="https://search.google.com/search-console/remove-outdated-content",
        outdated_tool_source="https://support.google.com/websearch/answer/9673730",
    ),
    SearchEngine.BING: Engine(
        code=SearchEngine.BING,
        name="Bing",
        platform_slug="bing",
        outdated_tool_name="Content Removal Tool",
        outdated_tool_url="https://www.bing.com/webmasters/tools/contentremoval",
        outdated_tool_source="https://www.bing.com/webmasters/help/bing-content-removal-tool-cb6c294d",
    ),
}


class Listing(models.TextChoices):
    """What a person saw when they searched for the address (we do not scrape search
    engines: their terms forbid it, and a search from our servers is not what she sees)."""

    UNKNOWN = "unknown", _("Not checked yet")
    LISTED = "listed", _("Shows in results")
    NOT_LISTED = "not_listed", _("Not in results")
