// Subscription-scope roles of the Function App's identity.
// - Reader: read every resource the events name and query Azure Resource Graph in compliance sweeps.
// - Only with grantRoles: Role Based Access Control Administrator, constrained by a condition so the app can
//   create or delete only the backup roles a vault's identity needs on a datasource, for service principals.
targetScope = 'subscription'

param principalId string
param grantRoles bool = false

var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader
var rbacAdministratorRoleId = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168' // Role Based Access Control Administrator
var storageAccountBackupContributorRoleId = 'e5e2a7ff-d759-4cd2-bb51-3152d37e2eb1' // Storage Account Backup Contributor
var postgreSqlLtrBackupRoleId = 'c088a766-074b-43ba-90d4-1fb21feae531' // PostgreSQL Flexible Server Long Term Retention Backup Role

// The roles the app may hand to a vault's identity (blob: Storage Account Backup Contributor; PostgreSQL
// flexible server: the LTR backup role on the server and Reader on its resource group).
var grantableRoleIds = join([storageAccountBackupContributorRoleId, readerRoleId, postgreSqlLtrBackupRoleId], ', ')

// Azure ABAC "constrain roles" condition: writes only of the grantable roles to service principals,
// deletes only of the grantable roles; every other action of the role is unaffected.
var grantCondition = replace(
  '''
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})
 )
 OR
 (
  @Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ROLE_IDS}
  AND
  @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {'ServicePrincipal'}
 )
)
AND
(
 (
  !(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})
 )
 OR
 (
  @Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {ROLE_IDS}
 )
)
''',
  'ROLE_IDS',
  grantableRoleIds
)

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, readerRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource constrainedRoleGranter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantRoles) {
  name: guid(subscription().id, principalId, rbacAdministratorRoleId)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministratorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Backup Autopilot: grant only backup roles to vault identities'
    condition: grantCondition
    conditionVersion: '2.0'
  }
}
