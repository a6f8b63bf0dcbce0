"""The app's own storage account (``AzureWebJobsStorage``): a blob container client, by connection string
locally (Azurite) or by identity in Azure (``__blobServiceUri`` / ``__accountName``, the app's identity)."""

from __future__ import annotations

import contextlib
from typing import Any

from shared.config import Settings
from shared.errors import ConfigError


def blob_container(settings: Settings, name: str) -> Any:
    """An ``azure.storage.blob.aio.ContainerClient`` of the app's storage (not created: see ``ensure``)."""
    from azure.storage.blob.aio import BlobServiceClient

    if settings.storage_connection_string:
        service = BlobServiceClient.from_connection_string(settings.storage_connection_string)
    elif settings.storage_blob_endpoint:
        from azure.identity.aio import DefaultAzureCredential

        service = BlobServiceClient(settings.storage_blob_endpoint, credential=DefaultAzureCredential())
    else:
        raise ConfigError(
            "AzureWebJobsStorage", "needs a connection string, __blobServiceUri or __accountName"
        )
    return service.get_container_client(name)


async def ensure(container: Any) -> None:
    """Create the container unless it exists."""
    from azure.core.exceptions import ResourceExistsError

    with contextlib.suppress(ResourceExistsError):
        await container.create_container()
