"""A lean client for the Table service calls of the engine's instance table (Azurite's, or Azure's).

Why a table and not a blob per instance: Azurite keeps blob metadata in one LokiJS collection per account
whose first index is the account name, so every blob request scans every blob of the account. A table is
its own collection indexed by ``PartitionKey``: ``tests/bench/azurite_backlog.py`` (one Azurite per size,
interleaved rounds) measured a blob Get + conditional Put at 1.71x Azurite's CPU beside 5,000 blobs what it
costs beside 500, a table Get + conditional replace at 0.92x. Real Durable Functions keeps its instances in
a table too.

The calls go straight through one aiohttp session, signed with SharedKeyLite (the Table service's
account-key scheme: an HMAC of the date and the canonical resource), as the Azure SDK's pipeline costs about
3 ms of Python CPU per request. Entities are read and written with ``odata=nometadata`` JSON.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import AsyncIterator
from email.utils import formatdate
from typing import Any
from urllib.parse import quote, urlsplit

import aiohttp
import orjson
from yarl import URL

from local.durable.errors import ConcurrencyConflict, DurableError
from local.lean_queue import KEEPALIVE_SECONDS

API_VERSION = "2019-02-02"
JSON = "application/json"
NO_METADATA = "application/json;odata=nometadata"
PAGE_HEADERS = ("x-ms-continuation-NextPartitionKey", "x-ms-continuation-NextRowKey")
PAGE_PARAMS = ("NextPartitionKey", "NextRowKey")


class StorageRequestFailed(DurableError):
    """A storage request got an unexpected HTTP status."""


def key_literal(value: str) -> str:
    """An OData string literal of a key, percent-encoded for a URL path (quotes doubled)."""
    return quote("'" + value.replace("'", "''") + "'", safe="'")


class LeanTable:
    """Create, read, replace, delete and query the entities of one table, by SharedKeyLite."""

    def __init__(self, endpoint: str, account_name: str, account_key: str, table: str) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.table = table
        self._account = account_name
        self._key = base64.b64decode(account_key)
        self._base_path = urlsplit(self.endpoint).path  # "/devstoreaccount1" for Azurite, "" for Azure
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=64, keepalive_timeout=KEEPALIVE_SECONDS),
                timeout=aiohttp.ClientTimeout(total=60),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _request(self, resource: str, query: str = "") -> tuple[URL, dict[str, str]]:
        """The URL of ``resource`` (already encoded) and the signed headers every call carries."""
        date = formatdate(usegmt=True)
        to_sign = f"{date}\n/{self._account}{self._base_path}/{resource}"
        digest = hmac.new(self._key, to_sign.encode(), hashlib.sha256).digest()
        headers = {
            "x-ms-date": date,
            "x-ms-version": API_VERSION,
            "Authorization": f"SharedKeyLite {self._account}:{base64.b64encode(digest).decode()}",
            "Accept": NO_METADATA,
            "DataServiceVersion": "3.0",
            "MaxDataServiceVersion": "3.0;NetFx",
        }
        url = f"{self.endpoint}/{resource}" + (f"?{query}" if query else "")
        return URL(url, encoded=True), headers

    def _entity(self, partition_key: str, row_key: str) -> str:
        return f"{self.table}(PartitionKey={key_literal(partition_key)},RowKey={key_literal(row_key)})"

    async def create_table(self) -> None:
        """Create the table unless it exists."""
        url, headers = self._request("Tables")
        headers |= {"Content-Type": JSON, "Prefer": "return-no-content"}
        body = orjson.dumps({"TableName": self.table})
        async with self._client().post(url, data=body, headers=headers) as response:
            await response.read()
            if response.status not in (201, 204, 409):
                raise StorageRequestFailed(f"Create Table {self.table}: HTTP {response.status}")

    async def insert(self, entity: dict[str, Any]) -> str:
        """Create ``entity`` (its keys inside); its ETag. ConcurrencyConflict when it exists."""
        url, headers = self._request(self.table)
        headers |= {"Content-Type": JSON, "Prefer": "return-no-content"}
        async with self._client().post(url, data=orjson.dumps(entity), headers=headers) as response:
            await response.read()
            if response.status == 409:
                raise ConcurrencyConflict(f"entity {entity['PartitionKey']} exists")
            if response.status != 204:
                raise StorageRequestFailed(f"Insert Entity into {self.table}: HTTP {response.status}")
            return response.headers["ETag"]

    async def replace(self, entity: dict[str, Any], etag: str) -> str:
        """Replace the entity if it is still at ``etag``; the new ETag. ConcurrencyConflict otherwise."""
        url, headers = self._request(self._entity(entity["PartitionKey"], entity["RowKey"]))
        headers |= {"Content-Type": JSON, "If-Match": etag}
        async with self._client().put(url, data=orjson.dumps(entity), headers=headers) as response:
            await response.read()
            if response.status in (404, 409, 412):
                raise ConcurrencyConflict(f"entity {entity['PartitionKey']} changed concurrently")
            if response.status != 204:
                raise StorageRequestFailed(f"Update Entity in {self.table}: HTTP {response.status}")
            return response.headers["ETag"]

    async def get(self, partition_key: str, row_key: str = "") -> tuple[dict[str, Any], str] | None:
        """The entity and its ETag, or None when it does not exist."""
        url, headers = self._request(self._entity(partition_key, row_key))
        async with self._client().get(url, headers=headers) as response:
            body = await response.read()
            if response.status == 404:
                return None
            if response.status != 200:
                raise StorageRequestFailed(f"Query Entity in {self.table}: HTTP {response.status}")
            return orjson.loads(body), response.headers["ETag"]

    async def delete(self, partition_key: str, row_key: str = "") -> bool:
        """Delete the entity whatever its ETag; False when it did not exist."""
        url, headers = self._request(self._entity(partition_key, row_key))
        headers["If-Match"] = "*"
        async with self._client().delete(url, headers=headers) as response:
            await response.read()
            if response.status == 404:
                return False
            if response.status != 204:
                raise StorageRequestFailed(f"Delete Entity in {self.table}: HTTP {response.status}")
            return True

    async def query(self, select: list[str], odata_filter: str = "") -> AsyncIterator[list[dict[str, Any]]]:
        """The entities matching ``odata_filter`` (all without one), page by page (``select``: their
        properties to return), following the service's continuation headers."""
        params = {"$select": ",".join(select)}
        if odata_filter:
            params["$filter"] = odata_filter
        while True:
            query = "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())
            url, headers = self._request(f"{self.table}()", query)
            async with self._client().get(url, headers=headers) as response:
                body = await response.read()
                if response.status != 200:
                    raise StorageRequestFailed(f"Query Entities of {self.table}: HTTP {response.status}")
                yield orjson.loads(body)["value"]
                following = {
                    param: response.headers[header]
                    for header, param in zip(PAGE_HEADERS, PAGE_PARAMS, strict=True)
                    if header in response.headers
                }
            if not following:
                return
            params |= following
