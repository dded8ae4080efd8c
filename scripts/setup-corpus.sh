#!/usr/bin/env bash
# Installs what `npm run corpus` (corpus v2) needs beyond scripts/setup.sh, from Debian's apt
# repositories only: the rest of the training SoundFont pool (MuseScore General Lite, the OPL-3 FM
# bank, the AVL acoustic drum kits). Tests do not need these; about 160 MB to download.
set -euo pipefail

APT_PACKAGES=(mma fluidsynth fluid-soundfont-gm csound-soundfont timgm6mb-soundfont ffmpeg
  musescore-general-soundfont-small opl3-soundfont avldrums.lv2-soundfont)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "corpus v2 SoundFonts and mma installed"
