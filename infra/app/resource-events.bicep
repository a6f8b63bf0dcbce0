// The subscription's resource writes -> the app's Event Grid trigger `on_resource_written`.
// Filtered as Cloud Custodian does: ResourceWriteSuccess events whose data.operationName is a create/update
// of a datasource kind the app protects. The function re-reads the resource from ARM, so a duplicate or an
// update event is harmless. Undeliverable events are retried, then dead-lettered to blob storage.
param systemTopicName string
param functionAppName string
param storageAccountName string
param deadLetterContainerName string

@description('Operations that start auto-protection (data.operationName).')
param operationNames array = [
  'Microsoft.Storage/storageAccounts/write'
  'Microsoft.Storage/storageAccounts/fileServices/shares/write'
  'Microsoft.DBforPostgreSQL/servers/databases/write'
  'Microsoft.DBforPostgreSQL/flexibleServers/write'
  // Deletes: the app records the orphaned backup instance (it never deletes backup data).
  'Microsoft.Storage/storageAccounts/delete'
  'Microsoft.DBforPostgreSQL/servers/databases/delete'
  'Microsoft.DBforPostgreSQL/flexibleServers/delete'
]

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource subscriptionToFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'on-resource-written'
  properties: {
    // AzureFunction endpoint: Event Grid delivers to the function through the host's Event Grid extension,
    // with no webhook URL or key in the template. The function must already exist (validated on create).
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/on_resource_written'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: operationNames
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    // Dead letters written with the system topic's own identity (Storage Blob Data Contributor, rbac.bicep):
    // the storage account accepts no shared key.
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output eventSubscriptionName string = subscriptionToFunction.name
