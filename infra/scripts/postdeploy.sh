#!/bin/sh
# After the first code deployment, switch the resource-event subscriptions on and provision again.
# Later `azd up` runs find the flag already true and provision the subscriptions in one pass.
set -eu
if [ "${DEPLOY_RESOURCE_EVENT_SUBSCRIPTION:-false}" = "true" ]; then
  echo "Resource-event subscriptions already provisioned."
  exit 0
fi
echo "Function code deployed: provisioning the Event Grid subscriptions to on_resource_written."
azd env set DEPLOY_RESOURCE_EVENT_SUBSCRIPTION true
azd provision --no-prompt
