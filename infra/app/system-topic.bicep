// The Event Grid system topic of one whole subscription (Microsoft.Resources.Subscriptions, global), whose
// ResourceWriteSuccess / ResourceDeleteSuccess events start auto-protection. Its system-assigned identity writes
// dead letters (dead-letter-writer.bicep). A subscription holds at most one such topic: where one exists, take it
// by id (main.bicep existingSystemTopicId) instead of deploying this.
param name string
param tags object = {}
@description('Log Analytics workspace for delivery failures (may be in another subscription of the tenant).')
param logAnalyticsWorkspaceId string

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: 'global' // subscription-level system topics are global
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: systemTopic
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

output name string = systemTopic.name
output resourceId string = systemTopic.id
output principalId string = systemTopic.identity.principalId
