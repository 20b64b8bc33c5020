#!/bin/sh
# Creates the application's namespace and registers the contract's search attributes
# (SEARCH_ATTRIBUTES: "Name=Type" pairs, the list of workflows/search-attributes.ts) with the
# Temporal CLI of the official admin-tools image. Idempotent: what exists is left alone. The
# worker registers the same attributes at its start too, so a cluster set up elsewhere needs
# nothing from this script.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS: the Temporal frontend, host:port}"
namespace=${TEMPORAL_NAMESPACE:-default}
retention=${TEMPORAL_NAMESPACE_RETENTION:-30d}
attempts=${SETUP_ATTEMPTS:-60}

attempt=1
until temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "Temporal at $TEMPORAL_ADDRESS did not become healthy after $attempts attempts" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

if temporal operator namespace describe --address "$TEMPORAL_ADDRESS" --namespace "$namespace" >/dev/null 2>&1; then
  echo "Namespace $namespace: exists"
else
  temporal operator namespace create --address "$TEMPORAL_ADDRESS" --namespace "$namespace" --retention "$retention"
  echo "Namespace $namespace: created (retention $retention)"
fi

# A namespace created a moment ago is not visible to the frontend until its namespace cache
# refreshes (a few seconds): wait for it.
attempt=1
until existing=$(temporal operator search-attribute list --address "$TEMPORAL_ADDRESS" --namespace "$namespace" 2>&1); do
  if [ "$attempt" -ge "$attempts" ]; then
    echo "Namespace $namespace: not usable after $attempts attempts: $existing" >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  sleep 2
done

for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  if printf '%s\n' "$existing" | grep -qw "$name"; then
    echo "Search attribute $name: registered"
  else
    temporal operator search-attribute create --address "$TEMPORAL_ADDRESS" --namespace "$namespace" --name "$name" --type "$type"
    echo "Search attribute $name: registered now ($type)"
  fi
done
