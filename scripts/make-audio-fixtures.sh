#!/usr/bin/env bash
# Regenerates the tiny audio fixtures in test/fixtures/audio: the same 0.5 s, 44.1 kHz stereo signal
# (left 440 Hz, right 1 kHz, both at -12 dBFS) as 16-bit WAV (the reference), FLAC, MP3 and
# Ogg/Vorbis. The tests decode each format and compare it with the WAV. Needs ffmpeg with libmp3lame
# and libvorbis (Debian's ffmpeg package has both).
set -euo pipefail
cd "$(dirname "$0")/../test/fixtures/audio"

command -v ffmpeg >/dev/null || {
  echo "ffmpeg not found: apt-get install -y ffmpeg" >&2
  exit 1
}

ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }

# lavfi's sine source peaks at 1/8 full scale (-18 dBFS); +6 dB lifts it to -12 dBFS. amerge makes one
# stereo stream of the two mono sines; -bitexact keeps the files reproducible.
ff -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=0.5" \
  -f lavfi -i "sine=frequency=1000:sample_rate=44100:duration=0.5" \
  -filter_complex "[0:a][1:a]amerge=inputs=2,volume=6dB" \
  -c:a pcm_s16le -bitexact tone-44k1-stereo.wav

ff -i tone-44k1-stereo.wav -c:a flac -bitexact tone-44k1-stereo.flac
ff -i tone-44k1-stereo.wav -c:a libmp3lame -b:a 128k -bitexact tone-44k1-stereo.mp3
ff -i tone-44k1-stereo.wav -c:a libvorbis -q:a 4 -bitexact tone-44k1-stereo.ogg

ls -l tone-44k1-stereo.*
