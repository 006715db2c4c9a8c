"""The pace of rechecks for the platforms already in the directory.

Most sighted links sit on a handful of big platforms, and a national service rechecks about
900,000 links a day (bench/benchmarks/sizing.py): at the default of 20 checks a minute a
site (platforms.models.DEFAULT_CHECKS_PER_MINUTE, 28,800 a day) the links on one big
platform alone would fall behind. Sites that serve billions of requests a day do not notice
300 a minute from us (5 a second, 432,000 a day: a page and a few of its images each); mid-
sized sites get 60 a minute; everything else, small forums and sites we do not know, keeps
the default. Matched by slug, so a platform staff renamed keeps its pace and one they
removed is skipped; a pace staff already changed from the default is left as it is.
Reversing leaves the values (the field itself goes with 0002).
"""

from django.db import migrations

BIG = 300
MID = 60
PACE = {
    **dict.fromkeys(
        [
            "x-twitter",
            "facebook",
            "instagram",
            "threads",
            "reddit",
            "tiktok",
            "snapchat",
            "tumblr",
            "pinterest",
            "telegram",
            "discord",
            "youtube",
            "pornhub",
            "xvideos",
            "xnxx",
            "xhamster",
            "imgur",
            "dropbox",
            "google-drive",
            "google-search",
            "bing",
        ],
        BIG,
    ),
    **dict.fromkeys(
        [
            "bluesky",
            "vimeo",
            "onlyfans",
            "fansly",
            "spankbang",
            "erome",
            "motherless",
            "imgbb",
            "postimages",
            "4chan",
            "mega",
            "mediafire",
            "yandex",
        ],
        MID,
    ),
}
DEFAULT = 20  # platforms.models.DEFAULT_CHECKS_PER_MINUTE when this was written


def set_pace(apps, schema_editor):
    Platform = apps.get_model("platforms", "Platform")
    for slug, pace in PACE.items():
        Platform.objects.filter(slug=slug, checks_per_minute=DEFAULT).update(
            checks_per_minute=pace
        )


class Migration(migrations.Migration):
    dependencies = [("platforms", "0002_checks_per_minute")]

    operations = [migrations.RunPython(set_pace, migrations.RunPython.noop)]
