#!/usr/bin/env bash
# Install the system packages paperwork needs on Debian/Ubuntu:
# LibreOffice (headless Writer) to convert forms, Noto CJK fonts, poppler-utils and qpdf for checks,
# make, python3-venv for the project virtual environment; Ghostscript and an sRGB profile for PDF/A;
# redis-server for the queue's tests; for `paperwork serve`: python3-uno (the warm
# LibreOffice is driven over UNO by Debian's python3) and chromium (the browser tests, driven by Playwright).
set -euo pipefail
packages=(libreoffice-writer-nogui fonts-noto-cjk fonts-arphic-uming fonts-arphic-ukai fonts-wqy-microhei
          fonts-liberation2 fonts-crosextra-carlito poppler-utils qpdf make python3-venv python3-uno chromium openssl
          ghostscript icc-profiles-free redis-server)
need=()
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
fc-list :lang=zh 2>/dev/null | grep -qi "noto" || need+=(fonts-noto-cjk)
# substitutes with SimSun's line height (1.0 em), so bureau forms with exact row heights lose no text
fc-list 2>/dev/null | grep -qi "AR PL UMing" || need+=(fonts-arphic-uming)
fc-list 2>/dev/null | grep -qi "AR PL UKai" || need+=(fonts-arphic-ukai)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
# Times New Roman, Arial, Calibri of the forms' Latin text, with the same widths
fc-list 2>/dev/null | grep -qi "Liberation Serif" || need+=(fonts-liberation2)
fc-list 2>/dev/null | grep -qi "Carlito" || need+=(fonts-crosextra-carlito)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v qpdf >/dev/null 2>&1 || need+=(qpdf)
command -v make >/dev/null 2>&1 || need+=(make)
command -v "${PYTHON:-python3}" >/dev/null 2>&1 || need+=(python3)
# a project virtual environment (.venv): Debian keeps venv and ensurepip in their own package
"${PYTHON:-python3}" -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
/usr/bin/python3 -c "import uno" >/dev/null 2>&1 || need+=(python3-uno)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# PDF/A: Ghostscript embeds the fonts an attachment left out; icc-profiles-free ships sRGB.icc (Zlib licence)
command -v gs >/dev/null 2>&1 || need+=(ghostscript)
[ -f /usr/share/color/icc/sRGB.icc ] || need+=(icc-profiles-free)
# the queue (--queue, paperwork worker) and its tests: Debian's Redis
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# the TLS test makes a self-signed certificate
command -v openssl >/dev/null 2>&1 || need+=(openssl)
if [ ${#need[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]}" >&2
  echo "run as root, or: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}"
