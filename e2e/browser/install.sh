#!/usr/bin/env bash
# Installs Debian's chromium (the browser e2e/browser/chat.ts drives through playwright-core), only when
# /usr/bin/chromium is missing: `apt-get update` once, then one `apt-get install --no-install-recommends`
# (26 packages on the development machine, which had most of the libraries; more on a bare system). DejaVu,
# the font fontconfig falls back to, is named so that the screenshots have glyphs. Idempotent: a machine that
# has /usr/bin/chromium runs no apt command.
# Nothing else downloads a browser: playwright-core has no install script and is pointed at this binary.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: present ($(/usr/bin/chromium --version 2>/dev/null || echo '?'))"
  exit 0
fi
[ "$(id -u)" = 0 ] || {
  echo "chromium: /usr/bin/chromium is missing and this is not root (apt-get install chromium)" >&2
  exit 1
}
echo "chromium: installing the Debian package"
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -qq
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
echo "chromium: installed ($(/usr/bin/chromium --version))"
