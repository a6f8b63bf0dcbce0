// Management-group-scope roles of the Function App's identity: every subscription under the group, existing and new.
// - Reader: read every resource the events name and query Azure Resource Graph in compliance sweeps.
// - Only with grantRoles: Role Based Access Control Administrator under a condition (grant-condition.txt)
//   that lets the app create or delete only the roles the code grants (grantable-roles.json, tested against
//   shared/protection/kinds.py), only for the listed vault identities, only as service principals.
targetScope = 'managementGroup'

param principalId string
param grantRoles bool = false
@description('Principal ids of the Backup vaults\' system-assigned identities: the only principals the app may grant roles to.')
param vaultPrincipalIds array = []

var readerRoleId = 'acdd72a7-3385-48ef-bd42-f606fba81ae7' // Reader
var rbacAdministratorRoleId = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168' // Role Based Access Control Administrator

// The roles the app hands to a vault's identity: one list, shared with rbac-management-group.bicep.
var grantableRoleIds = loadJsonContent('grantable-roles.json', '$[*].id')
var roleIdSet = '{${join(grantableRoleIds, ', ')}}'
var principalIdSet = '{${join(vaultPrincipalIds, ', ')}}'
var grantCondition = replace(replace(loadTextContent('grant-condition.txt'), '{ROLE_IDS}', roleIdSet), '{PRINCIPAL_IDS}', principalIdSet)

resource reader 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(managementGroup().id, principalId, readerRoleId)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', readerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

// Without vault identities the condition could allow nobody: no assignment at all (preprovision.sh refuses
// PROTECTION_GRANT_ROLES=true without VAULT_PRINCIPAL_IDS, so this never hides a misconfiguration).
resource constrainedRoleGranter 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantRoles && !empty(vaultPrincipalIds)) {
  name: guid(managementGroup().id, principalId, rbacAdministratorRoleId)
  properties: {
    roleDefinitionId: tenantResourceId('Microsoft.Authorization/roleDefinitions', rbacAdministratorRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
    description: 'Backup Autopilot: grant only backup roles, only to the listed vault identities'
    condition: grantCondition
    conditionVersion: '2.0'
  }
}
