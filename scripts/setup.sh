#!/bin/bash
# Install what peerdma needs to build, test and document itself on Debian 12
# (bookworm).  Safe to run again: it installs only what is missing, and does
# nothing (not even apt-get update) when everything is there.
#
#   scripts/setup.sh            as root, or as a user with sudo
set -euo pipefail

packages=(
	build-essential		# gcc, make, libc headers (and libasan/libubsan/libtsan)
	meson ninja-build pkg-config
	libpci-dev pciutils	# libpci (config space, names) and lspci
	libjansson-dev		# JSON topology files and --json output
	zlib1g-dev libssl-dev	# deflate and AES-GCM engines of the emulated accelerator
	clang libclang-rt-14-dev	# libFuzzer targets (fuzz/)
	python3			# tests: parse and compare JSON output
	groff-base man-db	# render and check the man page
)

if [ "$(id -u)" -eq 0 ]; then
	sudo=()
elif command -v sudo >/dev/null; then
	sudo=(sudo)
else
	echo "setup.sh: not root and no sudo: run it as root" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
# The PCI ID database: its own package where it exists (bookworm), else
# the copy that comes with pciutils.
if ! dpkg-query -W -f='${Status}' pci.ids 2>/dev/null | grep -q 'ok installed'; then
	missing+=(pci.ids)
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup.sh: everything is installed"
	exit 0
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
if [[ " ${missing[*]} " == *" pci.ids "* ]] &&
	! apt-cache show pci.ids >/dev/null 2>&1; then
	missing=("${missing[@]/pci.ids/}")
	read -r -a missing <<<"${missing[*]}"
fi
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup.sh: done"
