# Sourced by tools/bootstrap.sh and tools/fuzz.sh: installs the Debian
# packages that are not installed yet. The caller defines log().

# Installs with apt-get (through sudo when not root) those of the named
# packages that dpkg does not list as installed; does nothing when all are.
apt_install_missing() {
  local pkg missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing with apt-get: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}
