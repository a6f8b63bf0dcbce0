#!/bin/sh
# After the first code deployment, switch the resource-event subscriptions to the function on and provision again.
# Later `azd up` runs find the flag already true and provision the subscriptions in one pass.
set -eu
# Queue delivery (EVENT_DELIVERY=queue, or the network option) needs no function endpoint: main.bicep created
# the event subscriptions in the first provision (RESOURCE_EVENT_DELIVERY is its output).
if [ "${RESOURCE_EVENT_DELIVERY:-function}" = "queue" ]; then
  echo "Resource events are delivered to the queue: their subscriptions were provisioned with everything else."
  exit 0
fi
if [ "${DEPLOY_RESOURCE_EVENT_SUBSCRIPTION:-false}" = "true" ]; then
  echo "Resource-event subscriptions already provisioned."
  exit 0
fi
echo "Function code deployed: provisioning the Event Grid subscriptions to on_resource_written."
azd env set DEPLOY_RESOURCE_EVENT_SUBSCRIPTION true
azd provision --no-prompt
