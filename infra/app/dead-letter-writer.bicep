// One Event Grid topic's identity may write blobs into the dead-letter container, and nowhere else in the
// account (the account also holds the deployment package and the durable state). Deployed into the app's
// resource group once per topic: this subscription's, an existing one taken by id, every onboarded one.
param storageAccountName string
param deadLetterContainerName string
@description('Principal id of the topic\'s system-assigned identity.')
param principalId string
@description('The queue delivery option: the topic may also send messages to this queue (empty: none).')
param resourceEventsQueueName string = ''

var storageBlobDataContributorRoleId = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe' // Storage Blob Data Contributor
var storageQueueDataMessageSenderRoleId = 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a' // Storage Queue Data Message Sender

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

resource resourceEventsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(resourceEventsQueueName)) {
  name: guid(storage::queueServices::resourceEventsQueue.id, principalId, storageQueueDataMessageSenderRoleId)
  scope: storage::queueServices::resourceEventsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataMessageSenderRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobServices::deadLetterContainer.id, principalId, storageBlobDataContributorRoleId)
  scope: storage::blobServices::deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
