"""A reader for gettext catalogs (.po), enough for the tests: each entry's context, message,
plural, translations, flags and source references. (polib would do; this is forty lines and
no new package.)"""

import ast
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    references: list[str] = field(default_factory=list)  # "templates/base.html", no line

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags


def read_po(path: Path) -> list[Entry]:
    """Every entry but the header and obsolete ones (#~)."""
    entries, entry, key = [], Entry(), None

    def finish():
        nonlocal entry, key
        if entry.msgid or entry.msgstr:
            entries.append(entry)
        entry, key = Entry(), None

    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            finish()
        elif line.startswith("#~"):
            continue
        elif line.startswith("#:"):
            entry.references += [ref.rsplit(":", 1)[0] for ref in line[2:].split()]
        elif line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                entry.msgstr[-1] += value
            else:
                setattr(entry, key, (getattr(entry, key) or "") + value)
        else:
            name, _, value = line.partition(" ")
            if name.startswith("msgstr"):
                key = "msgstr"
                entry.msgstr.append(ast.literal_eval(value))
            else:
                key = name
                setattr(entry, name, ast.literal_eval(value))
    return [e for e in entries if e.msgid]  # the header's msgid is empty
