"""Small typed readers for the environment: settings read it once, through these."""

import base64
import os
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from exc


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_master_keys(raw: str) -> dict[str, bytes]:
    """ "id1:base64key,id2:base64key" -> ordered {id: key}; the first is used for new files."""
    keys = {}
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        key_id, _, encoded = item.partition(":")
        key = base64.b64decode(encoded)
        if not key_id or len(key) != 32:
            raise ValueError("each master key is 'id:base64-of-32-bytes'")
        keys[key_id] = key
    return keys


def parse_support_contacts(raw: str) -> list[dict[str, str]]:
    """ "Name | phone or https://url | hours; Name 2 | ... | ..." -> [{name, phone or url,
    hours}]. Hours may be left out. The deployment's own helpline and emotional-support
    contacts: nothing is made up when none are set (the footer then says so plainly)."""
    contacts = []
    for entry in (part.strip() for part in raw.split(";")):
        if not entry:
            continue
        fields = [field.strip() for field in entry.split("|")]
        if len(fields) not in (2, 3) or not fields[0] or not fields[1]:
            raise ValueError(
                f"each support contact is 'name | phone or https://address | hours', not {entry!r}"
            )
        name, reach, hours = (*fields, "")[:3]
        contact = {"name": name, "hours": hours, "phone": "", "url": "", "tel": ""}
        if reach.startswith(("https://", "http://")):
            contact["url"] = reach
        else:
            dial = "".join(ch for ch in reach if ch.isdigit() or ch == "+")
            if len(dial) < 3 or any(not (ch.isdigit() or ch in "+ -().") for ch in reach):
                raise ValueError(f"{reach!r} is neither a phone number nor an http(s) address")
            contact["phone"] = reach
            contact["tel"] = dial
        contacts.append(contact)
    return contacts


def evidence_storage(environ: Mapping[str, str], *, default_root: str) -> dict:
    """Django's STORAGES["default"] for evidence, from these variables: S3-compatible object
    storage when EVIDENCE_S3_BUCKET is set, else a folder (EVIDENCE_ROOT or default_root).
    Settings call it with os.environ; tests call it with a bucket on their own S3 server, so
    what they exercise is this dict, not a copy of it."""
    bucket = environ.get("EVIDENCE_S3_BUCKET", "")
    if not bucket:
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": environ.get("EVIDENCE_ROOT", "") or default_root},
        }
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": environ.get("EVIDENCE_S3_ENDPOINT_URL", "") or None,
            "region_name": environ.get("EVIDENCE_S3_REGION", "") or None,
            "access_key": environ.get("EVIDENCE_S3_ACCESS_KEY", "") or None,
            "secret_key": environ.get("EVIDENCE_S3_SECRET_KEY", "") or None,
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
