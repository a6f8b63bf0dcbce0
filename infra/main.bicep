// Backup Autopilot on real Azure: `azd up` from the repository root (azure.yaml there points here).
// Subscription scope: the app's resource group, the subscription-wide role assignments, this subscription's
// Event Grid system topic (or an existing one taken by id), and optionally more subscriptions onboarded by list.
// Every subscription under a management group: onboarding/management-group.bicep (Azure Policy), see README.md.
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
param vNetName string = ''

@description('How resource events reach the app: function (Event Grid pushes to on_resource_written; the app has a public endpoint) or queue (Event Grid writes to the resource-events queue with the topic identity; for an app behind private endpoints). The network option always delivers to the queue.')
@allowed(['function', 'queue'])
param eventDelivery string = 'function'

@description('The network option: a VNet with the Function App\'s VNet integration, private endpoints and private DNS zones for the app storage (blob, queue, table), the Key Vault and the outcome topic; public network access off on the vault and topic, the storage firewall closed to all but its private endpoints and trusted services (Event Grid); resource events delivered to the resource-events queue.')
param vnetEnabled bool = false

@description('Address space of the network option\'s VNet.')
param vnetAddressPrefix string = '10.0.0.0/16'

@description('Subnet for the Function App\'s VNet integration (delegated to Microsoft.App/environments).')
param appSubnetPrefix string = '10.0.2.0/24'

@description('Subnet for the private endpoints.')
param privateEndpointSubnetPrefix string = '10.0.1.0/24'
param actionGroupName string = ''

@description('The protection rules document: a path relative to the repository root, deployed with the code (app setting PROTECTION_RULES).')
param protectionRulesFile string = 'rules.yaml'

@description('Let the app grant the vault identities their backup roles on new resources (PROTECTION_GRANT_ROLES). Also assigns the app a constrained Role Based Access Control Administrator role.')
param grantRoles bool = false

@description('Principal ids of the Backup vaults\' system-assigned identities, comma-separated: the only principals the app may grant roles to (needed with grantRoles).')
param vaultPrincipalIds string = ''

@description('ARM scopes restores may target, comma-separated (RESTORE_ALLOWED_SCOPES); empty allows none.')
param restoreAllowedScopes string = ''

@description('ARM scopes where backups now and protection changes (stop, suspend, resume, delete) may act, comma-separated (LIFECYCLE_ALLOWED_SCOPES); empty allows none.')
param lifecycleAllowedScopes string = ''

@description('Report what would be protected without changing anything (PROTECTION_DRY_RUN).')
param protectionDryRun bool = false

@allowed(['off', 'dryRun', 'on'])
@description('What compliance sweeps do with unprotected resources (COMPLIANCE_REMEDIATION).')
param complianceRemediation string = 'off'

@description('Resource groups (in this subscription) holding the Backup and Recovery Services vaults, comma-separated; the app gets Backup Contributor on each.')
param vaultResourceGroupNames string = ''

@description('Create the Event Grid subscriptions (to on_resource_written, or to the resource-events queue). Pushing needs the function code deployed first (see infra/scripts/postdeploy.sh).')
param deployResourceEventSubscription bool = false

@description('Resource id of this subscription\'s existing Microsoft.Resources.Subscriptions system topic (a subscription holds only one). Empty: create one in the app\'s resource group.')
param existingSystemTopicId string = ''

@description('More subscriptions to watch and sweep, comma-separated ids (teams without management groups). Each gets its own resource group with a system topic.')
param onboardSubscriptionIds string = ''

@description('Management groups onboarded with onboarding/management-group.bicep, comma-separated: sweeps read these instead of a subscription list (COMPLIANCE_MANAGEMENT_GROUPS).')
param complianceManagementGroups string = ''

@description('Deploy a Backup vault per region (AVM module) with its policies into rg-<env>-backup; the rules document can then be generated (infra/scripts/rules_from_vaults.py).')
param deployBackupVaults bool = false

@description('Regions for the Backup vaults, comma-separated; empty: the deployment\'s region.')
param backupVaultLocations string = ''

@allowed(['Disabled', 'Unlocked', 'Locked'])
@description('Immutability of the deployed vaults (Locked is irreversible).')
param backupVaultImmutability string = 'Unlocked'

@description('Deploy a Recovery Services vault per region (AVM module) with a file-share policy into rg-<env>-backup, in the regions of backupVaultLocations; the rules document then gains the file-share rules.')
param deployRecoveryServicesVaults bool = false

@description('E-mail addresses the alerts notify, comma-separated.')
param alertEmails string = ''

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var abbrs = loadJsonContent('./abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }

// Comma-separated parameters (azd env values are strings; lists are passed as text, never as JSON).
var vaultPrincipalIdList = filter(map(split(vaultPrincipalIds, ','), id => trim(id)), id => !empty(id))
var vaultResourceGroupList = filter(map(split(vaultResourceGroupNames, ','), g => trim(g)), g => !empty(g))
var onboardSubscriptionList = filter(
  map(split(onboardSubscriptionIds, ','), s => trim(s)),
  s => !empty(s) && s != subscription().subscriptionId
)
// Sweeps read the management groups when given, else this subscription and the onboarded ones.
var sweptSubscriptions = join(concat([subscription().subscriptionId], onboardSubscriptionList), ',')
var complianceSubscriptions = empty(complianceManagementGroups) ? sweptSubscriptions : ''
var listedVaultLocations = filter(map(split(backupVaultLocations, ','), l => trim(l)), l => !empty(l))
var backupVaultLocationList = empty(listedVaultLocations) ? [location] : listedVaultLocations
var alertEmailList = filter(map(split(alertEmails, ','), a => trim(a)), a => !empty(a))
var deployVaultGroup = deployBackupVaults || deployRecoveryServicesVaults

// Event Grid cannot push to a function the network option makes private: there resource events always go to the
// resource-events queue (tests/infra hold this). The event subscriptions are created in the second provision
// either way (infra/scripts/postdeploy.sh), so DEPLOY_RESOURCE_EVENT_SUBSCRIPTION=false always takes them out
// of the deployment again (infra/scripts/predown.sh relies on that for an existing topic).
var resourceEventDelivery = vnetEnabled ? 'queue' : eventDelivery
var viaQueue = resourceEventDelivery == 'queue'

var names = {
  resourceGroup: !empty(resourceGroupName) ? resourceGroupName : '${abbrs.resourcesResourceGroups}${environmentName}'
  eventsResourceGroup: '${abbrs.resourcesResourceGroups}${environmentName}-events'
  backupResourceGroup: '${abbrs.resourcesResourceGroups}${environmentName}-backup'
  functionApp: !empty(functionAppName) ? functionAppName : '${abbrs.webSitesFunctions}api-${resourceToken}'
  plan: !empty(appServicePlanName) ? appServicePlanName : '${abbrs.webServerFarms}${resourceToken}'
  identity: !empty(userAssignedIdentityName) ? userAssignedIdentityName : '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
  storage: !empty(storageAccountName) ? storageAccountName : '${abbrs.storageStorageAccounts}${resourceToken}'
  logAnalytics: !empty(logAnalyticsName) ? logAnalyticsName : '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  appInsights: !empty(applicationInsightsName) ? applicationInsightsName : '${abbrs.insightsComponents}${resourceToken}'
  keyVault: !empty(keyVaultName) ? keyVaultName : '${abbrs.keyVaultVaults}${resourceToken}'
  outcomeTopic: !empty(outcomeTopicName) ? outcomeTopicName : '${abbrs.eventGridDomainsTopics}outcomes-${resourceToken}'
  systemTopic: !empty(resourceEventsSystemTopicName) ? resourceEventsSystemTopicName : '${abbrs.eventGridSystemTopics}resources-${resourceToken}'
  actionGroup: !empty(actionGroupName) ? actionGroupName : '${abbrs.insightsActionGroups}${resourceToken}'
  vnet: !empty(vNetName) ? vNetName : '${abbrs.networkVirtualNetworks}${resourceToken}'
}

// The app's containers and queues (functions/protection/queues.py, shared/restore/lock.py, shared/config.py).
var deploymentContainerName = 'app-package-${take(names.functionApp, 32)}-${take(resourceToken, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
var reportContainerName = 'compliance-reports'
var instanceLocksContainerName = 'instance-locks'
var queues = {
  requests: 'protection-requests'
  poison: 'protection-requests-poison'
  rejects: 'protection-rejects'
  outcomes: 'outcomes'
  failedOutcomes: 'outcomes-failed'
  resourceEvents: 'resource-events'
  // Where the Functions host moves a queued resource event it failed to route five times (`<queue>-poison`).
  resourceEventsPoison: 'resource-events-poison'
}

// This subscription's system topic: an existing one by id (it stays where it is, with its resource group), or ours.
var useExistingTopic = !empty(existingSystemTopicId)
var existingTopicParts = split(useExistingTopic ? existingSystemTopicId : '/subscriptions/-/resourceGroups/-/providers/Microsoft.EventGrid/systemTopics/-', '/')

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

resource backupRg 'Microsoft.Resources/resourceGroups@2025-04-01' = if (deployVaultGroup) {
  name: names.backupResourceGroup
  location: location
  tags: tags
}

resource existingTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = if (useExistingTopic) {
  name: existingTopicParts[8]
  scope: resourceGroup(existingTopicParts[2], existingTopicParts[4])
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

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    containerNames: [deploymentContainerName, deadLetterContainerName, reportContainerName, instanceLocksContainerName]
    queueNames: [queues.requests, queues.poison, queues.rejects, queues.outcomes, queues.failedOutcomes, queues.resourceEvents, queues.resourceEventsPoison]
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    privateNetwork: vnetEnabled
  }
}

module outcomeTopic 'app/outcome-topic.bicep' = {
  name: 'outcome-topic'
  scope: rg
  params: {
    name: names.outcomeTopic
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    privateNetwork: vnetEnabled
  }
}

module systemTopic 'app/system-topic.bicep' = if (!useExistingTopic) {
  name: 'system-topic'
  scope: rg
  params: {
    name: names.systemTopic
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module secrets 'app/secrets.bicep' = {
  name: 'secrets'
  scope: rg
  params: {
    keyVaultName: names.keyVault
    location: location
    tags: tags
    outcomeTopicName: outcomeTopic.outputs.name
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    privateNetwork: vnetEnabled
  }
}

// The network option: the VNet, then a private endpoint (with its DNS zone and VNet link) for each service the
// app reaches. The app starts only once they exist (its host storage is reachable only through them).
module network 'app/network.bicep' = if (vnetEnabled) {
  name: 'network'
  scope: rg
  params: {
    name: names.vnet
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appSubnetPrefix: appSubnetPrefix
    privateEndpointSubnetPrefix: privateEndpointSubnetPrefix
  }
}

module privateEndpoints 'app/private-endpoints.bicep' = if (vnetEnabled) {
  name: 'private-endpoints'
  scope: rg
  params: {
    location: location
    tags: tags
    vnetId: network!.outputs.vnetId
    subnetId: network!.outputs.privateEndpointSubnetId
    endpoints: [
      {
        name: 'blob'
        resourceId: storage.outputs.resourceId
        groupId: 'blob'
        zone: 'privatelink.blob.${environment().suffixes.storage}'
      }
      {
        name: 'queue'
        resourceId: storage.outputs.resourceId
        groupId: 'queue'
        zone: 'privatelink.queue.${environment().suffixes.storage}'
      }
      {
        name: 'table'
        resourceId: storage.outputs.resourceId
        groupId: 'table'
        zone: 'privatelink.table.${environment().suffixes.storage}'
      }
      {
        name: 'vault'
        resourceId: secrets.outputs.keyVaultId
        groupId: 'vault'
        zone: 'privatelink.vaultcore.azure.net'
      }
      {
        name: 'topic'
        resourceId: outcomeTopic.outputs.resourceId
        groupId: 'topic'
        zone: 'privatelink.eventgrid.azure.net'
      }
    ]
  }
}

// Roles of the app's identity (and of the outcome topic's identity) on what this template creates.
module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    principalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    outcomeTopicName: outcomeTopic.outputs.name
    keyVaultName: secrets.outputs.keyVaultName
    deadLetterContainerName: deadLetterContainerName
    outcomeQueueNames: [queues.outcomes, queues.failedOutcomes]
  }
}

// The app is created only after its roles: its settings hold a Key Vault reference its identity must be able
// to resolve when it starts (and shared/config.py refuses an unresolved one with a ConfigError).
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
    outcomeTopicEndpoint: outcomeTopic.outputs.endpoint
    outcomeTopicKeySecretUri: secrets.outputs.topicKeySecretUri
    protectionRulesFile: protectionRulesFile
    grantRoles: grantRoles
    dryRun: protectionDryRun
    restoreAllowedScopes: restoreAllowedScopes
    lifecycleAllowedScopes: lifecycleAllowedScopes
    complianceSubscriptions: complianceSubscriptions
    complianceManagementGroups: complianceManagementGroups
    complianceRemediation: complianceRemediation
    complianceReportContainer: reportContainerName
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    virtualNetworkSubnetId: vnetEnabled ? network!.outputs.appSubnetId : ''
  }
  dependsOn: [
    rbac
    privateEndpoints
  ]
}

module outcomeSubscriptions 'app/outcome-subscriptions.bicep' = {
  name: 'outcome-subscriptions'
  scope: rg
  params: {
    outcomeTopicName: outcomeTopic.outputs.name
    storageAccountId: storage.outputs.resourceId
    allOutcomesQueueName: queues.outcomes
    failedOutcomesQueueName: queues.failedOutcomes
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [
    rbac
  ]
}

module vaults 'app/vaults.bicep' = if (deployBackupVaults) {
  name: 'backup-vaults'
  scope: backupRg
  params: {
    environmentName: environmentName
    locations: backupVaultLocationList
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    immutabilityState: backupVaultImmutability
  }
}

module recoveryVaults 'app/recovery-vaults.bicep' = if (deployRecoveryServicesVaults) {
  name: 'recovery-services-vaults'
  scope: backupRg
  params: {
    environmentName: environmentName
    locations: backupVaultLocationList
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    immutabilityState: backupVaultImmutability
    privateNetwork: vnetEnabled
  }
}

// The vault identities the app may grant roles to: the listed ones and the deployed vaults' (the Backup vaults'
// for blobs and PostgreSQL, the Recovery Services vaults' for the storage accounts of file shares).
var deployedBackupVaultPrincipalIds = deployBackupVaults ? vaults!.outputs.principalIds : []
var deployedRecoveryVaultPrincipalIds = deployRecoveryServicesVaults ? recoveryVaults!.outputs.principalIds : []
var grantablePrincipalIds = concat(vaultPrincipalIdList, deployedBackupVaultPrincipalIds, deployedRecoveryVaultPrincipalIds)

// Roles at subscription scope need a subscription-scope module.
module rbacSubscription 'app/rbac-subscription.bicep' = {
  name: 'rbac-subscription'
  params: {
    principalId: identity.outputs.principalId
    grantRoles: grantRoles
    vaultPrincipalIds: grantablePrincipalIds
  }
}

module rbacVaultGroups 'app/rbac-vault-group.bicep' = [
  for vaultGroup in concat(vaultResourceGroupList, deployVaultGroup ? [names.backupResourceGroup] : []): {
    name: take('rbac-vaults-${vaultGroup}', 64)
    scope: resourceGroup(vaultGroup)
    params: {
      principalId: identity.outputs.principalId
    }
    dependsOn: [
      backupRg
    ]
  }
]

module deadLetterWriter 'app/dead-letter-writer.bicep' = {
  name: 'dead-letter-writer'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    deadLetterContainerName: deadLetterContainerName
    principalId: useExistingTopic ? existingTopic!.identity.principalId : systemTopic!.outputs.principalId
    resourceEventsQueueName: viaQueue ? queues.resourceEvents : ''
  }
}

// Created in a second provision, after the code is deployed (see azure.yaml hooks): Event Grid checks that an
// AzureFunction destination exists; the queue delivery follows the same two passes.
module resourceEvents 'app/resource-events.bicep' = if (deployResourceEventSubscription && !useExistingTopic) {
  name: 'resource-events'
  scope: rg
  params: {
    systemTopicName: names.systemTopic
    functionAppId: api.outputs.resourceId
    deadLetterStorageAccountId: storage.outputs.resourceId
    deadLetterContainerName: deadLetterContainerName
    eventDelivery: resourceEventDelivery
    resourceEventsQueueName: queues.resourceEvents
  }
  dependsOn: [
    deadLetterWriter
    systemTopic
  ]
}

// With an existing topic only the event subscription goes into that topic's resource group; nothing of the
// app does. azd down deletes every resource group a deployment wrote into, so infra/scripts/predown.sh stops
// it while this subscription exists and says how to remove it first.
module resourceEventsOnExistingTopic 'app/resource-events.bicep' = if (deployResourceEventSubscription && useExistingTopic) {
  name: 'resource-events-existing-topic'
  scope: resourceGroup(existingTopicParts[2], existingTopicParts[4])
  params: {
    systemTopicName: existingTopicParts[8]
    functionAppId: api.outputs.resourceId
    deadLetterStorageAccountId: storage.outputs.resourceId
    deadLetterContainerName: deadLetterContainerName
    eventDelivery: resourceEventDelivery
    resourceEventsQueueName: queues.resourceEvents
  }
  dependsOn: [
    deadLetterWriter
  ]
}

module onboarded 'onboarding/subscription.bicep' = [
  for sub in onboardSubscriptionList: {
    name: take('onboard-${sub}', 64)
    scope: subscription(sub)
    params: {
      resourceGroupName: names.eventsResourceGroup
      location: location
      tags: tags
      systemTopicName: names.systemTopic
      functionAppId: api.outputs.resourceId
      appPrincipalId: identity.outputs.principalId
      grantRoles: grantRoles
      vaultPrincipalIds: grantablePrincipalIds
      storageAccountName: storage.outputs.name
      deadLetterContainerName: deadLetterContainerName
      logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
      deployEventSubscription: deployResourceEventSubscription
      eventDelivery: resourceEventDelivery
      resourceEventsQueueName: queues.resourceEvents
      appSubscriptionId: subscription().subscriptionId
      appResourceGroupName: rg.name
    }
  }
]

var ownSystemTopicId = resourceId(subscription().subscriptionId, names.resourceGroup, 'Microsoft.EventGrid/systemTopics', names.systemTopic)
var homeSystemTopicId = useExistingTopic ? existingSystemTopicId : ownSystemTopicId
var onboardedSystemTopicIds = map(
  onboardSubscriptionList,
  sub => resourceId(sub, names.eventsResourceGroup, 'Microsoft.EventGrid/systemTopics', names.systemTopic)
)

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    actionGroupName: names.actionGroup
    alertEmails: alertEmailList
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    outcomeTopicId: outcomeTopic.outputs.resourceId
    failedOutcomesSubscriptionName: outcomeSubscriptions.outputs.failedOutcomesSubscriptionName
    systemTopicIds: concat([homeSystemTopicId], onboardedSystemTopicIds)
    poisonQueueName: queues.poison
    resourceEventsPoisonQueueName: queues.resourceEventsPoison
    rejectsQueueName: queues.rejects
    deadLetterContainerName: deadLetterContainerName
  }
  dependsOn: [
    systemTopic
    onboarded
  ]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_ID string = api.outputs.resourceId
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_ACCOUNT_ID string = storage.outputs.resourceId
output DEAD_LETTER_CONTAINER_NAME string = deadLetterContainerName
output AZURE_LOG_ANALYTICS_WORKSPACE_ID string = monitoring.outputs.logAnalyticsWorkspaceId
output AZURE_KEY_VAULT_NAME string = secrets.outputs.keyVaultName
output EVENTGRID_TOPIC_ENDPOINT string = outcomeTopic.outputs.endpoint
output RESOURCE_EVENTS_SYSTEM_TOPIC_ID string = homeSystemTopicId
output BACKUP_VAULT_IDS array = deployBackupVaults ? vaults!.outputs.vaultIds : []
output RECOVERY_SERVICES_VAULT_IDS array = deployRecoveryServicesVaults ? recoveryVaults!.outputs.vaultIds : []
// How resource events reach the app (queue with the network option); onboard-management-group.sh reads it from
// the azd environment, so the management group's subscriptions deliver the same way.
output RESOURCE_EVENT_DELIVERY string = resourceEventDelivery
output RESOURCE_EVENTS_QUEUE_NAME string = queues.resourceEvents
