# LeakCase image: one image for the web process (gunicorn), the Celery worker and beat.
# docker-compose.yml runs all three from it; the default command is the web process.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LEAKCASE_VAR_DIR=/app/var \
    EVIDENCE_ROOT=/data/evidence

# A fixed, unprivileged user. The code stays owned by root (read-only to the app); only
# var/ (collected static files), evidence and beat's schedule are writable.
RUN groupadd --system --gid 10001 leakcase \
 && useradd --system --uid 10001 --gid leakcase --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin leakcase

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. Installing the project only
# pulls in its dependencies (pyproject.toml has `packages = []`), pinned by constraints.txt.
COPY pyproject.toml constraints.txt ./
RUN pip install -c constraints.txt . \
 && rm -rf build ./*.egg-info

COPY . .

# Named volumes mounted on these directories start with this ownership.
RUN mkdir -p /app/var /data/evidence /data/beat \
 && chown leakcase:leakcase /app/var /data/evidence /data/beat \
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
