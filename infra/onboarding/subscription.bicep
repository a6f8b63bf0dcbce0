// Onboard one more subscription (main.bicep onboardSubscriptionIds, for teams without management groups):
// its own resource group with its system topic, the event subscription to the central app (pushed to
// on_resource_written, or with queue delivery written to the central resource-events queue by the topic's
// system identity), the topic's dead-letter right on the central container (and, with queue delivery, its
// Storage Queue Data Message Sender on that one queue: both assigned in the app's subscription, where the
// storage is), and the app identity's Reader (and, with grantRoles, the constrained role-assignment right) in
// that subscription.
// The management-group option (management-group.bicep) does the same through Azure Policy instead.
targetScope = 'subscription'

param resourceGroupName string
param location string
param tags object = {}
param systemTopicName string
param functionAppId string
param appPrincipalId string
param grantRoles bool = false
param vaultPrincipalIds array = []
param storageAccountName string
param deadLetterContainerName string
param logAnalyticsWorkspaceId string
@description('Create the event subscription (pushing to the function: needs the function code deployed first).')
param deployEventSubscription bool
@description('function: push to on_resource_written; queue: write to the central resource-events queue (resource-events.bicep).')
@allowed(['function', 'queue'])
param eventDelivery string = 'function'
param resourceEventsQueueName string = 'resource-events'

// A variable, not inline: pycep-parser reads `a == 'b' ? c : d` as `a == ('b' ? c : d)` (Bicep does not).
var viaQueue = eventDelivery == 'queue'
@description('Subscription id and resource group of the central app (its storage holds the dead-letter container).')
param appSubscriptionId string
param appResourceGroupName string

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module systemTopic '../app/system-topic.bicep' = {
  name: 'system-topic'
  scope: rg
  params: {
    name: systemTopicName
    tags: tags
    logAnalyticsWorkspaceId: logAnalyticsWorkspaceId
  }
}

module deadLetterWriter '../app/dead-letter-writer.bicep' = {
  name: take('dead-letter-writer-${subscription().subscriptionId}', 64)
  scope: resourceGroup(appSubscriptionId, appResourceGroupName)
  params: {
    storageAccountName: storageAccountName
    deadLetterContainerName: deadLetterContainerName
    principalId: systemTopic.outputs.principalId
    resourceEventsQueueName: viaQueue ? resourceEventsQueueName : ''
  }
}

module resourceEvents '../app/resource-events.bicep' = if (deployEventSubscription) {
  name: 'resource-events'
  scope: rg
  params: {
    systemTopicName: systemTopic.outputs.name
    functionAppId: functionAppId
    deadLetterStorageAccountId: resourceId(appSubscriptionId, appResourceGroupName, 'Microsoft.Storage/storageAccounts', storageAccountName)
    deadLetterContainerName: deadLetterContainerName
    eventDelivery: eventDelivery
    resourceEventsQueueName: resourceEventsQueueName
  }
  dependsOn: [
    deadLetterWriter
  ]
}

module appRoles '../app/rbac-subscription.bicep' = {
  name: 'backup-autopilot-app-roles'
  params: {
    principalId: appPrincipalId
    grantRoles: grantRoles
    vaultPrincipalIds: vaultPrincipalIds
  }
}

output systemTopicId string = systemTopic.outputs.resourceId
