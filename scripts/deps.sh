#!/usr/bin/env bash
# Installs what sealgate needs from Debian's packages (and npm for the
# JavaScript client tests). Runs `apt-get update` once, only if something is
# missing. Usage: scripts/deps.sh run|test|bench
set -euo pipefail
what=${1:-test}
cd "$(dirname "$0")/.."

pkgs=(cmake make g++ pkg-config libuv1-dev libre2-dev picojson-dev default-libmysqlclient-dev
      libssl-dev libzstd-dev zlib1g-dev mariadb-server mariadb-client)
case $what in
  test) pkgs+=(clang libclang-rt-14-dev libgtest-dev python3-pymysql nodejs npm openssl sqitch libdbd-mysql-perl libdbd-mariadb-perl
             mariadb-test python3-django python3-mysqldb ruby-activerecord ruby-mysql2) ;;
  bench) pkgs+=(libgtest-dev sysbench percona-toolkit python3-pymysql) ;;
  run) ;;
  *) echo "usage: deps.sh run|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node may come from elsewhere than Debian's package; accept any node+npm on PATH.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done; missing=("${tmp[@]}")
fi
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq -o DPkg::Lock::Timeout=600
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi

node_dir=tests/e2e/node
if [[ $what == test && -f $node_dir/package.json ]] &&
   [[ ! -f $node_dir/node_modules/.package-lock.json || $node_dir/package.json -nt $node_dir/node_modules/.package-lock.json ]]; then
  (cd $node_dir && npm install --no-audit --no-fund --loglevel=error)
fi
