#!/usr/bin/env bash
# `npm run lint`: typescript-eslint (type-aware), the Prettier check and the dependency rules, run
# side by side (ESLint's type-checking dominates; the other two fit beside it). Fails if any fails,
# after all three have printed.
set -uo pipefail
cd "$(dirname "$0")/.."

eslint src test bench dashboard/src & eslint_pid=$!
prettier --check --cache --log-level warn . & prettier_pid=$!
depcruise src --config .dependency-cruiser.cjs & deps_pid=$!

status=0
for pid in "$eslint_pid" "$prettier_pid" "$deps_pid"; do
  wait "$pid" || status=1
done
exit "$status"
