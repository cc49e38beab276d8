#!/usr/bin/env bash
# The Homebrew formula of a release, on stdout:
#
#   packaging/homebrew/render.sh VERSION SHA256SUMS
#
# fills packaging/homebrew/awsesh.rb.in with the version, the repository
# named in Cargo.toml and, for each archive the formula installs, its
# checksum from SHA256SUMS (the `sha256sum` output of the release). Fails,
# printing nothing, when an archive is missing from SHA256SUMS.
set -euo pipefail

if (($# != 2)); then
    echo "usage: packaging/homebrew/render.sh VERSION SHA256SUMS" >&2
    exit 2
fi
version=$1 sums=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [[ ! $version =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]; then
    echo "packaging/homebrew/render.sh: $version is not a version (e.g. 0.1.0)" >&2
    exit 2
fi
field() {
    sed -n "s/^$1 = \"\(.*\)\"\$/\1/p" "$root/Cargo.toml" | head -n 1
}
repository=$(field repository)
homepage=$(field homepage)

formula=$(<"$here/awsesh.rb.in")
formula=${formula//@VERSION@/$version}
formula=${formula//@REPOSITORY@/$repository}
formula=${formula//@HOMEPAGE@/$homepage}
for target in aarch64-apple-darwin x86_64-apple-darwin aarch64-unknown-linux-musl x86_64-unknown-linux-musl; do
    archive=awsesh-v$version-$target.tar.gz
    sum=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$sums")
    if [[ ! $sum =~ ^[0-9a-f]{64}$ ]]; then
        echo "packaging/homebrew/render.sh: no SHA-256 of $archive in $sums" >&2
        exit 1
    fi
    formula=${formula//"@SHA256:$target@"/$sum}
done
if [[ $formula == *@*@* && $formula =~ @[A-Z0-9:_a-z-]+@ ]]; then
    echo "packaging/homebrew/render.sh: a placeholder is left: ${BASH_REMATCH[0]}" >&2
    exit 1
fi
printf '%s\n' "$formula"
