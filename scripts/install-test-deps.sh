#!/usr/bin/env bash
# Installs the Debian packages the test suite talks to: real protocol peers for the
# checks, the nftables data plane, ldirectord as the reference, and keepalived (VRRP for
# the director pair in the VM, test/vm/guest/pair.mjs). Idempotent.
# Services are never auto-started: each test starts its own instance on loopback.
set -euo pipefail
pkgs=(
  iproute2 nftables conntrack iputils-ping openssl procps
  postgresql mariadb-server slapd ldap-utils
  dovecot-imapd dovecot-pop3d vsftpd dnsmasq-base freeradius sip-tester
  ldirectord keepalived
  chromium
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The real-IPVS VM (qemu, a Debian kernel, an initramfs): test/vm/ boots it.
vm() { bash "$(dirname "$0")/install-vm.sh"; }
[ ${#missing[@]} -eq 0 ] && { vm; exit; }
# policy-rc.d 101 = "do not start services from maintainer scripts".
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
vm
