#!/bin/sh
# Stand-in base images, for building the Dockerfile with podman where Docker Hub cannot be reached (the machine
# Fulgor is developed on reaches only npm and Debian). Makes node:<NODE_VERSION>-bookworm and -bookworm-slim in
# podman's local storage from a Debian bookworm root file system (debootstrap: python3, make, g++ for pkcs11js) and
# this machine's node, npm and node headers, which must be the Dockerfile's NODE_VERSION. The machine's own added CA
# certificates (/usr/local/share/ca-certificates, e.g. an egress proxy's) are trusted inside, so npm and apt work.
# Both tags are the same image: a stand-in, not the official one. Then (as root):
#   FULGOR_IMAGE_TEST=1 npx mocha --no-config --exit dist/test/integration/deployment.spec.js  (README "Deployment")
# Needs: podman, debootstrap (apt-get install -y podman debootstrap), root.
set -eu
cd "$(dirname "$0")/.."
version=$(sed -n 's/^ARG NODE_VERSION=//p' Dockerfile)
node_bin=$(command -v node)
have=$(node -p process.versions.node)
[ "$have" = "$version" ] || { echo "this machine has node $have; the Dockerfile pins $version" >&2; exit 1; }
prefix=$(dirname "$(dirname "$node_bin")")
npm_dir=$(npm root -g)/npm
[ -d "$prefix/include/node" ] || { echo "no node headers in $prefix/include/node" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
debootstrap --variant=minbase --include=ca-certificates,python3,make,g++ bookworm "$root" http://deb.debian.org/debian
mkdir -p "$root/usr/local/bin" "$root/usr/local/lib/node_modules" "$root/usr/local/include"
cp "$node_bin" "$root/usr/local/bin/node"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
cp -a "$prefix/include/node" "$root/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
chroot "$root" update-ca-certificates
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman import \
  --change 'CMD ["node"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  - "docker.io/library/node:$version-bookworm"
podman tag "docker.io/library/node:$version-bookworm" "docker.io/library/node:$version-bookworm-slim"
echo "stand-in images: docker.io/library/node:$version-bookworm and -bookworm-slim"
