// One subscription's resource writes and deletes -> the app's Event Grid trigger `on_resource_written`.
// Filtered as Cloud Custodian does: ResourceWriteSuccess / ResourceDeleteSuccess events whose data.operationName
// is a write or delete of a datasource kind the app handles. That list is protected-operations.json, which the
// tests hold equal to the kind table (shared/protection/kinds.py). The function re-reads the resource from ARM,
// so a duplicate or an update event is harmless. Undeliverable events are retried, then dead-lettered to blob
// storage with the topic's own identity (the account accepts no shared key). Deployed into the resource group
// of the system topic: ours, an existing one taken by id, or an onboarded subscription's.
param systemTopicName string
@description('Resource id of the Function App (on_resource_written is one of its functions); any subscription.')
param functionAppId string
@description('Resource id of the storage account holding the dead-letter container; any subscription.')
param deadLetterStorageAccountId string
param deadLetterContainerName string
@description('function: Event Grid pushes to on_resource_written (the app has a public endpoint); queue: Event Grid writes to the resource-events queue of the app\'s storage with the topic\'s identity and on_resource_event_queued reads it (a private app).')
@allowed(['function', 'queue'])
param eventDelivery string = 'function'
@description('The queue the queue delivery writes to (functions/protection/queues.py RESOURCE_EVENTS).')
param resourceEventsQueueName string = 'resource-events'

var operationNames = loadJsonContent('protected-operations.json')
var toFunction = {
  endpointType: 'AzureFunction'
  properties: {
    resourceId: '${functionAppId}/functions/on_resource_written'
    maxEventsPerBatch: 1
    preferredBatchSizeInKilobytes: 64
  }
}
// Event Grid writes each event as one Base64-encoded message: the queue trigger's default encoding.
var toQueue = {
  identity: {
    type: 'SystemAssigned'
  }
  destination: {
    endpointType: 'StorageQueue'
    properties: {
      resourceId: deadLetterStorageAccountId
      queueName: resourceEventsQueueName
      queueMessageTimeToLiveInSeconds: 604800
    }
  }
}
var viaQueue = eventDelivery == 'queue'

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource subscriptionToFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'on-resource-written'
  properties: {
    // AzureFunction endpoint: Event Grid delivers to the function through the host's Event Grid extension,
    // with no webhook URL or key in the template. The function must already exist (validated on create).
    // The queue option instead delivers with the topic's identity (Storage Queue Data Message Sender).
    destination: viaQueue ? null : toFunction
    deliveryWithResourceIdentity: viaQueue ? toQueue : null
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
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

output eventSubscriptionName string = subscriptionToFunction.name
