// The custom topic the app publishes its outcome events to (CloudEvents 1.0). Local (key) auth stays on
// because the app publishes with EVENTGRID_TOPIC_KEY (shared/config.py requires it with the endpoint); the key
// lives only in Key Vault. Once the app publishes with its identity (EventGrid Data Sender is already
// assigned), set disableLocalAuth to true and drop the key setting. The topic's own identity delivers to the
// outcome queues (outcome-subscriptions.bicep). Delivery and publish failures go to Log Analytics.
param name string
param location string = resourceGroup().location
param tags object = {}
param logAnalyticsWorkspaceId string
@description('The network option: no public network access; the app publishes through the topic\'s private endpoint.')
param privateNetwork bool = false

resource outcomeTopic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    // Deliveries to the outcome queues are outbound and unaffected; only publishing needs the endpoint.
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
    inboundIpRules: []
    disableLocalAuth: false
    minimumTlsVersionAllowed: '1.2'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: outcomeTopic
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

output name string = outcomeTopic.name
output resourceId string = outcomeTopic.id
output endpoint string = outcomeTopic.properties.endpoint
output principalId string = outcomeTopic.identity.principalId
