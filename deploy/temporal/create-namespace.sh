#!/bin/sh
# Registers Orderly's namespace on a running Temporal server if it is not there yet. Shared by `make cluster` and the
# temporal-namespace job in docker-compose.yml (temporalio/admin-tools).
#   TEMPORAL_ADDRESS     host:port of the frontend (read by the temporal CLI itself)
#   TEMPORAL_NAMESPACE   default: default
#   NAMESPACE_RETENTION  how long closed workflow histories are kept (default 72h)
#   TEMPORAL_CLI         the CLI's path (default: temporal on PATH)
# It also registers the checkout's search attributes (contract/search-attributes.ts; a test keeps the list below in
# step with it), each only if missing: registering one that exists with the same type is not an error to us.
set -eu
: "${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS to the Temporal frontend host:port}"
cli=${TEMPORAL_CLI:-temporal}
ns=${TEMPORAL_NAMESPACE:-default}

# within WHAT COMMAND...: runs COMMAND once a second until it succeeds, at most 60 times; then names WHAT and fails.
within() {
  what=$1
  shift
  i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -ge 60 ]; then
      echo "temporal namespace: $what after 60 s" >&2
      exit 1
    fi
    sleep 1
  done
}

# The frontend answers before its namespace cache is warm; the CLI retries within its own deadline.
within "no healthy server at $TEMPORAL_ADDRESS" "$cli" operator cluster health
if "$cli" operator namespace describe --namespace "$ns" >/dev/null 2>&1; then
  echo "temporal namespace: $ns exists"
else
  "$cli" operator namespace create --namespace "$ns" --retention "${NAMESPACE_RETENTION:-72h}"
  echo "temporal namespace: $ns created"
fi

# Name=Type, as contract/search-attributes.ts defines them.
SEARCH_ATTRIBUTES="OrderStatus=Keyword PaymentState=Keyword CustomerId=Keyword OrderTotalCents=Int NeedsAttention=Bool"
# A namespace just created reaches the frontend's namespace cache a few seconds later ("Namespace ... is not found").
within "$ns not visible" "$cli" operator search-attribute list --namespace "$ns"
existing=$("$cli" operator search-attribute list --namespace "$ns")
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  if printf '%s\n' "$existing" | grep -q "^ *$name "; then
    echo "temporal search attribute: $name exists"
  else
    "$cli" operator search-attribute create --namespace "$ns" --name "$name" --type "$type"
    echo "temporal search attribute: $name ($type) created"
  fi
done
