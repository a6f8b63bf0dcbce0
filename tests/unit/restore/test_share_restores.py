# ruff: noqa: E501 - ARM ids are long by nature
"""File-share restore requests: parsing, refusals naming the field, the Recovery Services body they become."""

from __future__ import annotations

from typing import Any

import pytest

from shared.errors import InvalidRequestError, NotPossibleError
from shared.restore.request import RestoreKind, check_kind_fits, parse_submission, share_restore_body

SUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-files/providers"
ACCOUNT = f"{SUB}/Microsoft.Storage/storageAccounts/stfiles"
SHARE = f"{ACCOUNT}/fileServices/default/shares/projects"
OTHER = f"{SUB}/Microsoft.Storage/storageAccounts/stother"
ITEM = f"{SUB}/Microsoft.RecoveryServices/vaults/rsv/backupFabrics/Azure/protectionContainers/StorageContainer;Storage;rg-files;stfiles/protectedItems/AzureFileShare;projects"


def _full(**target: Any) -> dict[str, Any]:
    return {
        "kind": "fileShareFull",
        "resourceId": SHARE,
        "recoveryPointId": "932886657837421071",
        "target": {"restoreTo": "original", "onConflict": "overwrite", **target},
    }


def test_a_full_share_restore_to_the_original_share_is_the_captured_body() -> None:
    submission = parse_submission(_full())

    assert submission.kind is RestoreKind.FILE_SHARE_FULL
    assert submission.target_ids(SHARE) == [SHARE]
    # docs-fileshare fs09 (FullShare, OriginalLocation)
    assert share_restore_body(submission, SHARE) == {
        "properties": {
            "objectType": "AzureFileShareRestoreRequest",
            "recoveryType": "OriginalLocation",
            "sourceResourceId": ACCOUNT,
            "copyOptions": "Overwrite",
            "restoreRequestType": "FullShareRestore",
        }
    }


def test_a_full_share_restore_to_another_share_under_a_folder() -> None:
    submission = parse_submission(
        _full(restoreTo="alternate", storageAccountId=OTHER, shareName="recovered", folder="restoredata")
    )

    assert submission.target_ids(SHARE) == [f"{OTHER}/fileServices/default/shares/recovered"]
    # docs-fileshare fs10 (FullShare, AlternateLocation)
    assert share_restore_body(submission, SHARE)["properties"] == {
        "objectType": "AzureFileShareRestoreRequest",
        "recoveryType": "AlternateLocation",
        "sourceResourceId": ACCOUNT,
        "copyOptions": "Overwrite",
        "restoreRequestType": "FullShareRestore",
        "restoreFileSpecs": [{"targetFolderPath": "restoredata"}],
        "targetDetails": {"name": "recovered", "targetResourceId": OTHER},
    }


def test_an_item_level_restore_names_each_file_and_folder() -> None:
    body = {
        "kind": "fileShareItems",
        "backupInstanceId": ITEM,
        "recoveryPointId": "1",
        "items": [{"path": "/plans/budget.xlsx", "type": "file"}, {"path": "designs/", "type": "folder"}],
        "target": {"restoreTo": "original", "onConflict": "skip"},
    }

    submission = parse_submission(body)

    assert submission.backup_instance_id == ITEM
    assert submission.items == [("plans/budget.xlsx", "file"), ("designs", "folder")]
    props = share_restore_body(submission, SHARE)["properties"]
    assert (props["restoreRequestType"], props["copyOptions"]) == ("ItemLevelRestore", "Skip")
    assert props["restoreFileSpecs"] == [
        {"path": "plans/budget.xlsx", "fileSpecType": "File"},
        {"path": "designs", "fileSpecType": "Directory"},
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_full(restoreTo="alternate"), "target.storageAccountId"),
        (_full(storageAccountId=OTHER), "target.storageAccountId"),
        (_full(onConflict="rename"), "target.onConflict"),
        (
            _full(restoreTo="alternate", storageAccountId=SHARE, shareName="ok-name"),
            "target.storageAccountId",
        ),
        (_full(restoreTo="alternate", storageAccountId=OTHER, shareName="Bad_Name"), "target.shareName"),
        (
            _full(restoreTo="alternate", storageAccountId=OTHER, shareName="okname", folder="a/../b"),
            "target.folder",
        ),
        ({**_full(), "resourceId": ACCOUNT}, "resourceId"),
        ({**_full(), "items": [{"path": "a", "type": "file"}]}, "items"),
        ({**_full(), "kind": "fileShareItems"}, "items"),
        ({**_full(), "kind": "fileShareItems", "items": [{"path": "a:b", "type": "file"}]}, "items[0].path"),
        (
            {
                **_full(),
                "kind": "fileShareItems",
                "items": [{"path": "A", "type": "file"}, {"path": "a/", "type": "folder"}],
            },
            "items",
        ),
        ({**_full(), "backupInstanceId": ITEM}, "resourceId"),
    ],
)
def test_bad_share_restores_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        parse_submission(body)

    assert info.value.field == field, info.value.message


def test_a_share_restore_applies_only_to_a_share_and_the_other_kinds_never_to_one() -> None:
    share = parse_submission(_full())
    blob = parse_submission(
        {
            "kind": "blobPointInTime",
            "resourceId": ACCOUNT,
            "pointInTime": "2025-01-01T00:00:00Z",
            "confirmWholeAccountRollback": True,
        }
    )

    check_kind_fits(share, "Microsoft.Storage/storageAccounts/fileServices/shares")
    with pytest.raises(NotPossibleError):
        check_kind_fits(share, "Microsoft.Storage/storageAccounts/blobServices")
    with pytest.raises(NotPossibleError):
        check_kind_fits(blob, "Microsoft.Storage/storageAccounts/fileServices/shares")
