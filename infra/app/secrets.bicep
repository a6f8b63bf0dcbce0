// Key Vault (RBAC authorization, no access policies) holding the outcome topic's key, so the app setting
// EVENTGRID_TOPIC_KEY is a Key Vault reference, never the key itself.
param keyVaultName string
param location string = resourceGroup().location
param tags object = {}
param outcomeTopicName string

resource outcomeTopic 'Microsoft.EventGrid/topics@2022-06-15' existing = {
  name: outcomeTopicName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
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
    publicNetworkAccess: 'Enabled'
  }
}

resource topicKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: keyVault
  name: 'eventgrid-topic-key'
  properties: {
    value: outcomeTopic.listKeys().key1
    contentType: 'Event Grid topic access key'
  }
}

output keyVaultName string = keyVault.name
// Versionless URI: the reference follows key rotations (regenerate key1, update the secret).
output topicKeySecretUri string = topicKey.properties.secretUri
