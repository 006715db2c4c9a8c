"""Directory of platforms where non-consensual intimate imagery (NCII) is commonly posted,
hosted or indexed, with the channels a survivor can use to ask for removal or delisting.

Contact channels (`report_form_url`, `abuse_email`) are filled only where a source was
found, and `source` names where (space-separated URLs); an empty field means nothing was
found, not that the platform has no channel. `domains` are registrable domains (or exact
hosts, which win over their registrable domain) belonging to the platform itself; names,
slugs and domains of the platforms seeded in migration takedowns/0002 are kept unchanged.
`expected_response_hours` is 48 unless a source says otherwise.

Researched 2026-11-25 from stored copies of public pages; channels change, so re-check a
channel before relying on it.

Written to the database by migration takedowns/0005 (the directory's tables were made
there, before this app had them), through `sync`.
"""

PLATFORMS = [
    # --- Social networks -------------------------------------------------------------
    {
        "name": "X (Twitter)",
        "slug": "x-twitter",
        "kind": "social",
        "domains": ["x.com", "twitter.com", "t.co", "twimg.com"],
        "report_form_url": "https://help.x.com/forms/safety-and-sensitive-content/take-it-down",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://help.x.com/en/rules-and-policies/us-tida",
        "notes": "Take It Down Act form; no X account needed; removal within 48 hours.",
    },
    {
        "name": "Facebook",
        "slug": "facebook",
        "kind": "social",
        "domains": [
            "facebook.com",
            "fb.com",
            "fbcdn.net",
            "fb.me",
            "fb.watch",
            "m.me",
            "messenger.com",
        ],
        "report_form_url": "https://www.facebook.com/safety/notwithoutmyconsent",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://www.facebook.com/safety/notwithoutmyconsent",
        "notes": "Meta NCII hub (Facebook, Instagram, Messenger); takes StopNCII hashes.",
    },
    {
        "name": "Instagram",
        "slug": "instagram",
        "kind": "social",
        "domains": ["instagram.com", "cdninstagram.com", "instagr.am", "ig.me"],
        "report_form_url": "https://www.facebook.com/safety/notwithoutmyconsent",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://www.facebook.com/safety/notwithoutmyconsent "
            "https://about.instagram.com/blog/announcements/protecting-intimate-images-on-instagram/"
        ),
        "notes": "Meta NCII hub also covers Instagram; in-app report; takes StopNCII hashes.",
    },
    {
        "name": "Threads",
        "slug": "threads",
        "kind": "social",
        "domains": ["threads.net", "threads.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "Meta service; listed as a StopNCII participant.",
    },
    {
        "name": "Reddit",
        "slug": "reddit",
        "kind": "social",
        "domains": ["reddit.com", "redd.it", "redditmedia.com", "redditstatic.com"],
        "report_form_url": "",
        "abuse_email": "contact@reddit.com",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://reddit.zendesk.com/hc/en-us/articles/205704725",
        "notes": "Email is from an older help article; in-app report reason is NCIM.",
    },
    {
        "name": "TikTok",
        "slug": "tiktok",
        "kind": "social",
        "domains": ["tiktok.com", "tiktokcdn.com", "tiktokv.com"],
        "report_form_url": (
            "https://support.tiktok.com/en/safety-hc/report-a-problem/report-sexual-abuse"
        ),
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://support.tiktok.com/it/safety-hc/report-a-problem/report-sexual-abuse "
            "https://support.tiktok.com/fi/safety-hc/report-a-problem/report-sexual-abuse"
        ),
        "notes": "Webform covers sexual deepfakes; takes StopNCII hashes.",
    },
    {
        "name": "Snapchat",
        "slug": "snapchat",
        "kind": "social",
        "domains": ["snapchat.com", "snap.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "In-app NCII report category; takes StopNCII hashes.",
    },
    {
        "name": "Tumblr",
        "slug": "tumblr",
        "kind": "social",
        "domains": ["tumblr.com", "tmblr.co"],
        "report_form_url": "https://www.tumblr.com/abuse/privacy",
        "abuse_email": "abuse@tumblr.com",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://www.esafety.gov.au/esafety-information/"
            "games-apps-and-social-networking/tumblr "
            "https://consentlawyers.com/diy-help/takedown-resources/tumblr-takedowns/"
        ),
        "notes": "Send post permalinks, one per line.",
    },
    {
        "name": "Bluesky",
        "slug": "bluesky",
        "kind": "social",
        "domains": ["bsky.app", "bsky.social"],
        "report_form_url": "https://support.bsky.social/about/support/tida-info",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://support.bsky.social/about/support/tida-info",
        "notes": "NCII request form (real or AI-generated); removes duplicates.",
    },
    {
        "name": "Pinterest",
        "slug": "pinterest",
        "kind": "social",
        "domains": ["pinterest.com", "pin.it", "pinimg.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    # --- Messaging -------------------------------------------------------------------
    {
        "name": "Telegram",
        "slug": "telegram",
        "kind": "messaging",
        "domains": ["t.me", "telegram.me", "telegram.org", "telegra.ph"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "No first-party address found; use in-app Report on public channels.",
    },
    {
        "name": "Discord",
        "slug": "discord",
        "kind": "messaging",
        "domains": ["discord.com", "discord.gg", "discordapp.com", "discordapp.net", "dis.gd"],
        "report_form_url": "https://discord.com/report",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://support.discord.com/hc/articles/38675715591831",
        "notes": "Take It Down Act webform; one report per piece of media.",
    },
    # --- Video sites -----------------------------------------------------------------
    {
        "name": "YouTube",
        "slug": "youtube",
        "kind": "video",
        "domains": ["youtube.com", "youtu.be", "ytimg.com", "youtube-nocookie.com"],
        "report_form_url": "https://support.google.com/youtube/answer/142443",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://support.google.com/youtube/answer/142443 "
            "https://support.google.com/youtube/answer/2801895"
        ),
        "notes": "Privacy complaint process; covers AI-altered likeness.",
    },
    {
        "name": "Vimeo",
        "slug": "vimeo",
        "kind": "video",
        "domains": ["vimeo.com", "vimeocdn.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "Privacy complaints name the complainant to the uploader.",
    },
    # --- Adult sites -----------------------------------------------------------------
    {
        "name": "Pornhub",
        "slug": "pornhub",
        "kind": "adult",
        "domains": ["pornhub.com", "phncdn.com"],
        "report_form_url": "https://www.pornhub.com/content-removal",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://www.pornhub.com/information/terms "
            "https://github.com/chaynHQ/tools/blob/09266000de4ff70a6b135e1cd308520ebd448340/lib/"
            "platform-policies/pornhub.ts"
        ),
        "notes": "Content removal form named in Pornhub's Terms of Service.",
    },
    {
        "name": "XVideos",
        "slug": "xvideos",
        "kind": "adult",
        "domains": ["xvideos.com", "xvideos.net", "xvideos.red"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "EU operator under the DSA; NCII uploads lead to a permanent ban.",
    },
    {
        "name": "XNXX",
        "slug": "xnxx",
        "kind": "adult",
        "domains": ["xnxx.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    {
        "name": "xHamster",
        "slug": "xhamster",
        "kind": "adult",
        "domains": [
            "xhamster.com",
            "xhamster.desi",
            "xhamster.xxx",
            "xhamster18.com",
            "xhcdn.com",
        ],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    {
        "name": "OnlyFans",
        "slug": "onlyfans",
        "kind": "adult",
        "domains": ["onlyfans.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "Co-authored content may be deleted when a participant withdraws consent.",
    },
    {
        "name": "Fansly",
        "slug": "fansly",
        "kind": "adult",
        "domains": ["fansly.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    {
        "name": "SpankBang",
        "slug": "spankbang",
        "kind": "adult",
        "domains": ["spankbang.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "Reports go through the FLAG button on the video player.",
    },
    {
        "name": "EroMe",
        "slug": "erome",
        "kind": "adult",
        "domains": ["erome.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    {
        "name": "Motherless",
        "slug": "motherless",
        "kind": "adult",
        "domains": ["motherless.com"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    # --- Image hosts -----------------------------------------------------------------
    {
        "name": "Imgur",
        "slug": "imgur",
        "kind": "image_host",
        "domains": ["imgur.com"],
        "report_form_url": "https://imgur.com/removalrequest",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://imgur.com/",
        "notes": "Removal request form is the 'request deletion' link in Imgur's site footer.",
    },
    {
        "name": "ImgBB",
        "slug": "imgbb",
        "kind": "image_host",
        "domains": ["imgbb.com", "ibb.co"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    {
        "name": "Postimages",
        "slug": "postimages",
        "kind": "image_host",
        "domains": ["postimages.org", "postimg.cc"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    # --- Forums ----------------------------------------------------------------------
    {
        "name": "4chan",
        "slug": "4chan",
        "kind": "forum",
        "domains": ["4chan.org", "4channel.org", "4cdn.org"],
        "report_form_url": "",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "",
        "notes": "",
    },
    # --- File lockers ----------------------------------------------------------------
    {
        "name": "Mega",
        "slug": "mega",
        "kind": "file_locker",
        "domains": ["mega.nz", "mega.io", "mega.co.nz"],
        "report_form_url": "https://help.mega.io/security/compliance/report-abuse",
        "abuse_email": "abuse@mega.io",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://help.mega.io/zh-hant/security/compliance/report-abuse "
            "https://blog.mega.io/mega-transparency-report/ "
            "https://github.com/meganz/webclient/blob/e13b02f222be1cd3c6ef86ac3dbf335ea71782ba/js/"
            "ui/reportAbuse.js"
        ),
        "notes": "New Zealand; send the full link with its decryption key.",
    },
    {
        "name": "Dropbox",
        "slug": "dropbox",
        "kind": "file_locker",
        "domains": ["dropbox.com", "db.tt", "dropboxusercontent.com"],
        "report_form_url": "https://help.dropbox.com/account-settings/report-abuse",
        "abuse_email": "abuse@dropbox.com",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://help.dropbox.com/id-id/account-settings/report-abuse "
            "https://help.dropbox.com/de-de/security/unknown-sender"
        ),
        "notes": "Shared-folder links carry an access key; include the full link.",
    },
    {
        "name": "Google Drive",
        "slug": "google-drive",
        "kind": "file_locker",
        "domains": ["drive.google.com", "docs.google.com", "drive.usercontent.google.com"],
        "report_form_url": "https://support.google.com/docs/answer/2463296",
        "abuse_email": "",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://support.google.com/docs/answer/2463296?hl=ja",
        "notes": "Exact hosts: google.com itself belongs to Google Search.",
    },
    {
        "name": "MediaFire",
        "slug": "mediafire",
        "kind": "file_locker",
        "domains": ["mediafire.com"],
        "report_form_url": "https://www.mediafire.com/policy_violation/terms_of_service.php",
        "abuse_email": "abuse@mediafire.com",
        "legal_bases": ["take_it_down", "dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://www.mediafire.com/policy_violation/terms_of_service.php",
        "notes": "Address shown obfuscated on the page; include a direct link to the file.",
    },
    # --- Search engines (delisting only; they do not host the content) ---------------
    {
        "name": "Google Search",
        "slug": "google-search",
        "kind": "search_engine",
        "domains": ["google.com"],
        "report_form_url": "https://support.google.com/websearch/answer/6302812",
        "abuse_email": "",
        "legal_bases": ["dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": "https://support.google.com/websearch/answer/6302812",
        "notes": "Delisting only; separate request type for explicit deepfakes.",
    },
    {
        "name": "Bing",
        "slug": "bing",
        "kind": "search_engine",
        "domains": ["bing.com"],
        "report_form_url": "https://www.microsoft.com/en-us/concern/revengeporn",
        "abuse_email": "",
        "legal_bases": ["dmca", "dsa", "platform_policy"],
        "expected_response_hours": 48,
        "source": (
            "https://github.com/NuGet/Home/blob/2e382382c4d7a61e2ecaf6d8fe980fd49451bd96/"
            "accepted/2021/NuGetOrgReportForm-SafetyChanges.md "
            "https://news.linkzpulse.com/?p=154425"
        ),
        "notes": "Microsoft 'Report a Concern', type NCII; also OneDrive. Uses StopNCII.",
    },
    {
        "name": "Yandex",
        "slug": "yandex",
        "kind": "search_engine",
        "domains": ["yandex.com", "yandex.ru", "ya.ru"],
        "report_form_url": "https://yandex.com/support/abuse/troubleshooting/deepfake.html?lang=en",
        "abuse_email": "",
        "legal_bases": ["platform_policy"],
        "expected_response_hours": 48,
        "source": "https://yandex.com/support/abuse/troubleshooting/deepfake.html?lang=en",
        "notes": "Delists only for queries containing the requester's name.",
    },
]


def sync(Platform, PlatformDomain) -> None:
    """Upsert the directory by slug (and each domain to its platform), so running it over
    the first seed or over rows staff edited keeps existing rows and their sightings' links.
    Takes the models, so a migration passes its historical ones and tests the current."""
    for entry in PLATFORMS:
        fields = {k: v for k, v in entry.items() if k not in ("slug", "domains")}
        platform, _ = Platform.objects.update_or_create(slug=entry["slug"], defaults=fields)
        for domain in entry["domains"]:
            PlatformDomain.objects.update_or_create(domain=domain, defaults={"platform": platform})
