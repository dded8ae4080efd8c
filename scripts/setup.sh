#!/usr/bin/env bash
# Installs everything stemdex needs on a fresh Debian machine, from the npm registry and Debian's
# apt repositories only, then builds the TypeScript and the native training kernels.
set -euo pipefail
# shellcheck source=lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"
cd "$(dirname "$0")/.."

# nginx and redis-server: the load-balanced replica test (test/deploy/load-balancer.test.ts).
# chromium: the web app's end-to-end tests drive Debian's headless Chromium (playwright-core, no browser download).
# mma, csound-soundfont (4 MB GM bank) and timgm6mb-soundfont (6 MB, the held-out timbre) let the
# tests render corpus v2 songs; the large SoundFonts of the full corpus: scripts/setup-corpus.sh.
APT_PACKAGES=(fluidsynth fluid-soundfont-gm ffmpeg libopenblas-dev pkg-config nginx redis-server chromium
  mma csound-soundfont timgm6mb-soundfont)

apt_install_missing "${APT_PACKAGES[@]}"

# onnxruntime-node's own installer would fetch CUDA binaries from outside the npm registry: skip it
# (an environment variable: npm warns about unknown .npmrc keys); the bundled CPU binaries are used.
export ONNXRUNTIME_NODE_INSTALL=skip
npm ci --no-audit --no-fund
npm run build
if [ -f training/native/binding.gyp ]; then npm run build:native; fi
