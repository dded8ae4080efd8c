# Sourced by scripts/setup.sh and scripts/setup-corpus.sh (bash only).
# apt_install_missing PKG...: installs, from Debian's apt repositories, the packages not installed yet
# (apt-get update only when something is missing, so a ready machine needs no network).
apt_install_missing() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if ((${#missing[@]})); then
    local SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}
