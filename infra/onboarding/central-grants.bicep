// In the app's resource group, for the management-group policy's identity (management-group.bicep):
// - Role Based Access Control Administrator on the dead-letter container, under a condition that allows only
//   Storage Blob Data Contributor, only to service principals: each subscription's deployment grants its new
//   system topic the right to dead-letter there, and the identity can do nothing else with it;
// - with queue delivery, the same on the resource-events queue, limited to Storage Queue Data Message Sender for
//   service principals: each new system topic writes its events there with its own identity;
// - Reader on the Function App: Event Grid checks that whoever creates an AzureFunction destination can read it.
param storageAccountName string
param deadLetterContainerName string
param functionAppName string
@description('Principal id of the policy assignment\'s identity.')
param principalId string
@description('Queue delivery: the queue the topics\' identities may be granted to send to (empty: push delivery).')
param resourceEventsQueueName string = ''

var rbacAdministratorRoleId = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168' // Role Based Access Control Administrator
var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader
var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
var storageQueueDataMessageSenderRoleId = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a' // Storage Queue Data Message Sender

// One role, to service principals only, for writes and deletes alike (ROLE is replaced below).
var conditionTemplate = '(!(ActionMatches{\'Microsoft.Authorization/roleAssignments/write\'}) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ROLE} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'})) AND (!(ActionMatches{\'Microsoft.Authorization/roleAssignments/delete\'}) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ROLE} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {\'ServicePrincipal\'}))'
var deadLetterCondition = replace(conditionTemplate, 'ROLE', storageBlobDataContributorRoleId)
var queueSenderCondition = replace(conditionTemplate, 'ROLE', storageQueueDataMessageSenderRoleId)

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blobServices 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }

  resource queueServices 'queueServices' existing = {
    name: 'default'

    resource resourceEventsQueue 'queues' existing = {
      name: empty(resourceEventsQueueName) ? 'none' : resourceEventsQueueName
    }
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource deadLetterGranter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobServices::deadLetterContainer.id, principalId, rbacAdministratorRoleId)
  scope: storage::blobServices::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministratorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Backup Autopilot onboarding: grant only dead-letter writes on this container'
    condition: deadLetterCondition
    conditionVersion: '2.0'
  }
}

resource queueSenderGranter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(resourceEventsQueueName)) {
  name: guid(storage::queueServices::resourceEventsQueue.id, principalId, rbacAdministratorRoleId)
  scope: storage::queueServices::resourceEventsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministratorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Backup Autopilot onboarding: grant only queue sends to resource-events on this queue'
    condition: queueSenderCondition
    conditionVersion: '2.0'
  }
}

resource appReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(functionApp.id, principalId, readerRoleId)
  scope: functionApp
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
