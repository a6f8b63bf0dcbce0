// Key Vault (RBAC authorization, no access policies) holding the outcome topic's key, so the app setting
// EVENTGRID_TOPIC_KEY is a Key Vault reference, never the key itself. Audit logs go to Log Analytics.
param keyVaultName string
param location string = resourceGroup().location
param tags object = {}
param outcomeTopicName string
param logAnalyticsWorkspaceId string
@description('The network option: no public network access; the app resolves the reference through the vault\'s private endpoint.')
param privateNetwork bool = false

resource outcomeTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: outcomeTopicName
}

resource keyVault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    enablePurgeProtection: true
    // The public option: open, because the Flex Consumption app has no fixed outbound address to allow; the
    // network option: private endpoint only (infra/README.md, network option).
    publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
    networkAcls: {
      defaultAction: privateNetwork ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource topicKey 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: keyVault
  name: 'eventgrid-topic-key'
  properties: {
    value: outcomeTopic.listKeys().key1
    contentType: 'Event Grid topic access key'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: keyVault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
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

output keyVaultName string = keyVault.name
output keyVaultId string = keyVault.id
// Versionless URI: the reference follows key rotations (regenerate key1, update the secret).
output topicKeySecretUri string = topicKey.properties.secretUri
