#!/usr/bin/env bash
# Runs every fuzz target for FUZZTIME each: `make test` for a few seconds
# (make fuzz-smoke), `make fuzz` for longer. This list is the one place the
# targets are named; a new Fuzz function belongs here.
#
# A target that fails leaves its input under the package's
# testdata/fuzz/<target>/, where `go test` replays it from then on: commit
# it with the fix. The other targets still run; the exit status is 1 if
# any failed.
#
#   FUZZTIME   how long each target runs (default 3s)
#   FUZZFLAGS  more test binary flags, e.g. -test.parallel=2 (default
#              -test.parallel=1, one worker, which leaves the machine usable)
set -uo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-3s}
FUZZFLAGS=${FUZZFLAGS:--test.parallel=1}

# package: targets
targets="
internal/connector/saml: FuzzParseResponse
internal/connector/oidc: FuzzVerifyIDToken
internal/scim: FuzzFilter FuzzPatch
internal/transfer/webdav: FuzzXMLBodies
internal/transfer/ftp: FuzzCommands
internal/web: FuzzDecodeBody FuzzAPIBody
"

# Every Fuzz function in the tree must be listed, so none is left unrun.
for found in $(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' internal cmd | sort); do
	pkg=$(dirname "$found")
	for name in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$found" | sed 's/^func //'); do
		if ! grep -qE "^$pkg:.* $name( |\$)" <<<"$targets"; then
			echo "$name in $found is not listed in scripts/fuzz.sh; add it to the targets there" >&2
			exit 1
		fi
	done
done

# fuzz_one runs one target. Go before 1.27 can end a duration-bounded run
# with a bare "context deadline exceeded" and no input written: its fuzzing
# coordinator races its own -fuzztime deadline on a busy machine
# (https://go.dev/issue/75804). Such a run, and only such a run, is tried
# once more; a run that wrote a failing input or printed anything else
# fails at once.
fuzz_one() {
	local pkg=$1 test=$2 target=$3 log attempt
	log="$bin/$target.log"
	for attempt in 1 2; do
		# shellcheck disable=SC2086
		if (cd "$root/$pkg" && "$test" -test.run='^$' -test.fuzz="^${target}\$" -test.fuzztime="$FUZZTIME" \
			-test.fuzzminimizetime=10x -test.fuzzcachedir="$cache/$module/$pkg" -test.timeout=30m $FUZZFLAGS) 2>&1 | tee "$log"; then
			return 0
		fi
		if grep -q 'Failing input written' "$log" ||
			[ "$(grep -A1 -- "^--- FAIL: $target " "$log" | tail -n1 | sed 's/^[[:space:]]*//')" != "context deadline exceeded" ]; then
			return 1
		fi
		[ "$attempt" = 1 ] && echo "$target stopped on the fuzzing engine's own deadline (https://go.dev/issue/75804), nothing found; running it once more"
	done
	return 1
}

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
module=$("$GO" list -m)
cache=$("$GO" env GOCACHE)/fuzz
failed=()
while read -r pkg names; do
	pkg=${pkg%:}
	[ -n "$pkg" ] || continue
	# One instrumented test binary per package serves all its targets;
	# it runs in the package's folder, where its testdata is, with the
	# corpus cache go test itself would use.
	test="$bin/$(echo "$pkg" | tr / _).test"
	if ! "$GO" test -c -fuzz . -o "$test" "./$pkg"; then
		failed+=("$pkg (build)")
		continue
	fi
	for target in $names; do
		echo "== $target ($pkg, $FUZZTIME)"
		if [ "$("$test" -test.list="^${target}\$")" != "$target" ]; then
			echo "$pkg has no fuzz target $target any more; update the list in scripts/fuzz.sh" >&2
			failed+=("$target ($pkg, missing)")
			continue
		fi
		# Several targets keep a server and a store across iterations, so
		# map order and the store's growth make some runs look new to the
		# coverage engine; minimizing each such input for the default
		# minute would stall the run, so minimizing is bounded by runs.
		if ! fuzz_one "$pkg" "$test" "$target"; then
			failed+=("$target ($pkg)")
		fi
	done
done <<<"$targets"

if [ ${#failed[@]} -gt 0 ]; then
	echo "fuzz targets that failed: ${failed[*]}" >&2
	echo "a failing input is under its package's testdata/fuzz/TARGET/; replay it with: go test -run 'TARGET/INPUT' ./PACKAGE" >&2
	exit 1
fi
echo "every fuzz target ran ${FUZZTIME} without a failure"
