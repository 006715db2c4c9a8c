"""A first directory of platforms, so sightings show where they are from on day one.

Names and domains only; contact channels (with their sources) come with the takedown
workflow. x.com and twitter.com are one platform; subdomains match through their
registrable domain (takedowns.selectors.platforms_for_hosts).
"""

from django.db import migrations
from django.utils.text import slugify

PLATFORMS = {
    "X (Twitter)": ["x.com", "twitter.com", "t.co", "twimg.com"],
    "Reddit": ["reddit.com", "redd.it", "redditmedia.com"],
    "Instagram": ["instagram.com", "cdninstagram.com"],
    "Facebook": ["facebook.com", "fb.com", "fbcdn.net", "fb.me"],
    "TikTok": ["tiktok.com"],
    "Telegram": ["t.me", "telegram.me", "telegram.org"],
    "Discord": ["discord.com", "discord.gg", "discordapp.com", "discordapp.net"],
    "Snapchat": ["snapchat.com"],
    "Tumblr": ["tumblr.com"],
    "Pornhub": ["pornhub.com"],
    "XVideos": ["xvideos.com"],
    "xHamster": ["xhamster.com"],
    "OnlyFans": ["onlyfans.com"],
    "Imgur": ["imgur.com"],
    "Google Search": ["google.com"],
    "Bing": ["bing.com"],
    "YouTube": ["youtube.com", "youtu.be"],
    "Mega": ["mega.nz", "mega.io"],
    "Dropbox": ["dropbox.com"],
}


def seed(apps, schema_editor):
    Platform = apps.get_model("takedowns", "Platform")
    PlatformDomain = apps.get_model("takedowns", "PlatformDomain")
    for name, domains in PLATFORMS.items():
        platform, _ = Platform.objects.get_or_create(name=name, defaults={"slug": slugify(name)})
        for domain in domains:
            PlatformDomain.objects.get_or_create(domain=domain, defaults={"platform": platform})


class Migration(migrations.Migration):
    dependencies = [("takedowns", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
