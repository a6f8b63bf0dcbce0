// Alerts: one action group, and an alert for each way work can end somewhere a person must look.
// - Metric alerts: Event Grid deliveries dead-lettered or failing (each system topic, the outcome topic),
//   outcome events of a failed protection or restore (MatchedEventCount of the outcome topic's
//   `failed-outcomes` subscription), failed function executions (Application Insights requests/failed).
// - Log alerts over the storage logs (storage.bicep): messages put into the poison and rejects queues, blobs
//   written into the dead-letter container (from any topic, onboarded subscriptions included).
//   Azure Monitor has no per-queue depth metric, so the alerts count arrivals: every message that lands there.
param location string = resourceGroup().location
param tags object = {}
param actionGroupName string
@description('E-mail addresses the action group notifies.')
param alertEmails array = []
param logAnalyticsWorkspaceId string
param applicationInsightsId string
param outcomeTopicId string
param failedOutcomesSubscriptionName string
@description('Resource ids of the subscription system topics whose deliveries are watched.')
param systemTopicIds array
param poisonQueueName string
@description('The host\'s poison queue of resource-events (queue delivery: events it failed to route five times).')
param resourceEventsPoisonQueueName string
param rejectsQueueName string
param deadLetterContainerName string

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'bkpautopilot'
    enabled: true
    emailReceivers: [
      for (address, i) in alertEmails: {
        name: 'email-${i}'
        emailAddress: address
        useCommonAlertSchema: true
      }
    ]
  }
}

var deliveryMetrics = [
  {
    metric: 'DeadLetteredCount'
    severity: 1
    description: 'Event Grid dead-lettered events: they are blobs in the dead-letter container'
  }
  {
    metric: 'DeliveryAttemptFailCount'
    severity: 2
    description: 'Event Grid failed to deliver events (it retries for 24 hours, then dead-letters)'
  }
  {
    metric: 'DroppedEventCount'
    severity: 1
    description: 'Event Grid dropped events'
  }
]

// One alert per topic and delivery metric: index i walks topics x metrics (no lambdas: checkov's parser).
var watchedTopicIds = concat(systemTopicIds, [outcomeTopicId])
var metricCount = length(deliveryMetrics)

resource deliveryAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for i in range(0, length(watchedTopicIds) * metricCount): {
    name: take('backup-autopilot-${split(watchedTopicIds[i / metricCount], '/')[2]}-${last(split(watchedTopicIds[i / metricCount], '/'))}-${deliveryMetrics[i % metricCount].metric}', 260)
    location: 'global'
    tags: tags
    properties: {
      description: deliveryMetrics[i % metricCount].description
      severity: deliveryMetrics[i % metricCount].severity
      enabled: true
      scopes: [watchedTopicIds[i / metricCount]]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      autoMitigate: true
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: deliveryMetrics[i % metricCount].metric
            metricName: deliveryMetrics[i % metricCount].metric
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Total'
          }
        ]
      }
      actions: [
        {
          actionGroupId: actionGroup.id
        }
      ]
    }
  }
]

var metricAlertList = [
  {
    name: 'failed-outcomes'
    scope: outcomeTopicId
    metric: 'MatchedEventCount'
    severity: 2
    description: 'A protection or restore failed (its outcome event is in the outcomes-failed queue)'
    dimensions: [
      {
        name: 'EventSubscriptionName'
        operator: 'Include'
        values: [failedOutcomesSubscriptionName]
      }
    ]
  }
  {
    name: 'function-failures'
    scope: applicationInsightsId
    metric: 'requests/failed'
    severity: 2
    description: 'Function executions failed (Application Insights requests/failed)'
    dimensions: []
  }
]

resource metricAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [
  for alert in metricAlertList: {
    name: take('backup-autopilot-${alert.name}', 260)
    location: 'global'
    tags: tags
    properties: {
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [alert.scope]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      autoMitigate: true
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: alert.metric
            metricName: alert.metric
            operator: 'GreaterThan'
            threshold: 0
            timeAggregation: 'Total'
            dimensions: alert.dimensions
          }
        ]
      }
      actions: [
        {
          actionGroupId: actionGroup.id
        }
      ]
    }
  }
]

var logAlertList = [
  {
    name: 'poison-messages'
    severity: 1
    description: 'Protection requests reached the poison queue (malformed, or failed on every delivery)'
    query: 'StorageQueueLogs | where OperationName == "PutMessage" and ObjectKey contains "/${poisonQueueName}"'
  }
  {
    name: 'resource-event-poison'
    severity: 1
    description: 'Queued resource events could not be routed five times (the host moved them to their poison queue)'
    query: 'StorageQueueLogs | where OperationName == "PutMessage" and ObjectKey contains "/${resourceEventsPoisonQueueName}"'
  }
  {
    name: 'rejected-events'
    severity: 3
    description: 'Resource events were rejected (each message in the rejects queue names its reason)'
    query: 'StorageQueueLogs | where OperationName == "PutMessage" and ObjectKey contains "/${rejectsQueueName}"'
  }
  {
    name: 'dead-letters'
    severity: 1
    description: 'Event Grid wrote dead letters (undeliverable resource or outcome events)'
    query: 'StorageBlobLogs | where OperationName == "PutBlob" and ObjectKey contains "/${deadLetterContainerName}/"'
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in logAlertList: {
    name: 'backup-autopilot-${alert.name}'
    location: location
    tags: tags
    properties: {
      displayName: 'Backup Autopilot: ${alert.name}'
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [logAnalyticsWorkspaceId]
      evaluationFrequency: 'PT15M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: false
      // The storage log tables appear in the workspace with their first record: do not refuse the rule before.
      skipQueryValidation: true
      actions: {
        actionGroups: [actionGroup.id]
      }
    }
  }
]

output actionGroupId string = actionGroup.id
