#!/bin/sh
# Before provisioning: PROTECTION_GRANT_ROLES=true needs the vault identities that may receive roles, listed
# (VAULT_PRINCIPAL_IDS) or deployed by the template (DEPLOY_BACKUP_VAULTS, DEPLOY_RECOVERY_SERVICES_VAULTS): the role-assignment condition
# allows grants only to those principals. (The rules file is checked before packaging: prepackage.sh.)
set -eu
if [ "${PROTECTION_GRANT_ROLES:-false}" = "true" ] && [ -z "${VAULT_PRINCIPAL_IDS:-}" ] \
  && [ "${DEPLOY_BACKUP_VAULTS:-false}" != "true" ] && [ "${DEPLOY_RECOVERY_SERVICES_VAULTS:-false}" != "true" ]; then
  echo "preprovision: PROTECTION_GRANT_ROLES=true needs VAULT_PRINCIPAL_IDS (the vaults' identity principal ids, comma-separated), DEPLOY_BACKUP_VAULTS=true or DEPLOY_RECOVERY_SERVICES_VAULTS=true" >&2
  exit 1
fi
