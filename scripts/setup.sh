#!/usr/bin/env bash
# setup.sh: install what building and testing Cloud Resizer needs on a Debian
# (or Ubuntu) machine, saying what it installs. Packages already there are left
# alone, so running it again costs a second. Uses sudo when not root.
#
#   scripts/setup.sh            the build and the tests: libvips-dev, pkg-config, gcc, redis-server,
#                               chromium (the web page's browser tests), nginx
#   scripts/setup.sh bench      also vipsthumbnail (libvips-tools) and npm, for make bench
set -euo pipefail

packages=(libvips-dev pkg-config gcc libc6-dev redis-server chromium nginx)
if [ "${1:-}" = bench ]; then
	packages+=(libvips-tools npm)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
# npm may come with a Node.js that was not installed from Debian's packages.
if [ "${1:-}" = bench ] && command -v npm >/dev/null; then
	missing=("${missing[@]/npm/}")
fi

if [ -n "${missing[*]// /}" ]; then
	echo "setup: installing ${missing[*]} (apt-get)"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2068 # empty entries must vanish
	$sudo apt-get install -y -qq --no-install-recommends ${missing[@]}
fi

if ! command -v go >/dev/null; then
	echo "setup: Go is missing: install Go 1.26 or newer from https://go.dev/dl/ (Debian's golang package is too old)" >&2
	exit 1
fi
echo "setup: ready (libvips $(pkg-config --modversion vips), $(go version | cut -d' ' -f3))"
