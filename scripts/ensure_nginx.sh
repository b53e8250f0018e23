#!/usr/bin/env bash
# The production tests (tests/production/test_nginx.py, test_supervisord.py) and the chaos run (`make chaos`)
# put Debian's nginx in front of the replicas with deploy/nginx.conf. Installs it when it is missing.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
echo "==> installing Debian's nginx for the production tests"
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
command -v nginx || ls /usr/sbin/nginx
