# The browser the console's tests drive (test/browser): Debian's chromium
# package, installed when missing (needs root or sudo; CI runs as root).
# playwright-core drives it; no browser is ever downloaded.
# Usage: source scripts/lib/chromium.sh; ensure_chromium
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 || [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]]; then
    echo "chromium present ($(command -v chromium || echo "$CHROMIUM_PATH"))"
    return 0
  fi
  echo "chromium missing: apt-get install -y chromium"
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  if ! { DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium || { $sudo apt-get update && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium; }; }; then
    echo "could not install chromium; the browser tests need it" >&2
    return 1
  fi
}
