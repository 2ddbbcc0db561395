#!/usr/bin/env bash
# Installs the real servers and clients the test suite runs against, when
# they are missing: PostgreSQL (store conformance on the many-node engine),
# Chromium and playwright-core (the login page as a person sees it),
# aiosmtpd (the mail server admin alerts are delivered to), oidc-provider
# (the OpenID provider the OIDC connector signs in against), pysaml2 and
# xmlsec1 (the SAML identity provider), slapd and ldap-utils (the LDAP
# directory; tests start their own slapd, never the system one), lftp (FTP and
# FTPS), curl and rclone (WebDAV), and Files.com's own clients: rclone with
# its filescom backend (built from the Go module proxy, pinned) and the
# files.com npm SDK.
# Safe to run again: it installs only what is absent.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
apt_packages=()

have_postgres() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; }
have_postgres || apt_packages+=(postgresql)
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v node >/dev/null 2>&1 || apt_packages+=(nodejs npm)
# Debian's Python packages are seen by Debian's interpreter, not any python3 on PATH.
/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || apt_packages+=(python3-aiosmtpd)
# The SAML identity provider the SAML connector tests sign responses with.
/usr/bin/python3 -c 'import saml2' >/dev/null 2>&1 || apt_packages+=(python3-pysaml2)
command -v xmlsec1 >/dev/null 2>&1 || apt_packages+=(xmlsec1)
[ -x /usr/sbin/slapd ] && [ -x /usr/sbin/slapadd ] || apt_packages+=(slapd)
command -v ldapsearch >/dev/null 2>&1 || apt_packages+=(ldap-utils)
# OpenSSH's sftp and ssh-keygen are the SFTP tests' client; its sshd and
# sftp-server are the SFTP benchmark's yardstick (started by the benchmark
# on a loopback port, never as the system service).
command -v sftp >/dev/null 2>&1 && command -v ssh-keygen >/dev/null 2>&1 || apt_packages+=(openssh-client)
[ -x /usr/sbin/sshd ] && [ -x /usr/lib/openssh/sftp-server ] || apt_packages+=(openssh-server)
# The FTP/FTPS tests' client, and the WebDAV tests' clients.
command -v lftp >/dev/null 2>&1 || apt_packages+=(lftp)
command -v curl >/dev/null 2>&1 || apt_packages+=(curl)
command -v rclone >/dev/null 2>&1 || apt_packages+=(rclone)

if [ ${#apt_packages[@]} -gt 0 ]; then
  # Installing needs root: as root directly, else through sudo when there
  # is one; otherwise say what to run.
  as_root=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install-test-peers: installing the test peers needs root; run as root: apt-get install -y --no-install-recommends ${apt_packages[*]}" >&2
      exit 1
    fi
    as_root=(sudo)
  fi
  echo "install-test-peers: installing ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
  # Debian's slapd package may start a system directory on port 389; the
  # tests run their own on loopback ports and do not need it.
  if [[ " ${apt_packages[*]} " == *" slapd "* ]] && command -v service >/dev/null 2>&1; then
    "${as_root[@]}" service slapd stop >/dev/null 2>&1 || true
  fi
fi

# npm peers live in the repo's test data with a lock file, never globally.
browser="$here/internal/e2e/testdata/browser"
if [ -f "$browser/package-lock.json" ] && { [ ! -d "$browser/node_modules/playwright-core" ] || [ ! -d "$browser/node_modules/axe-core" ]; }; then
  echo "install-test-peers: npm ci in internal/e2e/testdata/browser"
  (cd "$browser" && npm ci --no-audit --no-fund --loglevel=error)
fi
oidc_provider="$here/internal/connector/oidc/testdata/provider"
if [ -f "$oidc_provider/package-lock.json" ] && [ ! -d "$oidc_provider/node_modules/oidc-provider" ]; then
  echo "install-test-peers: npm ci in internal/connector/oidc/testdata/provider"
  (cd "$oidc_provider" && npm ci --no-audit --no-fund --loglevel=error)
fi
filescom_js="$here/internal/e2e/testdata/filescom-js"
if [ -f "$filescom_js/package-lock.json" ] && [ ! -d "$filescom_js/node_modules/files.com" ]; then
  echo "install-test-peers: npm ci in internal/e2e/testdata/filescom-js"
  (cd "$filescom_js" && npm ci --no-audit --no-fund --loglevel=error)
fi

# Debian's rclone predates the Files.com backend, and the machines reach no
# download site: the pinned release is built from the Go module proxy into
# .test-tools/ (several minutes, once per machine).
rclone_version=v1.76.0
tools="$here/.test-tools"
if [ ! -x "$tools/rclone-$rclone_version" ]; then
  echo "install-test-peers: building rclone $rclone_version into .test-tools (several minutes, once)"
  mkdir -p "$tools/build"
  (cd "$tools" && GOBIN="$tools/build" GOFLAGS=-mod=mod go install "github.com/rclone/rclone@$rclone_version")
  mv "$tools/build/rclone" "$tools/rclone-$rclone_version"
  rmdir "$tools/build"
fi
