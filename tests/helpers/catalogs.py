"""Small translation catalogs made by a test, for tests of the machinery (which language a
page, an email or a notice comes out in) that must not wait for the translators' catalogs.

`install_catalogs(settings, tmp_path, {"es": {...}})` writes locale/<locale>/LC_MESSAGES/
django.po under tmp_path, compiles it with GNU gettext's msgfmt (bin/_services.sh installs
it) and points LOCALE_PATHS there; Django drops its cached catalogs when LOCALE_PATHS
changes (django.test.signals), and so does leakcase.i18n's cache (keyed by the paths).
Messages: {"msgid": "msgstr"} or {("context", "msgid"): "msgstr"}.
"""

import subprocess
from pathlib import Path

from django.utils.translation import to_locale

# A few strings of base.html and the notices, enough to tell the languages apart.
SPANISH = {
    "Quick exit": "Salida rápida",
    "Language": "Idioma",
    ("notice", "To:"): "Para:",
    ("notice", "Re:"): "Asunto:",
    "Report of non-consensual intimate imagery": "Denuncia de imágenes íntimas sin consentimiento",
    "Your weekly update": "Tu resumen semanal",
    "%(name)s (in review)": "%(name)s (en revisión)",
    "Read it in %(language)s": "Léelo en %(language)s",
}
ARABIC = {
    "Quick exit": "خروج سريع",
    "Language": "اللغة",
    "Skip to content": "انتقل إلى المحتوى",
    "My cases": "قضاياي",
    "My data": "بياناتي",
    "Emails": "الرسائل",
    "Password": "كلمة المرور",
    "Security": "الأمان",
    "Log out": "خروج",
    "Log in": "تسجيل الدخول",
    "Sign up": "إنشاء حساب",
    ("language picker button", "Change"): "تغيير",
    "%(name)s (in review)": "%(name)s (قيد المراجعة)",
}


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_catalog(base: Path, language: str, messages: dict, *, reviewed: str | None = "no"):
    """locale/<locale>/LC_MESSAGES/django.po (and .mo) under `base`. `reviewed`: the value of
    the X-Reviewed-By-Native-Speaker header, or None for a catalog without the line."""
    folder = base / to_locale(language) / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    header = [
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
        f"Language: {to_locale(language)}",
        "Plural-Forms: nplurals=2; plural=(n != 1);",
    ]
    if reviewed is not None:
        header.append(f"X-Reviewed-By-Native-Speaker: {reviewed}")
    lines = ['msgid ""', 'msgstr ""', *(_quote(h + "\n") for h in header), ""]
    for key, translated in messages.items():
        context, msgid = key if isinstance(key, tuple) else (None, key)
        if context:
            lines.append(f"msgctxt {_quote(context)}")
        lines += [f"msgid {_quote(msgid)}", f"msgstr {_quote(translated)}", ""]
    po = folder / "django.po"
    po.write_text("\n".join(lines), encoding="utf-8")
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(folder / "django.mo"), str(po)], check=True
    )
    return po


def install_catalogs(settings, tmp_path: Path, catalogs: dict, *, reviewed=None) -> Path:
    """Catalogs for `catalogs` ({language: messages}) in tmp_path/locale, and LOCALE_PATHS
    pointing there only. `reviewed`: {language: header value} (default "no")."""
    base = tmp_path / "locale"
    for language, messages in catalogs.items():
        write_catalog(base, language, messages, reviewed=(reviewed or {}).get(language, "no"))
    settings.LOCALE_PATHS = [base]
    return base
