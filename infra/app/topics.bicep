// Two Event Grid topics:
// - the custom topic the app publishes its outcome events to (CloudEvents 1.0). Local (key) auth stays on
//   because the app publishes with EVENTGRID_TOPIC_KEY (shared/config.py requires it with the endpoint);
//   the key lives only in Key Vault. Once the app publishes with its identity (EventGrid Data Sender is
//   already assigned), set disableLocalAuth to true and drop the key setting;
// - the system topic of the whole subscription (Microsoft.Resources.Subscriptions), whose
//   ResourceWriteSuccess events start auto-protection. Its system-assigned identity writes dead letters.
// An Azure subscription holds at most one system topic of this type: if one exists already, the deployment
// fails with a conflict; delete it, or deploy into its resource group with its name (resourceGroupName and
// resourceEventsSystemTopicName in main.bicep).
param outcomeTopicName string
param systemTopicName string
param location string = resourceGroup().location
param tags object = {}

resource outcomeTopic 'Microsoft.EventGrid/topics@2022-06-15' = {
  name: outcomeTopicName
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    publicNetworkAccess: 'Enabled'
    disableLocalAuth: false
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
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

output outcomeTopicName string = outcomeTopic.name
output outcomeTopicEndpoint string = outcomeTopic.properties.endpoint
output systemTopicName string = systemTopic.name
output systemTopicPrincipalId string = systemTopic.identity.principalId
