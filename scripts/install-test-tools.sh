#!/usr/bin/env bash
# Runs before `npm test`: installs, with apt-get, the third-party tools the tests run for real.
#   promtool, prometheus (Debian: prometheus)   test/observability: metrics format, alert rules, scrape
#   syslog-ng            (Debian: syslog-ng-core) test/delivery/tcp.test.ts: a real syslog server
#   pgrep                (Debian: procps)         test/cli/operator-recipes.test.ts: finds the gateway by name
#   chromium             (Debian: chromium)       test/console: the web console in a real browser
#   nats-server          (Debian: nats-server)    test/cluster: the JetStream backend, single node and a 3-node cluster
#   Fluent Bit 5.1.1     (not packaged)            test/delivery: a real _bulk and OTLP receiver. The tests run the
#                        binary at ../shared/peers/fluent-bit beside the repository, or $FLUENT_BIT; it needs
#                        Debian's libyaml-0-2 and libssl3, installed here when missing.
# Without apt-get, install those with your package manager (Homebrew: prometheus, syslog-ng, nats-server) and
# run `npm test` again.
set -euo pipefail

declare -A package_of=([promtool]=prometheus [prometheus]=prometheus [syslog-ng]=syslog-ng-core [pgrep]=procps [chromium]=chromium [nats-server]=nats-server)
missing=() tools=()
for tool in "${!package_of[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || { missing+=("${package_of[$tool]}"); tools+=("$tool"); }
done
fluent_bit=${FLUENT_BIT:-$(dirname "$0")/../../shared/peers/fluent-bit}
if [ ! -x "$fluent_bit" ]; then
  echo "pretest: Fluent Bit is not at $fluent_bit: the Elasticsearch and OpenTelemetry interop tests will fail; put the Fluent Bit 5.1.1 binary of the peers folder there, or set FLUENT_BIT to its path" >&2
else
  declare -A library_package=([libyaml-0.so.2]=libyaml-0-2 [libssl.so.3]=libssl3)
  for library in $(ldd "$fluent_bit" 2>/dev/null | awk '/not found/ { print $1 }'); do
    missing+=("${library_package[$library]:-$library}"); tools+=("$library (for Fluent Bit)")
  done
fi
if ((${#missing[@]} == 0)); then exit 0; fi
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if ! command -v apt-get >/dev/null 2>&1; then
  echo "pretest: the tests need these tools, which are not installed: ${tools[*]}" >&2
  echo "pretest: apt-get is not available here; install the packages that provide them (Debian names: $packages) and run npm test again" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "pretest: run as root, or install sudo, to apt-get install: $packages" >&2
    exit 1
  fi
  sudo=(sudo)
fi
echo "pretest: installing with apt-get: $packages(the tests run these tools for real)"
"${sudo[@]}" apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $packages
