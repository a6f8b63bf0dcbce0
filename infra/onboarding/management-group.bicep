// Every subscription under a management group, existing and new: an Azure Policy DeployIfNotExists definition
// and assignment that deploy, into each subscription, the system topic and the event subscription to the
// central app (subscription-events.json, the same resources as subscription.bicep: pushed to
// on_resource_written, or with eventDelivery 'queue' written to the central resource-events queue), as
// the landing-zone reference implementations do for diagnostics. Plus the app identity's Reader and, with
// grantRoles, its constrained role-assignment right (app/rbac-management-group.bicep) at the group.
// Deployed after `azd up`, with the values it printed: infra/scripts/onboard-management-group.sh.
targetScope = 'managementGroup'

@description('Region of the policy assignment\'s identity and of the per-subscription deployments.')
param location string
@description('Resource id of the central Function App (outputs of azd up: AZURE_FUNCTION_APP_ID).')
param functionAppId string
@description('Principal id of the app\'s user-assigned identity (AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID).')
param appPrincipalId string
@description('Resource id of the central storage account holding the dead-letter container (AZURE_STORAGE_ACCOUNT_ID).')
param storageAccountId string
param deadLetterContainerName string = 'eventgrid-deadletter'
@description('Central Log Analytics workspace for the topics\' delivery failures (AZURE_LOG_ANALYTICS_WORKSPACE_ID).')
param logAnalyticsWorkspaceId string
@description('Resource group created in each subscription for its system topic.')
param eventsResourceGroupName string = 'rg-backup-autopilot-events'
param systemTopicName string = 'evgst-backup-autopilot-resources'
param grantRoles bool = false
@description('Principal ids of the Backup vaults\' identities (needed with grantRoles).')
param vaultPrincipalIds array = []
@description('How the subscriptions\' events reach the app: the deployment\'s RESOURCE_EVENT_DELIVERY (queue with the network option).')
@allowed(['function', 'queue'])
param eventDelivery string = 'function'
param resourceEventsQueueName string = 'resource-events'

// A variable, not inline: pycep-parser reads `a == 'b' ? c : d` as `a == ('b' ? c : d)` (Bicep does not).
var viaQueue = eventDelivery == 'queue'

var storageParts = split(storageAccountId, '/')
var definitionName = 'backup-autopilot-resource-events'

// What the policy's identity does in each subscription, and nothing more: its resource group, the deployment,
// the system topic, its event subscription and its diagnostic setting (and registering their providers).
resource onboardingRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(managementGroup().id, 'backup-autopilot-event-onboarding')
  properties: {
    roleName: 'Backup Autopilot event onboarding (${managementGroup().name})'
    description: 'Deploys the Backup Autopilot system topic and event subscription into a subscription.'
    type: 'CustomRole'
    assignableScopes: [
      managementGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Resources/subscriptions/resourceGroups/read'
          'Microsoft.Resources/subscriptions/resourceGroups/write'
          'Microsoft.Resources/deployments/*'
          'Microsoft.EventGrid/systemTopics/read'
          'Microsoft.EventGrid/systemTopics/write'
          'Microsoft.EventGrid/systemTopics/eventSubscriptions/read'
          'Microsoft.EventGrid/systemTopics/eventSubscriptions/write'
          'Microsoft.Insights/diagnosticSettings/read'
          'Microsoft.Insights/diagnosticSettings/write'
          // A new subscription may not have the providers registered yet: ARM registers them for a deployment
          // whose caller may.
          'Microsoft.EventGrid/register/action'
          'Microsoft.Insights/register/action'
        ]
        notActions: []
      }
    ]
  }
}

resource definition 'Microsoft.Authorization/policyDefinitions@2025-03-01' = {
  name: definitionName
  properties: {
    displayName: 'Backup Autopilot: deploy the resource-event subscription into every subscription'
    description: 'Deploys the subscription\'s Event Grid system topic (tagged backup-autopilot=resource-events) and its event subscription to the central Backup Autopilot app.'
    policyType: 'Custom'
    mode: 'All'
    metadata: {
      category: 'Backup'
    }
    parameters: {
      location: { type: 'String' }
      functionAppId: { type: 'String' }
      storageAccountId: { type: 'String' }
      deadLetterContainerName: { type: 'String' }
      logAnalyticsWorkspaceId: { type: 'String' }
      eventsResourceGroupName: { type: 'String' }
      systemTopicName: { type: 'String' }
      operationNames: { type: 'Array' }
      // Added after the first release: defaults keep an earlier assignment valid.
      eventDelivery: { type: 'String', defaultValue: 'function', allowedValues: ['function', 'queue'] }
      resourceEventsQueueName: { type: 'String', defaultValue: 'resource-events' }
    }
    policyRule: {
      if: {
        field: 'type'
        equals: 'Microsoft.Resources/subscriptions'
      }
      then: {
        effect: 'deployIfNotExists'
        details: {
          type: 'Microsoft.EventGrid/systemTopics'
          existenceScope: 'subscription'
          existenceCondition: {
            allOf: [
              {
                field: 'Microsoft.EventGrid/systemTopics/topicType'
                equals: 'Microsoft.Resources.Subscriptions'
              }
              {
                field: 'tags[backup-autopilot]'
                equals: 'resource-events'
              }
              // A change of delivery makes every subscription non-compliant, and remediation redeploys it.
              {
                field: 'tags[backup-autopilot-delivery]'
                equals: '[parameters(\'eventDelivery\')]'
              }
            ]
          }
          deploymentScope: 'subscription'
          roleDefinitionIds: [
            onboardingRole.id
          ]
          deployment: {
            location: '[parameters(\'location\')]'
            properties: {
              mode: 'incremental'
              template: loadJsonContent('subscription-events.json')
              parameters: {
                resourceGroupName: { value: '[parameters(\'eventsResourceGroupName\')]' }
                location: { value: '[parameters(\'location\')]' }
                systemTopicName: { value: '[parameters(\'systemTopicName\')]' }
                functionAppId: { value: '[parameters(\'functionAppId\')]' }
                storageAccountId: { value: '[parameters(\'storageAccountId\')]' }
                deadLetterContainerName: { value: '[parameters(\'deadLetterContainerName\')]' }
                logAnalyticsWorkspaceId: { value: '[parameters(\'logAnalyticsWorkspaceId\')]' }
                operationNames: { value: '[parameters(\'operationNames\')]' }
                eventDelivery: { value: '[parameters(\'eventDelivery\')]' }
                resourceEventsQueueName: { value: '[parameters(\'resourceEventsQueueName\')]' }
              }
            }
          }
        }
      }
    }
  }
}

resource assignment 'Microsoft.Authorization/policyAssignments@2025-03-01' = {
  name: 'bkp-autopilot-events' // at most 24 characters at management-group scope
  location: location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    displayName: 'Backup Autopilot: resource events from every subscription'
    policyDefinitionId: definition.id
    enforcementMode: 'Default'
    parameters: {
      location: { value: location }
      functionAppId: { value: functionAppId }
      storageAccountId: { value: storageAccountId }
      deadLetterContainerName: { value: deadLetterContainerName }
      logAnalyticsWorkspaceId: { value: logAnalyticsWorkspaceId }
      eventsResourceGroupName: { value: eventsResourceGroupName }
      systemTopicName: { value: systemTopicName }
      operationNames: { value: loadJsonContent('../app/protected-operations.json') }
      eventDelivery: { value: eventDelivery }
      resourceEventsQueueName: { value: resourceEventsQueueName }
    }
  }
}

resource assignmentOnboarding 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, assignment.id, onboardingRole.id)
  properties: {
    roleDefinitionId: onboardingRole.id
    principalId: assignment.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// What the policy identity needs in the app's resource group: grant each new topic's identity its dead-letter
// right on the central container (that one role, to service principals, on that container), with queue delivery
// its send right on the resource-events queue (likewise), and read the Function App (the push destination).
module centralGrants 'central-grants.bicep' = {
  name: 'backup-autopilot-central-grants'
  scope: resourceGroup(storageParts[2], storageParts[4])
  params: {
    storageAccountName: storageParts[8]
    deadLetterContainerName: deadLetterContainerName
    functionAppName: last(split(functionAppId, '/'))
    principalId: assignment.identity.principalId
    resourceEventsQueueName: viaQueue ? resourceEventsQueueName : ''
  }
}

// Subscriptions that exist already: remediate what the first compliance scan found (new subscriptions are
// deployed to as they are evaluated; infra/README.md says how to start another remediation).
resource remediation 'Microsoft.PolicyInsights/remediations@2024-10-01' = {
  name: 'bkp-autopilot-events-initial'
  properties: {
    policyAssignmentId: assignment.id
    resourceDiscoveryMode: 'ExistingNonCompliant'
  }
  dependsOn: [
    assignmentOnboarding
    centralGrants
  ]
}

// The app reads every subscription under the group and may grant the backup roles there.
module appRoles '../app/rbac-management-group.bicep' = {
  name: 'backup-autopilot-app-roles'
  params: {
    principalId: appPrincipalId
    grantRoles: grantRoles
    vaultPrincipalIds: vaultPrincipalIds
  }
}

output policyAssignmentId string = assignment.id
output policyPrincipalId string = assignment.identity.principalId
