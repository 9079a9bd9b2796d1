#!/usr/bin/env bash
# Install the system tools the project needs, from Debian's packages, only when one is missing.
# Extra tools may be named as arguments: `sysdeps.sh docker-compose` (tool = package name).
set -euo pipefail
declare -A pkg=([java]=openjdk-17-jre-headless [mvn]=maven [kcat]=kcat [curl]=curl
  [prometheus]=prometheus [chromium]=chromium [tmux]=tmux  # these three: the windows' tests
  [node]=nodejs [npm]=npm)  # the AsyncAPI CLI
for extra in "$@"; do pkg[$extra]=$extra; done
missing=()
for tool in "${!pkg[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${pkg[$tool]}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
