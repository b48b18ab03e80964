#!/usr/bin/env bash
# Installs what the browser tests need (idempotent, no input):
#   - Debian's Chromium at /usr/bin/chromium (apt package `chromium`), driven by Playwright;
#   - axe-core from the npm registry into tests/browser/node_modules (pinned by the committed
#     tests/browser/package-lock.json), injected into each page for the accessibility checks.
# Runs as root in CI (CI=true); as another user it only reports what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" -eq 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-cache show chromium >/dev/null 2>&1 || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock || true)" ]; then
            apt-get update -qq
        fi
        apt-get install -y -qq --no-install-recommends chromium >/dev/null || {
            apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
        echo "chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
    else
        echo "chromium: /usr/bin/chromium is missing; run this script as root (apt-get install chromium)." >&2
    fi
else
    echo "chromium: present"
fi

if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
    if command -v npm >/dev/null 2>&1; then
        (cd tests/browser && { npm ci --no-audit --no-fund --silent || npm install --no-audit --no-fund --silent; })
        echo "axe-core: installed"
    else
        echo "axe-core: npm is missing; the accessibility checks will be skipped." >&2
    fi
else
    echo "axe-core: present"
fi
