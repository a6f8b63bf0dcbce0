// Optional (main.bicep deployRecoveryServicesVaults): one Recovery Services vault per region for Azure file
// shares, from the Azure Verified Module, with a system-assigned identity (the principal the app grants Storage
// Account Backup Contributor on a share's storage account: shared/protection/kinds.py FILE_SHARE), soft delete,
// immutability and the file-share policy the generated rules document names (infra/scripts/rules_from_vaults.py):
// - `fileshare-daily-30d`: Azure Files (backupManagementType AzureStorage), a daily snapshot at 02:00 UTC kept
//   30 days.
// Vault names derive from the environment name and region only, like the Backup vaults', so the rules can be
// written before provisioning. Backup logs (jobs, policies, protected items) go to Log Analytics.
param environmentName string
param locations array
param tags object = {}
param logAnalyticsWorkspaceId string
@allowed(['Disabled', 'Unlocked', 'Locked'])
@description('Immutability: Unlocked can still be turned off; Locked cannot, ever.')
param immutabilityState string = 'Unlocked'
@minValue(14)
@maxValue(180)
param softDeleteRetentionDays int = 14
@description('The network option: the vaults refuse public network access (the app only calls ARM, which this does not govern).')
param privateNetwork bool = false

var fileSharePolicy = {
  name: 'fileshare-daily-30d'
  properties: {
    backupManagementType: 'AzureStorage'
    workLoadType: 'AzureFileShare'
    timeZone: 'UTC'
    schedulePolicy: {
      schedulePolicyType: 'SimpleSchedulePolicy'
      scheduleRunFrequency: 'Daily'
      scheduleRunTimes: ['2026-01-04T02:00:00Z']
    }
    retentionPolicy: {
      retentionPolicyType: 'LongTermRetentionPolicy'
      dailySchedule: {
        retentionTimes: ['2026-01-04T02:00:00Z']
        retentionDuration: {
          count: 30
          durationType: 'Days'
        }
      }
    }
  }
}

module vaults 'br/public:avm/res/recovery-services/vault:0.13.0' = [
  for region in locations: {
    name: take('recovery-vault-${region}', 64)
    params: {
      name: 'rsv-${take(environmentName, 24)}-${take(region, 20)}'
      location: region
      tags: tags
      enableTelemetry: false
      managedIdentities: {
        systemAssigned: true
      }
      softDeleteSettings: {
        softDeleteState: 'Enabled'
        softDeleteRetentionPeriodInDays: softDeleteRetentionDays
        enhancedSecurityState: 'Enabled'
      }
      immutabilitySettingState: immutabilityState
      publicNetworkAccess: privateNetwork ? 'Disabled' : 'Enabled'
      backupPolicies: [fileSharePolicy]
    }
  }
]

resource deployedVaults 'Microsoft.RecoveryServices/vaults@2025-08-01' existing = [
  for region in locations: {
    name: 'rsv-${take(environmentName, 24)}-${take(region, 20)}'
  }
]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = [
  for (region, i) in locations: {
    name: 'to-log-analytics'
    scope: deployedVaults[i]
    properties: {
      workspaceId: logAnalyticsWorkspaceId
      logAnalyticsDestinationType: 'Dedicated'
      logs: [
        {
          categoryGroup: 'allLogs'
          enabled: true
        }
      ]
    }
    dependsOn: [
      vaults
    ]
  }
]

output principalIds array = [for (region, i) in locations: vaults[i].outputs.systemAssignedMIPrincipalId!]
output vaultIds array = [for (region, i) in locations: vaults[i].outputs.resourceId]
