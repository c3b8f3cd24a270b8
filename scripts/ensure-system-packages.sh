#!/usr/bin/env bash
# Installs the Debian packages ecase needs when they are missing (as root), or names them.
# Called by `make install`; safe to run repeatedly.
set -euo pipefail

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
if command -v tesseract >/dev/null 2>&1; then
  langs=$(tesseract --list-langs 2>/dev/null || true)
  grep -qx deu <<<"$langs" || need+=(tesseract-ocr-deu)
  grep -qx eng <<<"$langs" || need+=(tesseract-ocr-eng)
  grep -qx osd <<<"$langs" || need+=(tesseract-ocr-osd)
else
  need+=(tesseract-ocr-deu tesseract-ocr-eng tesseract-ocr-osd)
fi
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ "${ECASE_BROWSER_TESTS:-1}" = "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
fi

[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  exit 0
fi

echo "ecase needs these system packages: ${need[*]}" >&2
echo "install them as root, e.g.: sudo apt-get install -y ${need[*]}" >&2
exit 1
