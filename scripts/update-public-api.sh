#!/usr/bin/env bash
# Records the libraries' public API changes in their PublicAPI.Unshipped.txt files.
#
# Builds every library with the public API analyzer's findings as warnings, then adds each symbol
# that RS0016 reports as undeclared, and removes each one RS0017 reports as gone (a symbol that was
# shipped is marked *REMOVED* instead, as the analyzer expects). Review the diff before committing:
# every line is a public API promise. See CONTRIBUTING.md ("Public API").
set -euo pipefail
cd "$(dirname "$0")/.."

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

# Dependencies first (each library is rebuilt alone, against the ones built before it).
libraries=()
for project in Worker.Core/Worker.Core.csproj Worker.Transport.Streams/*.csproj Worker.Transport.*/*.csproj Worker.Extensions.*/*.csproj; do
    if [ -f "$project" ] && [[ " ${libraries[*]} " != *" $project "* ]]; then
        libraries+=("$project")
    fi
done

for project in "${libraries[@]}"; do
    # A rebuild: the analyzer reports only on what it compiles.
    dotnet build "$project" --no-incremental --no-dependencies -nologo -clp:NoSummary \
        -p:TreatWarningsAsErrors=false -p:WarningsAsErrors= >>"$log" 2>&1 || true
done

changed=0
for project in "${libraries[@]}"; do
    dir="$(dirname "$project")"
    unshipped="$dir/PublicAPI.Unshipped.txt"
    shipped="$dir/PublicAPI.Shipped.txt"
    [ -f "$unshipped" ] || printf '#nullable enable\n' >"$unshipped"
    [ -f "$shipped" ] || printf '#nullable enable\n' >"$shipped"

    added="$(grep -F "[$(pwd)/$project]" "$log" | sed -n "s/.*warning RS0016: Symbol '\(.*\)' is not part of the declared public API.*/\1/p" | sort -u || true)"
    removed="$(grep -F "[$(pwd)/$project]" "$log" | sed -n "s/.*warning RS0017: Symbol '\(.*\)' is part of the declared API, but is either not public or could not be found.*/\1/p" | sort -u || true)"
    if [ -z "$added" ] && [ -z "$removed" ]; then
        continue
    fi

    body="$(grep -v '^#nullable enable$' "$unshipped" || true)"
    while IFS= read -r symbol; do
        [ -n "$symbol" ] || continue
        if grep -qxF -- "$symbol" <<<"$body"; then
            body="$(grep -vxF -- "$symbol" <<<"$body" || true)"
        elif grep -qxF -- "$symbol" "$shipped"; then
            body="$body"$'\n'"*REMOVED*$symbol"
        fi
    done <<<"$removed"
    body="$body"$'\n'"$added"
    { printf '#nullable enable\n'; grep -v '^$' <<<"$body" | LC_ALL=C sort -u; } >"$unshipped"
    echo "$unshipped: +$(grep -c . <<<"$added" || true) -$(grep -c . <<<"$removed" || true)"
    changed=1
done

if [ "$changed" -eq 0 ]; then
    echo "The public API baselines are up to date."
fi
