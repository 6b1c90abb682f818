#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need
# (idempotently), makes sure PostgreSQL answers, then runs every test.
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -- NAME    # only tests matching NAME (passed to cargo test)
#
# Under CI (CI set) a missing oracle, tool or shared test file fails its test
# instead of skipping it.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: systemd-analyze (unit verification), gammu (an
# independent AT client driving the modem simulator), python3-gammu (an
# independent PDU codec, run with Debian's /usr/bin/python3), socat.
need_pkgs=()
command -v systemd-analyze >/dev/null 2>&1 || need_pkgs+=(systemd)
command -v pg_isready >/dev/null 2>&1 || need_pkgs+=(postgresql-client)
command -v gammu >/dev/null 2>&1 || need_pkgs+=(gammu)
command -v socat >/dev/null 2>&1 || need_pkgs+=(socat)
/usr/bin/python3 -c 'import gammu' >/dev/null 2>&1 || need_pkgs+=(python3-gammu)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test.sh: installing ${need_pkgs[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}"
fi

# PostgreSQL for the storage story (a fresh database per test).
pg_url="${LAPORD_TEST_PG:-postgres://postgres@127.0.0.1:5432/postgres}"
if ! pg_isready -q -d "$pg_url" 2>/dev/null; then
  if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
    echo "test.sh: starting PostgreSQL"
    for v in /etc/postgresql/*; do
      pg_ctlcluster --skip-systemctl-redirect "$(basename "$v")" main start || true
    done
    for _ in $(seq 1 30); do pg_isready -q -d "$pg_url" && break; sleep 1; done
  fi
fi
pg_isready -q -d "$pg_url" || echo "test.sh: PostgreSQL is not answering at $pg_url (its tests skip, or fail under CI)"

args=()
if [ "${1:-}" = "--" ]; then shift; args=("$@"); fi
cargo test --workspace --locked "${args[@]}"
