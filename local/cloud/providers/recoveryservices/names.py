"""Recovery Services names (``;``-separated, arriving decoded from ``%3B``): parse the ones we mint."""

from __future__ import annotations

import re

from ...core import CloudError

FABRIC = "Azure"


def container_name(resource_group: str, account: str) -> str:
    return f"StorageContainer;Storage;{resource_group};{account}"


def parse_container(name: str) -> tuple[str, str]:
    """``StorageContainer;Storage;{rg};{account}`` -> (rg, account), case-insensitively."""
    parts = name.split(";")
    if len(parts) != 4 or parts[0].lower() != "storagecontainer" or parts[1].lower() != "storage":
        raise container_not_found(name)
    return parts[2], parts[3]


def item_name(share: str) -> str:
    return f"AzureFileShare;{share}"


def parse_item(name: str) -> str:
    match = re.fullmatch(r"azurefileshare;(.+)", name, re.IGNORECASE)
    if match is None:
        raise item_not_found()
    return match.group(1)


def check_fabric(fabric: str) -> None:
    if fabric.lower() != FABRIC.lower():
        raise CloudError(400, "BMSUserErrorInvalidFabricName", f"Fabric name '{fabric}' is not valid.")


def container_not_found(name: str) -> CloudError:
    return CloudError(
        404,
        "BMSUserErrorContainerObjectNotFound",
        f"Container '{name}' not found. Please check if the container is registered to the vault.",
    )


def item_not_found() -> CloudError:
    return CloudError(
        404,
        "BMSUserErrorDataSourceObjectNotFound",
        "Item not found.\r\nSelected item might have been deleted. Please check if item is registered to the vault.",  # noqa: E501
    )
