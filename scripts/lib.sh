# Shared by the scripts in this folder: find the toolchain and install the C
# libraries Probity wraps (libcsv, libxml2) when they are missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi

# Tools some tests use: a headless browser for the audit's HTML report.
ensure_test_tools() {
  command -v chromium >/dev/null 2>&1 && return 0
  echo "installing chromium (the audit report's browser test) ..." >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2 || echo "chromium could not be installed: the browser test will say so" >&2
}

ensure_system_libraries() {
  local missing=()
  for pkg in libcsv-dev libxml2-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing ${missing[*]} ..." >&2
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

# Python's jsonschema: a test validates the SARIF output against the SARIF 2.1.0 schema
# with it (and is skipped, saying so, where it is missing; .ci/run requires it).
ensure_python_jsonschema() {
  command -v python3 >/dev/null 2>&1 || {
    echo "python3 is missing: the SARIF schema test will be skipped" >&2
    return 0
  }
  python3 -c 'import jsonschema' >/dev/null 2>&1 && return 0
  echo "installing Python's jsonschema (the SARIF schema test) ..." >&2
  python3 -m pip install --quiet jsonschema >&2 && return 0
  python3 -m pip install --quiet --user --break-system-packages jsonschema >&2 && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-jsonschema >&2 \
    || echo "jsonschema could not be installed: the SARIF schema test will be skipped" >&2
}
