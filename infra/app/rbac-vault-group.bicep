// Backup Contributor on one resource group that holds the Backup / Recovery Services vaults: configure and
// stop protection, trigger restores and read jobs. The app cannot create or delete vaults.
param principalId string

var backupContributorRoleId = '5e467623-bb1f-42f4-a55d-6e525e11384b' // Backup Contributor

resource backupContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, backupContributorRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', backupContributorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
