"""export_memory: peak memory of a process that streams a survivor's data export (the same
streamed ZIP as a case's evidence bundle, data_rights/bundles.py) of a case with 2 GB of
evidence (50 MB in quick mode) to /dev/null, through the export page and the test Client.

The evidence is random bytes behind a JPEG marker, sealed through the vault in files of the
upload limit (20 MB, EVIDENCE_MAX_UPLOAD_BYTES): nothing compresses it, and no image is
decoded to make it. Each measurement runs in a fresh Python process started for it, so the
figure is that process's own peak resident memory (VmHWM in /proc/self/status), Django and
all, nothing left over from generating the data. Not getrusage's ru_maxrss: Linux carries
it over fork and exec, so a child started by this benchmark reports the parent's peak.

Baseline: the in-memory build the export had before issue 13 (every file read and decrypted
whole, deflated into a ZIP in a BytesIO), on the first files of the same case only
(`export_baseline_mb`): at 2 GB it would need gigabytes on a machine others share.

`python -m bench.benchmarks.export_memory --user ID --mode stream|in-memory [--files N]` is
the measuring process; bench/run.py's environment points it at the benchmark's database.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import Context, Result

ROOT = Path(__file__).resolve().parents[2]
GOAL_MB = 200  # issue 13: a case with 2 GB of evidence exports within 200 MB of memory
PASSWORD = "bench-export-password"  # a generated user of the bench database
MB = 1024 * 1024


def run(ctx: Context) -> Result:
    from django.conf import settings
    from django.db import connection

    from accounts.models import Role, User
    from bench.data import sealed_noise_evidence
    from cases.services import case_open

    file_bytes = settings.EVIDENCE_MAX_UPLOAD_BYTES
    total = ctx.sizes["export_evidence_mb"] * MB
    count = math.ceil(total / file_bytes)
    baseline_files = min(count, math.ceil(ctx.sizes["export_baseline_mb"] * MB / file_bytes))

    started = time.perf_counter()
    survivor = User.objects.create_user(
        email="export@bench.test", password=PASSWORD, role=Role.SURVIVOR
    )
    case = case_open(survivor=survivor, pseudonym="Export", acting_user=survivor)
    sealed_noise_evidence(case=case, uploaded_by=survivor, count=count, file_bytes=file_bytes)
    generation_s = time.perf_counter() - started
    ctx.log(
        f"  export_memory: {count} files of {file_bytes // MB} MB sealed in {generation_s:.1f} s"
    )

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leakcase.settings_test",
        "DATABASE_URL": "postgres://{USER}@{HOST}:{PORT}/{NAME}".format(
            **{k: connection.settings_dict[k] or "" for k in ("USER", "HOST", "PORT", "NAME")}
        ),
    }
    streamed = _measure(env, survivor.pk, "stream")
    ctx.log(f"  export_memory: streamed, peak {streamed['vm_hwm_mb']:.0f} MB")
    baseline = _measure(env, survivor.pk, "in-memory", files=baseline_files)
    ctx.log(
        f"  export_memory: in memory ({baseline_files} files), peak {baseline['vm_hwm_mb']:.0f} MB"
    )
    if streamed["zip_bytes"] < count * file_bytes:
        raise RuntimeError(f"export_memory: the ZIP ({streamed['zip_bytes']} B) lacks evidence")

    peak = streamed["vm_hwm_mb"]
    return Result(
        name="export_memory",
        figure=(
            f"peak RSS of a process streaming her export of {count * file_bytes // MB:,} MB "
            f"of evidence ({count} files) to /dev/null"
        ),
        unit="MB",
        median=peak,
        p95=None,
        baseline=baseline["vm_hwm_mb"],
        baseline_is=(f"in-memory ZIP as before, on {baseline_files * file_bytes // MB} MB of it"),
        ratio=peak / GOAL_MB,
        ratio_is=f"peak / {GOAL_MB} MB goal",
        goal=f"peak RSS <= {GOAL_MB} MB (at 2 GB of evidence)",
        goal_met=peak <= GOAL_MB,
        sizes={
            "evidence_files": count,
            "file_bytes": file_bytes,
            "baseline_files": baseline_files,
        },
        extra={
            "streamed": streamed,
            "in_memory": baseline,
            "generation_s": round(generation_s, 1),
        },
    )


def _measure(env: dict, user_id: int, mode: str, *, files: int = 0) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.benchmarks.export_memory",
            "--user",
            str(user_id),
            "--mode",
            mode,
            "--files",
            str(files),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"export_memory {mode}: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the measuring process -----------------------------------------------------------------


def _status_mb(field: str) -> float:
    """A figure of /proc/self/status ("VmHWM", "VmRSS"), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def _in_memory_export(user, files: int) -> bytes:
    """The export as it was built before issue 13 (evidence part): every file read and
    decrypted whole, the ZIP deflated into memory, the sums worked out from the bytes."""
    import hashlib
    import io
    import zipfile

    from evidence import vault
    from evidence.models import EvidenceFile

    entries = [
        (f"evidence/{e.pk}.jpg", vault.read(e))
        for e in EvidenceFile.objects.filter(case__survivor=user).order_by("created_at")[:files]
    ]
    manifest = [{"path": p, "sha256": hashlib.sha256(d).hexdigest()} for p, d in entries]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, data in entries:
            archive.writestr(path, data)
        archive.writestr("manifest.json", json.dumps(manifest))
    return buffer.getvalue()


def _child(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--user", type=int, required=True)
    parser.add_argument("--mode", choices=["stream", "in-memory"], required=True)
    parser.add_argument("--files", type=int, default=0)
    args = parser.parse_args(argv)

    import logging

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User

    user = User.objects.get(pk=args.user)
    client = Client()
    client.force_login(user)
    client.get(reverse("cases:list"))  # what a first request imports is not the export's
    rss_before = _status_mb("VmRSS")
    started = time.perf_counter()
    written = 0
    with open(os.devnull, "wb") as sink:
        if args.mode == "stream":
            response = client.post(reverse("accounts:export"), {"password": PASSWORD})
            if response.status_code != 200 or not response.streaming:
                raise RuntimeError(f"the export answered {response.status_code}")
            for piece in response.streaming_content:
                written += sink.write(piece)
        else:
            written = sink.write(_in_memory_export(user, args.files))
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    result = {
        "vm_hwm_mb": round(peak, 1),
        "rss_before_export_mb": round(rss_before, 1),
        "growth_mb": round(peak - rss_before, 1),
        "zip_bytes": written,
        "seconds": round(seconds, 2),
        "mb_per_s": round(written / MB / seconds, 1),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _child()
