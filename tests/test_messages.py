"""bin/messages: `update` runs makemessages for every language, templates, Python and scripts,
with no warning (a warning is a string xgettext could not read, so it would never be
translated), and gives each new catalog the review header line; `compile` makes the .mo
files Django reads. Run on a copy of the code, so the real locale/ is never touched."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from leakcase.i18n import REVIEW_HEADER, po_header
from tests.helpers.po import read_po

ROOT = Path(__file__).resolve().parent.parent
SKIP = shutil.ignore_patterns(".git", ".venv", "var", "bench", "node_modules", "*.mo", "*.po")


def _run(tree: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHON": sys.executable}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # bin/messages chooses its own
    return subprocess.run(
        ["bin/messages", *args], cwd=tree, env=env, capture_output=True, text=True, timeout=300
    )


def test_update_is_clean_and_compile_makes_what_django_reads(tmp_path):
    tree = tmp_path / "leakcase"
    shutil.copytree(ROOT, tree, ignore=SKIP)

    update = _run(tree, "update")
    assert update.returncode == 0, update.stdout + update.stderr
    output = (update.stdout + update.stderr).lower()
    assert "warning" not in output and "error" not in output, update.stdout + update.stderr

    for locale in ("es", "fr", "de", "pt_BR", "it", "pl", "ar"):
        po = tree / "locale" / locale / "LC_MESSAGES" / "django.po"
        assert po_header(po)[REVIEW_HEADER] == "no", locale
        msgids = {entry.msgid for entry in read_po(po)}
        assert {"Quick exit", "Choose one of the languages in the list."} <= msgids, locale
        scripts = {entry.msgid for entry in read_po(po.with_name("djangojs.po"))}
        assert "The screenshot, revealed" in scripts, locale

    compiled = _run(tree, "compile")
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert (tree / "locale" / "ar" / "LC_MESSAGES" / "django.mo").exists()
    assert (tree / "locale" / "ar" / "LC_MESSAGES" / "djangojs.mo").exists()
