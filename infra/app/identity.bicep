// The Function App's user-assigned managed identity: storage, App Insights, Key Vault, Event Grid and ARM
// all see this one principal; rbac*.bicep grant its roles.
param name string
param location string = resourceGroup().location
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

output resourceId string = identity.id
output clientId string = identity.properties.clientId
output principalId string = identity.properties.principalId
