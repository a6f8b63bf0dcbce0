// The Function App on Flex Consumption (Python 3.11) with its user-assigned identity. Every connection is
// identity-based: host storage, Application Insights, Key Vault references; ARM calls use the same identity.
param name string
param planName string
param location string = resourceGroup().location
param tags object = {}
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainerName string
param applicationInsightsName string
param outcomeTopicEndpoint string
@description('Versionless Key Vault secret URI of the outcome topic key.')
param outcomeTopicKeySecretUri string
@description('The rules document: a path relative to the app root, shipped in the deployment package.')
param protectionRulesFile string
param grantRoles bool
param dryRun bool = false
param restoreAllowedScopes string
@description('ARM scopes backups now and protection changes may act in (LIFECYCLE_ALLOWED_SCOPES)')
param lifecycleAllowedScopes string
@description('Subscriptions the compliance sweep reads, comma-separated (empty when it reads management groups).')
param complianceSubscriptions string
@description('Management groups the compliance sweep reads, comma-separated.')
param complianceManagementGroups string
param complianceRemediation string = 'off'
param complianceReportContainer string
param logAnalyticsWorkspaceId string
param maximumInstanceCount int = 40
param instanceMemoryMB int = 2048
@description('The network option: the subnet (delegated to Microsoft.App/environments) the app\'s outbound traffic goes through, to the private endpoints of its storage, Key Vault and outcome topic. Empty: no VNet integration.')
param virtualNetworkSubnetId string = ''

resource storage 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// Settings the Functions host and platform read (not the app's own code).
var platformSettings = {
  // Identity-based host storage: queues, timers, Durable Functions state (blobs, queues, tables).
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
  AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
  AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
  // Telemetry with the identity: App Insights has local auth disabled.
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
}

// Settings the app reads (shared/config.py), one per line.
var applicationSettings = {
  // The only origin the ARM client sends a bearer token to (and follows poll URLs on).
  ARM_ENDPOINT: 'https://management.azure.com'
  // Credential kind ('default' | 'local'): DefaultAzureCredential, on Azure the managed identity below.
  ARM_CREDENTIAL: 'default'
  // Client id of the user-assigned identity; read by azure-identity (DefaultAzureCredential), not by our code.
  AZURE_CLIENT_ID: identityClientId
  // Where outcome events (CloudEvents) are published.
  EVENTGRID_TOPIC_ENDPOINT: outcomeTopicEndpoint
  // The topic key as a Key Vault reference, resolved by the platform with keyVaultReferenceIdentity.
  EVENTGRID_TOPIC_KEY: '@Microsoft.KeyVault(SecretUri=${outcomeTopicKeySecretUri})'
  // The protection rules document: a file in the deployment package, by its path relative to the app root (the
  // loader's base directory). A file, not inline JSON: azd pastes env values into the parameters unescaped.
  PROTECTION_RULES: protectionRulesFile
  // Whether the app grants vault identities their backup roles itself ('true' / 'false').
  PROTECTION_GRANT_ROLES: grantRoles ? 'true' : 'false'
  // Dry run: decide and report, change nothing ('true' / 'false').
  PROTECTION_DRY_RUN: dryRun ? 'true' : 'false'
  // ARM scopes restores may target, comma- or semicolon-separated; empty: none allowed.
  RESTORE_ALLOWED_SCOPES: restoreAllowedScopes
  LIFECYCLE_ALLOWED_SCOPES: lifecycleAllowedScopes
  // When compliance sweeps run (six-field NCRONTAB, read by the timer binding as %COMPLIANCE_SCHEDULE%).
  COMPLIANCE_SCHEDULE: '0 0 */6 * * *'
  // What a sweep does with unprotected resources: 'off' | 'dryRun' | 'on' (send them to the protection queue).
  COMPLIANCE_REMEDIATION: complianceRemediation
  // Where sweeps read: the subscriptions this deployment watches, or the management groups it was onboarded to.
  COMPLIANCE_SUBSCRIPTIONS: complianceSubscriptions
  COMPLIANCE_MANAGEMENT_GROUPS: complianceManagementGroups
  // The container (created by storage.bicep) that holds sweep pages and reports.
  COMPLIANCE_REPORT_CONTAINER: complianceReportContainer
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true // Linux
  }
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    // Flex Consumption VNet integration (the Azure-Samples Flex templates' virtualNetworkSubnetId): with it the
    // app's outbound calls, the host's storage connections and Key Vault reference resolution use the VNet.
    virtualNetworkSubnetId: empty(virtualNetworkSubnetId) ? null : virtualNetworkSubnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
  }

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(platformSettings, applicationSettings)
  }
}

// Function executions and host logs (FunctionAppLogs) into Log Analytics.
resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: functionApp
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
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

output name string = functionApp.name
output resourceId string = functionApp.id
output uri string = 'https://${functionApp.properties.defaultHostName}'
