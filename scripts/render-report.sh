#!/usr/bin/env bash
# Renders a quarter's funding report to pictures, so that anyone can look at what a coordinator sees:
# the workbook through LibreOffice headless (xlsx -> pdf -> png) and the page through headless
# Chromium (a screenshot and an A4 print to PDF -> png). Not part of CI (heavy packages):
#   sudo apt-get install -y --no-install-recommends libreoffice-calc chromium poppler-utils fonts-dejavu-core
# Usage: scripts/render-report.sh [OUTPUT_DIR] [QUARTER]   (default: output, the newest bericht_*.xlsx)
set -euo pipefail
output="${1:-output}"
quarter="${2:-$(ls "$output"/bericht_*.xlsx 2>/dev/null | sed 's/.*bericht_\(.*\)\.xlsx/\1/' | sort | tail -1)}"
[[ -n "$quarter" ]] || { echo "Kein bericht_*.xlsx in $output: zuerst klappt run." >&2; exit 66; }
for tool in soffice chromium pdftoppm; do
  command -v "$tool" >/dev/null || { echo "$tool fehlt (siehe Kopf dieses Skripts)." >&2; exit 69; }
done
pictures="$(mktemp -d "${TMPDIR:-/tmp}/klappt-bilder-XXXXXX")"
xlsx="$output/bericht_$quarter.xlsx"
html="$(cd "$(dirname "$output/bericht_$quarter.html")" && pwd)/bericht_$quarter.html"
# LibreOffice: its own profile, so a running instance does not interfere.
soffice --headless -env:UserInstallation="file://$pictures/lo-profil" --convert-to pdf --outdir "$pictures" "$xlsx" >/dev/null 2>&1
pdftoppm -r 60 -png "$pictures/bericht_$quarter.pdf" "$pictures/arbeitsmappe"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,2400 \
  --screenshot="$pictures/seite.png" "file://$html" >/dev/null 2>&1
chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
  --print-to-pdf="$pictures/seite_a4.pdf" "file://$html" >/dev/null 2>&1
pdftoppm -r 60 -png "$pictures/seite_a4.pdf" "$pictures/seite_a4"
echo "Bilder in $pictures:"
ls -1 "$pictures"/*.png
