#!/bin/sh
# azd down deletes every resource group its last deployment wrote into (Azure/azure-dev#2916). With an existing
# system topic (EXISTING_SYSTEM_TOPIC_ID) the event subscription lives in that topic's resource group, which is
# not ours: stop, and say how to take the subscription out of the deployment first.
set -eu
if [ -n "${EXISTING_SYSTEM_TOPIC_ID:-}" ] && [ "${DEPLOY_RESOURCE_EVENT_SUBSCRIPTION:-false}" = "true" ]; then
  rg=$(echo "$EXISTING_SYSTEM_TOPIC_ID" | cut -d/ -f5)
  topic=$(echo "$EXISTING_SYSTEM_TOPIC_ID" | cut -d/ -f9)
  cat >&2 <<MSG
predown: refusing azd down: the last deployment wrote into resource group '$rg' (the existing system topic's),
predown: and azd down would delete that whole resource group. First:
predown:   azd env set DEPLOY_RESOURCE_EVENT_SUBSCRIPTION false && azd provision
predown:   az eventgrid system-topic event-subscription delete -g '$rg' --system-topic-name '$topic' -n on-resource-written
predown: then run azd down again.
MSG
  exit 1
fi
