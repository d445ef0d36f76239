#!/usr/bin/env bash
# `npm run up [-- <pulumi up flags>]`: checks what the dev stack needs, then runs `pulumi up --refresh` on the stack
# `dev` with the local file backend. The refresh finds what a restarted dev server lost, so this one `up` restores it.
# In server mode nothing is lost on a restart, and a refresh would read a sealed server before the program's unseal
# step runs: there it is a plain `pulumi up`, whose unseal step goes first.
set -u
cd "$(dirname "$0")/.."
stack=dev
missing=0

if ! command -v pulumi >/dev/null 2>&1; then
  echo "npm run up: the pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/), then run npm run up again" >&2
  missing=1
fi
# Containers are needed unless the stack points at an existing PostgreSQL and an existing Vault (README).
uses_existing() { grep -Eq "^[[:space:]]*vault-pg:$1:[[:space:]]*[^[:space:]\"']" "Pulumi.$stack.yaml" 2>/dev/null; }
if ! { uses_existing postgresHost && uses_existing vaultAddress; }; then
  if ! command -v docker >/dev/null 2>&1; then
    echo "npm run up: the docker CLI is not on PATH; install Docker (https://docs.docker.com/get-docker/), or set postgresHost and vaultAddress to use existing servers" >&2
    missing=1
  elif ! docker info >/dev/null 2>&1; then
    echo "npm run up: no Docker daemon answers (docker info failed); start Docker, or set postgresHost and vaultAddress to use existing servers" >&2
    missing=1
  fi
fi
[ "$missing" = 0 ] || exit 2

refresh=--refresh
grep -Eq "^[[:space:]]*vault-pg:vaultMode:[[:space:]]*[\"']?server" "Pulumi.$stack.yaml" 2>/dev/null && refresh=

mkdir -p .pulumi-state
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-vault-pg-dev}"
pulumi stack select "$stack" --create >/dev/null || exit $?
exec pulumi up $refresh --stack "$stack" "$@"
