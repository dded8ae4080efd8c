#!/usr/bin/env bash
# Installs what `npm run corpus` (corpus v2) needs beyond scripts/setup.sh, from Debian's apt
# repositories only: the rest of the training SoundFont pool (MuseScore General Lite, the OPL-3 FM
# bank, the AVL acoustic drum kits). Tests do not need these; about 160 MB to download.
set -euo pipefail
# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

APT_PACKAGES=(mma fluidsynth fluid-soundfont-gm csound-soundfont timgm6mb-soundfont ffmpeg
  musescore-general-soundfont-small opl3-soundfont avldrums.lv2-soundfont)

apt_install_missing "${APT_PACKAGES[@]}"
echo "corpus v2 SoundFonts and mma installed"
