# The CJK font the PDF documents embed (activities/documents/font.ts): Debian's
# fonts-noto-cjk, installed when missing (needs root or sudo; CI runs as root).
# Usage: source scripts/lib/fonts.sh; ensure_cjk_fonts
ensure_cjk_fonts() {
  local dir="${DOCUMENT_FONT_DIR:-/usr/share/fonts/opentype/noto}"
  if [[ -f "$dir/NotoSansCJK-Regular.ttc" && -f "$dir/NotoSansCJK-Bold.ttc" ]]; then
    echo "CJK font present ($dir)"
    return 0
  fi
  echo "CJK font missing: apt-get install -y fonts-noto-cjk"
  local sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  if ! { $sudo apt-get install -y --no-install-recommends fonts-noto-cjk || { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends fonts-noto-cjk; }; }; then
    echo "could not install fonts-noto-cjk; PDF documents cannot be rendered without it" >&2
    return 1
  fi
}
