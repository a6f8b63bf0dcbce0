// Optional (main.bicep deployBackupVaults): one Backup vault per region, from the Azure Verified Module, with a
// system-assigned identity (the principal the app grants datasource roles to), soft delete, immutability and
// the two policies the generated rules document names (infra/scripts/rules_from_vaults.py):
// - `blob-operational-30d`: blob operational backup, 30 days in the operational store;
// - `postgresql-flexible-weekly`: PostgreSQL flexible server, a weekly full backup kept 3 months in the vault.
// Vault names derive from the environment name and region only, so the rules can be written before provisioning.
// Backup vault logs (jobs, policies, protected instances) go to Log Analytics.
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

var blobPolicy = {
  name: 'blob-operational-30d'
  properties: {
    objectType: 'BackupPolicy'
    datasourceTypes: ['Microsoft.Storage/storageAccounts/blobServices']
    policyRules: [
      {
        name: 'Default'
        objectType: 'AzureRetentionRule'
        isDefault: true
        lifecycles: [
          {
            deleteAfter: {
              objectType: 'AbsoluteDeleteOption'
              duration: 'P30D'
            }
            sourceDataStore: {
              dataStoreType: 'OperationalStore'
              objectType: 'DataStoreInfoBase'
            }
            targetDataStoreCopySettings: []
          }
        ]
      }
    ]
  }
}

var postgreSqlFlexiblePolicy = {
  name: 'postgresql-flexible-weekly'
  properties: {
    objectType: 'BackupPolicy'
    datasourceTypes: ['Microsoft.DBforPostgreSQL/flexibleServers']
    policyRules: [
      {
        name: 'BackupWeekly'
        objectType: 'AzureBackupRule'
        backupParameters: {
          objectType: 'AzureBackupParams'
          backupType: 'Full'
        }
        dataStore: {
          dataStoreType: 'VaultStore'
          objectType: 'DataStoreInfoBase'
        }
        trigger: {
          objectType: 'ScheduleBasedTriggerContext'
          schedule: {
            repeatingTimeIntervals: ['R/2026-01-04T02:00:00+00:00/P1W']
            timeZone: 'UTC'
          }
          taggingCriteria: [
            {
              isDefault: true
              taggingPriority: 99
              tagInfo: {
                id: 'Default_'
                tagName: 'Default'
              }
            }
          ]
        }
      }
      {
        name: 'Default'
        objectType: 'AzureRetentionRule'
        isDefault: true
        lifecycles: [
          {
            deleteAfter: {
              objectType: 'AbsoluteDeleteOption'
              duration: 'P3M'
            }
            sourceDataStore: {
              dataStoreType: 'VaultStore'
              objectType: 'DataStoreInfoBase'
            }
            targetDataStoreCopySettings: []
          }
        ]
      }
    ]
  }
}

module vaults 'br/public:avm/res/data-protection/backup-vault:0.13.2' = [
  for region in locations: {
    name: take('backup-vault-${region}', 64)
    params: {
      name: 'bv-${take(environmentName, 24)}-${take(region, 20)}'
      location: region
      tags: tags
      enableTelemetry: false
      managedIdentities: {
        systemAssigned: true
      }
      softDeleteSettings: {
        state: 'On'
        retentionDurationInDays: softDeleteRetentionDays
      }
      immutabilitySettingState: immutabilityState
      backupPolicies: [blobPolicy, postgreSqlFlexiblePolicy]
    }
  }
]

resource deployedVaults 'Microsoft.DataProtection/backupVaults@2025-07-01' existing = [
  for region in locations: {
    name: 'bv-${take(environmentName, 24)}-${take(region, 20)}'
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
