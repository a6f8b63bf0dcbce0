// Backup Autopilot on real Azure: `cd infra && azd up`.
// Subscription scope: the resource group, the subscription-wide role assignments and the Event Grid system
// topic that watches the whole subscription all live here.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used in the resource group name and the unique resource token.')
param environmentName string

@minLength(1)
@description('Region for every regional resource (the Function App needs a region with Flex Consumption).')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

// Names: empty means "derive from the abbreviation and the resource token".
param resourceGroupName string = ''
param functionAppName string = ''
param appServicePlanName string = ''
param userAssignedIdentityName string = ''
param storageAccountName string = ''
param logAnalyticsName string = ''
param applicationInsightsName string = ''
param keyVaultName string = ''
param outcomeTopicName string = ''
param resourceEventsSystemTopicName string = ''

@description('The protection rules document, inline JSON (app setting PROTECTION_RULES).')
param protectionRules string = ''

@description('Let the app grant the vault identities their backup roles on new resources (PROTECTION_GRANT_ROLES). Also assigns the app a constrained Role Based Access Control Administrator role.')
param grantRoles bool = false

@description('ARM scopes restores may target, comma-separated (RESTORE_ALLOWED_SCOPES); empty allows none.')
param restoreAllowedScopes string = ''

@description('Report what would be protected without changing anything (PROTECTION_DRY_RUN).')
param protectionDryRun bool = false

@description('Resource groups (in this subscription) holding the Backup and Recovery Services vaults; the app gets Backup Contributor on each.')
param vaultResourceGroupNames array = []

@description('Create the Event Grid subscription to on_resource_written. Needs the function code deployed first (see scripts/postdeploy.sh).')
param deployResourceEventSubscription bool = false

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  functionApp: !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}api-${resourceToken}'
  plan: !empty(appServicePlanName) ? appServicePlanName : '${abbrs.webServerFarms}${resourceToken}'
  identity: !empty(userAssignedIdentityName) ? userAssignedIdentityName : '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
  storage: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
  logAnalytics: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  appInsights: !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
  keyVault: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVaultVaults}${resourceToken}'
  outcomeTopic: !empty(outcomeTopicName) ? outcomeTopicName : '${abbrs.eventGridDomainsTopics}outcomes-${resourceToken}'
  systemTopic: !empty(resourceEventsSystemTopicName) ? resourceEventsSystemTopicName : '${abbrs.eventGridSystemTopics}resources-${resourceToken}'
}
var deploymentContainerName = 'app-package-${take(names.functionApp, 32)}-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    containerNames: [deploymentContainerName, deadLetterContainerName]
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.appInsights
    location: location
    tags: tags
  }
}

module topics 'app/topics.bicep' = {
  name: 'topics'
  scope: rg
  params: {
    outcomeTopicName: names.outcomeTopic
    systemTopicName: names.systemTopic
    location: location
    tags: tags
  }
}

module secrets 'app/secrets.bicep' = {
  name: 'secrets'
  scope: rg
  params: {
    keyVaultName: names.keyVault
    location: location
    tags: tags
    outcomeTopicName: topics.outputs.outcomeTopicName
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    outcomeTopicEndpoint: topics.outputs.outcomeTopicEndpoint
    outcomeTopicKeySecretUri: secrets.outputs.topicKeySecretUri
    protectionRules: protectionRules
    grantRoles: grantRoles
    dryRun: protectionDryRun
    restoreAllowedScopes: restoreAllowedScopes
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

// Roles of the app's identity (and of the system topic's identity) on what this template creates.
module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    outcomeTopicName: topics.outputs.outcomeTopicName
    keyVaultName: secrets.outputs.keyVaultName
    systemTopicPrincipalId: topics.outputs.systemTopicPrincipalId
  }
}

// Roles at subscription scope need a subscription-scope module.
module rbacSubscription 'app/rbac-subscription.bicep' = {
  name: 'rbac-subscription'
  params: {
    principalId: identity.outputs.principalId
    grantRoles: grantRoles
  }
}

module rbacVaultGroups 'app/rbac-vault-group.bicep' = [
  for vaultGroup in vaultResourceGroupNames: {
    name: take('rbac-vaults-${vaultGroup}', 64)
    scope: resourceGroup(vaultGroup)
    params: {
      principalId: identity.outputs.principalId
    }
  }
]

// Created in a second provision, after the code is deployed (see azure.yaml hooks).
module resourceEvents 'app/resource-events.bicep' = if (deployResourceEventSubscription) {
  name: 'resource-events'
  scope: rg
  params: {
    systemTopicName: topics.outputs.systemTopicName
    functionAppName: api.outputs.name
    storageAccountName: storage.outputs.name
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [
    rbac
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = secrets.outputs.keyVaultName
output EVENTGRID_TOPIC_ENDPOINT string = topics.outputs.outcomeTopicEndpoint
output RESOURCE_EVENTS_SYSTEM_TOPIC_NAME string = topics.outputs.systemTopicName
