#!/usr/bin/env bash
# The whole TradeMaster test suite, from a fresh clone. The tests start what they need themselves: a private
# PostgreSQL from the installed server binaries, the Google Pub/Sub emulator, Orleans clusters, Kestrel on
# 127.0.0.1 and headless Chromium. This script only installs the operating-system packages they use.
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${need_apt[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "test.sh: missing ${need_apt[*]}; install them (Debian: apt-get install ${need_apt[*]})" >&2
  fi
fi

dotnet build TradeMaster.sln -c Release -nologo -clp:ErrorsOnly

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test TradeMaster.sln -c Release --no-build -nologo --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log" || status=$?

# One closing line for the whole suite, summed over the test projects.
passed=$(awk '/^[[:space:]]+Passed:[[:space:]]+[0-9]+$/ {n += $2} END {print n + 0}' "$log")
failed=$(awk '/^[[:space:]]+Failed:[[:space:]]+[0-9]+$/ {n += $2} END {print n + 0}' "$log")
skipped=$(awk '/^[[:space:]]+Skipped:[[:space:]]+[0-9]+$/ {n += $2} END {print n + 0}' "$log")
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"
