// The app's storage account: the host's (AzureWebJobsStorage: Durable Functions state, timers, the deployment
// package) and the app's own containers and queues, created here so that roles can be scoped to them.
// Identity only: shared keys are refused. Queue and blob writes are logged to Log Analytics, which the alerts
// on the poison and rejects queues and on dead letters query.
param name string
param location string = resourceGroup().location
param tags object = {}
param containerNames array
param queueNames array
@description('Replication: zone-redundant by default (the durable state lives here); Standard_LRS where the region has no zones.')
@allowed(['Standard_ZRS', 'Standard_LRS', 'Standard_GZRS'])
param sku string = 'Standard_ZRS'
param logAnalyticsWorkspaceId string
@description('The network option: the firewall denies every network; the app reaches the account through its private endpoints, Event Grid as a trusted service with its system identities.')
param privateNetwork bool = false

// Public network access stays 'Enabled' even with the network option: Event Grid delivers resource events
// (resource-events), outcome events (outcomes, outcomes-failed) and dead letters through the public endpoint,
// admitted only as a trusted service with a system-assigned identity, and publicNetworkAccess 'Disabled' shuts
// trusted services out too. With the option the firewall allows no network at all (default Deny, no IP or VNet
// rules): private endpoints and trusted services only. infra/README.md (network option) cites the documentation.
resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: sku
  }
  properties: {
    allowSharedKeyAccess: false // local auth off: every client uses Entra ID
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    dnsEndpointType: 'Standard'
    networkAcls: {
      defaultAction: privateNetwork ? 'Deny' : 'Allow'
      bypass: 'AzureServices' // Event Grid writes dead letters and queue messages as a trusted service
      ipRules: []
      virtualNetworkRules: []
    }
  }

  resource blobServices 'blobServices' = {
    name: 'default'
    properties: {
      deleteRetentionPolicy: {
        enabled: true
        days: 7
      }
    }
  }

  resource queueServices 'queueServices' = {
    name: 'default'
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for containerName in containerNames: {
    parent: storage::blobServices
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for queueName in queueNames: {
    parent: storage::queueServices
    name: queueName
  }
]

// Queue and blob writes (PutMessage, PutBlob) into StorageQueueLogs / StorageBlobLogs: the alerts count the
// messages that reach the poison and rejects queues and the blobs Event Grid dead-letters.
resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storage::queueServices
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
    ]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storage::blobServices
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
    ]
  }
}

output name string = storage.name
output resourceId string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output tableEndpoint string = storage.properties.primaryEndpoints.table
