# LeakCase image: one image for the web process (gunicorn), the Celery worker and beat.
# docker-compose.yml runs all three from it; the default command is the web process.
# Debian trixie named, not implied: it decides the major version of PostgreSQL's client below.
FROM python:3.11-slim-trixie

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEAKCASE_VAR_DIR=/app/var \
    EVIDENCE_ROOT=/data/evidence

# A fixed, unprivileged user. The code stays owned by root (read-only to the app); only
# var/ (collected static files, beat's schedule) and the local evidence folder (used only
# without EVIDENCE_S3_BUCKET) are writable.
RUN groupadd --system --gid 10001 leakcase \
 && useradd --system --uid 10001 --gid leakcase --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin leakcase

WORKDIR /app

# pg_dump and pg_restore for bin/backup and bin/restore, which need them no older than the
# server: the same major version as docker-compose.yml's postgres image (tests/test_dockerfile.py
# holds the two together).
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-17 \
 && rm -rf /var/lib/apt/lists/*

# Dependencies first, so a code change does not reinstall them. Installing the project only
# pulls in its dependencies (pyproject.toml has `packages = []`), pinned by constraints.txt;
# the s3 extra is the evidence store's backend (docker-compose.yml keeps evidence in S3).
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt ".[s3]" \
 && rm -rf build ./*.egg-info

COPY . .

# The translation catalogs, compiled into the image: the .mo files are build output and not
# committed (README, "Languages"). GNU gettext's msgfmt is needed for this step only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && PYTHON=python bin/messages compile \
 && apt-get purge -y gettext && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*

# Writable by the app's user; a volume mounted on /data/evidence starts with this ownership.
RUN mkdir -p /app/var /data/evidence \
 && chown leakcase:leakcase /app/var /data/evidence \
 && chmod 0700 /data/evidence

USER leakcase

# Static files are collected into the image (whitenoise serves them). Settings refuse to load
# without SECRET_KEY and LEAKCASE_MASTER_KEYS when DEBUG is off, so the build makes random
# throwaway ones that live for this one command (a fixed value here would be a published key;
# settings refuse those); the real ones come from the environment at run time.
RUN SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
    LEAKCASE_MASTER_KEYS="build:$(python -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())')" \
    python manage.py collectstatic --noinput

EXPOSE 8000
CMD ["gunicorn", "leakcase.wsgi:application", "--bind", "0.0.0.0:8000"]
