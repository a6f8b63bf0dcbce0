// Subscribers of the outcome topic, so that no outcome is published into the void:
// - every outcome event -> queue `outcomes` (kept a week): what the app did, readable with any queue client;
// - failed outcomes only -> queue `outcomes-failed` (kept until read): the work list of what needs a person.
//   Its MatchedEventCount (per event subscription) is what the "failed outcomes" alert watches.
// Delivered with the topic's own identity (Storage Queue Data Message Sender on each queue, rbac.bicep);
// undeliverable events are dead-lettered into the dead-letter container, like resource events.
param outcomeTopicName string
param storageAccountId string
param allOutcomesQueueName string
param failedOutcomesQueueName string
param deadLetterContainerName string

@description('Outcome event types that mean "failed" (shared/events.py: the protection and restore failures).')
param failedEventTypes array = [
  'BackupAutopilot.Protection.Failed'
  'BackupAutopilot.Restore.Failed'
]

resource outcomeTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: outcomeTopicName
}

var deadLetter = {
  identity: {
    type: 'SystemAssigned'
  }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: storageAccountId
      blobContainerName: deadLetterContainerName
    }
  }
}

resource allOutcomes 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: outcomeTopic
  name: 'all-outcomes'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storageAccountId
          queueName: allOutcomesQueueName
          queueMessageTimeToLiveInSeconds: 604800 // 7 days
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}

resource failedOutcomes 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: outcomeTopic
  name: 'failed-outcomes'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    filter: {
      includedEventTypes: failedEventTypes
    }
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: storageAccountId
          queueName: failedOutcomesQueueName
          queueMessageTimeToLiveInSeconds: -1 // never expires: removed when someone has dealt with it
        }
      }
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: deadLetter
  }
}

output failedOutcomesSubscriptionName string = failedOutcomes.name
