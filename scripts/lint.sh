#!/usr/bin/env bash
# `npm run lint`: ESLint (eslint.config.js says which rules at which depth), the Prettier check and
# the dependency rules, run side by side; fails if any fails, after all have printed.
# `npm run lint:full` (`--full`): every type-aware rule on every file, in one ESLint process.
set -uo pipefail
# A larger young generation: type-aware linting allocates fast, and scavenges dominate otherwise.
export NODE_OPTIONS="${NODE_OPTIONS:-} --max-semi-space-size=64"
cd "$(dirname "$0")/.."

pids=()
if [ "${1:-}" = "--full" ]; then
  LINT_FULL=1 eslint src test bench dashboard/src & pids+=($!)
else
  # The type-aware part (src/) and the rest in two processes, one per core.
  eslint src & pids+=($!)
  eslint test bench dashboard/src & pids+=($!)
fi
prettier --check --cache --log-level warn . & pids+=($!)
depcruise src --config .dependency-cruiser.cjs & pids+=($!)

status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit "$status"
