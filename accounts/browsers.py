"""A coarse name for a browser ("Firefox on Windows") from its User-Agent header: enough for
her to recognise a session, too little to fingerprint anyone."""

import re

from django.utils.translation import gettext

# First match wins; Edge and Opera also say "Chrome", and Chrome also says "Safari".
BROWSERS = (
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\b(OPR|Opera)/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|Chromium|CriOS|HeadlessChrome)/")),
    ("Safari", re.compile(r"\bSafari/")),
)
SYSTEMS = (
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMac OS X\b|\bMacintosh\b")),
    ("Linux", re.compile(r"\bLinux\b")),
)


def describe_browser(user_agent: str) -> str:
    user_agent = user_agent[:512]
    browser = next((name for name, pattern in BROWSERS if pattern.search(user_agent)), "")
    system = next((name for name, pattern in SYSTEMS if pattern.search(user_agent)), "")
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser:
        return browser
    if system:
        return gettext("A browser on %(system)s") % {"system": system}
    return gettext("An unknown browser")
