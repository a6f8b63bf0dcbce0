#!/bin/sh
# Onboard every subscription under a management group (run after `azd up`, from the repository root):
#   infra/scripts/onboard-management-group.sh <management-group-id>
# Reads the values azd up stored in the environment and deploys infra/onboarding/management-group.bicep with
# the Azure CLI (azd deploys to one subscription only). The subscriptions deliver their events as this one does
# (RESOURCE_EVENT_DELIVERY, an output of main.bicep: queue with the network option). The caller needs Owner, or Resource Policy Contributor
# + Role Based Access Control Administrator, on the management group and on the app's resource group.
set -eu
mg="${1:?usage: $0 <management-group-id>}"
eval "$(azd env get-values)"
# The vault identities as a JSON array for the Bicep array parameter.
vaults=$(printf '%s' "${VAULT_PRINCIPAL_IDS:-}" | tr -d ' ' | awk -F, '{ s = ""; for (i = 1; i <= NF; i++) if ($i != "") s = s (s == "" ? "" : ",") "\"" $i "\""; print "[" s "]" }')
vaults="${vaults:-[]}"
az deployment mg create \
  --management-group-id "$mg" \
  --name "backup-autopilot-onboarding-${AZURE_ENV_NAME}" \
  --location "$AZURE_LOCATION" \
  --template-file infra/onboarding/management-group.bicep \
  --parameters \
    location="$AZURE_LOCATION" \
    functionAppId="$AZURE_FUNCTION_APP_ID" \
    appPrincipalId="$AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID" \
    storageAccountId="$AZURE_STORAGE_ACCOUNT_ID" \
    deadLetterContainerName="$DEAD_LETTER_CONTAINER_NAME" \
    logAnalyticsWorkspaceId="$AZURE_LOG_ANALYTICS_WORKSPACE_ID" \
    grantRoles="${PROTECTION_GRANT_ROLES:-false}" \
    vaultPrincipalIds="$vaults" \
    eventDelivery="${RESOURCE_EVENT_DELIVERY:-function}" \
    resourceEventsQueueName="${RESOURCE_EVENTS_QUEUE_NAME:-resource-events}"
# Sweeps read the group from now on (the app's Reader there was just assigned).
azd env set COMPLIANCE_MANAGEMENT_GROUPS "$mg"
azd provision --no-prompt
