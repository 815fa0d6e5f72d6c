#!/usr/bin/env bash
# Fetch the Debian font packages the classifier recipe draws plates with (beyond the PyPI
# fonts of the "train" extra) and unpack their font files into one folder, without
# installing anything system-wide. Then point JLPR_FONT_DIRS at it:
#
#   bash tools/fetch_fonts.sh /tmp/jlpr-fonts && export JLPR_FONT_DIRS=/tmp/jlpr-fonts
#
# Needs apt-get and dpkg-deb (Debian, Ubuntu). Elsewhere get the same fonts from their
# projects (docs/fonts.md lists them with their licences) into one folder.
set -euo pipefail
out=${1:?usage: bash tools/fetch_fonts.sh FOLDER}
packages=(
    fonts-morisawa-bizud-gothic  # BIZ UDGothic (OFL-1.1)
    fonts-mplus                  # M PLUS 1 and 2 (OFL-1.1)
    fonts-motoya-l-cedar         # MotoyaLCedar (Apache-2.0)
    fonts-motoya-l-maruberi      # MotoyaLMaru (Apache-2.0); held out: the unseen-font test set
    fonts-vlgothic               # VL Gothic (BSD-3-Clause, M+ and Sazanami font licences)
    fonts-komatuna               # Komatuna (BSD-3-Clause, CC-BY-SA-3.0)
    fonts-horai-umefont          # Ume Gothic (Ume font licence: free use, change, redistribution)
    fonts-klee                   # Klee One (OFL-1.1)
    fonts-kiloji                 # kiloji (BSD-3-Clause)
    fonts-seto                   # SetoFont (OFL-1.1)
    fonts-sawarabi-gothic        # Sawarabi Gothic (CC-BY-3.0)
    fonts-konatu                 # Konatu (MIT)
)
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "${packages[@]}" >/dev/null)
for deb in "$work"/*.deb; do
    dpkg-deb -x "$deb" "$work/root"
done
find "$work/root" -type f \( -name '*.ttf' -o -name '*.otf' -o -name '*.ttc' \) \
    -exec cp {} "$out"/ \;
echo "fonts in $out: $(find "$out" -type f | wc -l) files; export JLPR_FONT_DIRS=$out"
