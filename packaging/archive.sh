#!/usr/bin/env bash
# The release archive of one target, as the release workflow builds it and
# `cargo binstall` and the Homebrew formula expect it:
#
#   packaging/archive.sh TARGET BINARY OUTDIR
#
# writes OUTDIR/awsesh-vVERSION-TARGET.tar.gz holding the directory
# awsesh-vVERSION-TARGET/ with the binary, the man pages (man/), the
# completions (completions/), the README and the licenses, and prints the
# archive's path. VERSION is Cargo.toml's. Entries are owned by root, sorted
# and dated from the last commit (SOURCE_DATE_EPOCH when set), so the same
# inputs give the same archive.
set -euo pipefail

if (($# != 3)); then
    echo "usage: packaging/archive.sh TARGET BINARY OUTDIR" >&2
    exit 2
fi
target=$1 binary=$2 outdir=$3
root=$(cd "$(dirname "$0")/.." && pwd)

if [[ ! $target =~ ^[a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+(-[a-z0-9_]+)?$ ]]; then
    echo "packaging/archive.sh: $target is not a target triple (e.g. x86_64-unknown-linux-gnu)" >&2
    exit 2
fi
if [[ ! -x $binary ]]; then
    echo "packaging/archive.sh: $binary is not an executable; build it first (cargo build --release --target $target)" >&2
    exit 1
fi
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n 1)
if [[ -z $version ]]; then
    echo "packaging/archive.sh: no version in $root/Cargo.toml" >&2
    exit 1
fi
if [[ -z ${SOURCE_DATE_EPOCH-} ]]; then
    SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)
fi

name=awsesh-v$version-$target
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)
staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT

dir=$staging/$name
mkdir -p "$dir/man" "$dir/completions"
install -m 755 "$binary" "$dir/awsesh"
install -m 644 "$root"/man/*.1 "$dir/man/"
install -m 644 "$root"/completions/* "$dir/completions/"
install -m 644 "$root/README.md" "$root/LICENSE-MIT" "$root/LICENSE-APACHE" "$dir/"

archive=$outdir/$name.tar.gz
# GNU tar (gtar on macOS runners) makes it reproducible; a BSD tar alone
# still gives root-owned entries.
if tar --version 2>/dev/null | grep -q 'GNU tar'; then
    gnu_tar=tar
elif command -v gtar >/dev/null 2>&1; then
    gnu_tar=gtar
else
    gnu_tar=
fi
if [[ -n $gnu_tar ]]; then
    "$gnu_tar" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
        -C "$staging" -cf - "$name" | gzip -n >"$archive.tmp"
else
    tar --uid 0 --gid 0 -C "$staging" -cf - "$name" | gzip -n >"$archive.tmp"
fi
mv "$archive.tmp" "$archive"
echo "$archive"
