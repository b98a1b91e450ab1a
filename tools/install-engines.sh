#!/usr/bin/env bash
# Installs the real engines the tests run (test/engines): promtool (Debian package prometheus) and
# amtool (prometheus-alertmanager). Only what is missing; sudo where the shell is not root (GitHub's
# ubuntu runners). Part of the README's test command, so a fresh machine needs nothing by hand.
set -euo pipefail
if command -v promtool >/dev/null && command -v amtool >/dev/null; then
  exit 0
fi
as_root=""
if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
$as_root apt-get update
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends prometheus prometheus-alertmanager
