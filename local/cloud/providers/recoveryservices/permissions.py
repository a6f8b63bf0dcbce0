"""What the vault's identity needs on a storage account to back up its file shares.

A Recovery Services vault with a system-assigned identity works with it: registering the storage account and
enabling protection of a share need *Storage Account Backup Contributor* on the account (or above), granted
and propagated, else the operation ends ``Failed``. No capture of this refusal exists for Recovery Services;
it answers with the code, message and recommended action the Data Protection service documents for the
same situation (``UserErrorMissingRequiredPermissions``, seeds/000), inside the ``OperationStatusError``
shape (code and message only) of ``bms.json``. A vault without an identity (seeds/004
grants nothing) relies on the Backup Management Service's own access, as the walkthrough does.
"""

from __future__ import annotations

from ...core import Cloud, CloudError, Resource
from ..authorization import has_role
from ..authorization.roles import STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR

MISSING_PERMISSIONS = "UserErrorMissingRequiredPermissions"
ACTION = (
    "Grant appropriate permissions to perform this operation as mentioned at "
    "https://aka.ms/UserErrorMissingRequiredPermissions and retry the operation."
)


def check_vault_may_back_up(cloud: Cloud, vault: Resource, account_id: str) -> None:
    """Raise the service's refusal when the vault's identity lacks its role on the storage account."""
    principal = str((vault.body.get("identity") or {}).get("principalId") or "")
    if not principal or has_role(cloud, principal, STORAGE_ACCOUNT_BACKUP_CONTRIBUTOR, account_id):
        return
    raise CloudError(
        400,
        MISSING_PERMISSIONS,
        f"Appropriate permissions to perform the operation is missing. {ACTION}",
    )
