"""The three Resource Graph tables served from live emulator state: row shapes, what is (not) indexed,
subscription / management-group scope, snapshot paging and the quota headers."""

from __future__ import annotations

from local.cloud.resourcegraph.tables import COLUMNS

from .compliance_fixtures import (
    BI_TYPE,
    BV,
    DATA,
    DEV,
    DP_JOB_TYPE,
    GRAPH,
    PROD,
    RS_ITEM_TYPE,
    RS_JOB_TYPE,
    SANDBOX,
    TENANT,
    compliance_tenant,
    graph,
    rows,
)


async def test_every_row_of_every_table_has_the_sixteen_columns_and_a_lower_case_type() -> None:
    async with compliance_tenant() as c:
        tables = {
            t: await rows(c, t) for t in ("Resources", "RecoveryServicesResources", "ResourceContainers")
        }
    for table, data in tables.items():
        assert data, table
        for row in data:
            assert list(row) == list(COLUMNS), (table, row["id"])
            assert row["type"] == row["type"].lower() and row["tenantId"] == TENANT
            assert row["resourceGroup"] == row["resourceGroup"].lower()
            assert isinstance(row["tags"], dict) and isinstance(row["properties"], dict)


async def test_storage_accounts_keep_kind_sku_and_the_properties_a_sweep_filters_on() -> None:
    async with compliance_tenant() as c:
        data = await rows(
            c,
            "Resources | where type =~ 'Microsoft.Storage/storageAccounts' and subscriptionId == "
            f"'{PROD}' | project name, kind, sku, tags, hns = properties.isHnsEnabled, "
            "nfs = properties.isNfsV3Enabled, rg = resourceGroup | order by name asc",
        )
    by_name = {r["name"]: r for r in data}
    assert "storphan" not in by_name  # its datasource was deleted: only the backup instance remains
    assert by_name["stnfs"]["hns"] is True and by_name["stnfs"]["nfs"] is True
    assert by_name["sthns"]["hns"] is True and by_name["sthns"]["nfs"] is None
    assert by_name["stprotected"]["hns"] is False
    assert by_name["stpremium"]["kind"] == "BlockBlobStorage"
    assert by_name["stpremium"]["sku"] == {"name": "Premium_LRS", "tier": "Premium"}
    assert by_name["stunprotected1"]["sku"] == {"name": "Standard_GRS", "tier": "Standard"}
    assert by_name["stexcluded"]["tags"] == {"backup": "exclude"}
    assert {r["rg"] for r in data} == {"rg-data-weu"}
    assert len(data) == 14


async def test_child_resources_are_not_indexed_file_shares_containers_and_databases() -> None:
    async with compliance_tenant() as c:
        every = [
            r["type"]
            for table in ("Resources", "RecoveryServicesResources", "ResourceContainers")
            for r in await rows(c, f"{table} | project id, type")
        ]
        postgres = await rows(
            c, "Resources | where type startswith 'microsoft.dbforpostgresql/' | project name, type"
        )
    assert not [t for t in every if "/fileservices" in t or "/blobservices" in t or "/databases" in t]
    assert "microsoft.recoveryservices/vaults/backupfabrics/protectioncontainers" not in every
    assert {(r["name"], r["type"]) for r in postgres} >= {
        ("pg-orders", "microsoft.dbforpostgresql/servers"),
        ("pgflex-crm", "microsoft.dbforpostgresql/flexibleservers"),
    }


async def test_backup_instances_carry_their_state_status_datasource_and_policy() -> None:
    async with compliance_tenant() as c:
        data = await rows(
            c,
            f"RecoveryServicesResources | where type == '{BI_TYPE}' "
            "| project name, state = tostring(properties.currentProtectionState), "
            "status = tostring(properties.protectionStatus.status), "
            "error = tostring(properties.protectionStatus.errorDetails.code), "
            "ds = tolower(tostring(properties.dataSourceInfo.resourceID)), "
            "policy = tostring(properties.policyInfo.policyId)",
        )
    by_name = {r["name"]: r for r in data}
    assert {n: (r["state"], r["status"]) for n, r in by_name.items()} == {
        "bi-stprotected": ("ProtectionConfigured", "ProtectionConfigured"),
        "bi-sterror": ("ProtectionError", "ProtectionError"),
        "bi-ststopped": ("ProtectionStopped", "ProtectionStopped"),
        "bi-stsuspended": ("BackupSchedulesSuspended", "ProtectionStopped"),
        "bi-stjobfailed": ("ProtectionConfigured", "ProtectionConfigured"),
        "bi-stdrift": ("ProtectionConfigured", "ProtectionConfigured"),
        "bi-storphan": ("ProtectionConfigured", "ProtectionConfigured"),
        "bi-pg-orders-orders": ("ProtectionConfigured", "ProtectionConfigured"),
        "bi-pgflex-crm": ("ProtectionConfigured", "ProtectionConfigured"),
    }
    assert by_name["bi-sterror"]["error"] == "UserErrorMissingRequiredPermissions"
    assert by_name["bi-stprotected"]["error"] == ""
    assert (
        by_name["bi-storphan"]["ds"] == f"{DATA}/providers/microsoft.storage/storageaccounts/storphan".lower()
    )
    assert "/backupVaults/bv-weu-legacy/backupPolicies/blob-legacy" in by_name["bi-stdrift"]["policy"]
    assert by_name["bi-pg-orders-orders"]["ds"].endswith("/servers/pg-orders/databases/orders")


async def test_soft_deleted_instance_is_a_deleted_backup_instance_row() -> None:
    async with compliance_tenant() as c:
        data = await rows(c, "RecoveryServicesResources | where name == 'bi-stsoftdeleted'")
    (row,) = data
    assert row["type"] == "microsoft.dataprotection/backupvaults/deletedbackupinstances"
    assert row["id"] == f"{BV}/deletedBackupInstances/bi-stsoftdeleted"
    assert row["properties"]["currentProtectionState"] == "SoftDeleted"
    assert set(row["properties"]["deletionInfo"]) == {
        "deletionTime",
        "billingEndDate",
        "scheduledPurgeTime",
        "deleteActivityID",
    }


async def test_data_protection_jobs_include_the_failed_last_backup_with_its_error() -> None:
    async with compliance_tenant() as c:
        data = await rows(
            c,
            f"RecoveryServicesResources | where type =~ '{DP_JOB_TYPE}' "
            "| where properties.backupInstanceFriendlyName == 'stjobfailed' "
            "| top 1 by tostring(properties.startTime) desc",
        )
    (job,) = data
    props = job["properties"]
    assert job["id"].startswith(f"{BV}/backupJobs/") and job["resourceGroup"] == "rg-backup-weu"
    assert props["status"] == "Failed" and props["operationCategory"] == "Backup"
    assert props["isUserTriggered"] is False and props["endTime"] > props["startTime"]
    (error,) = props["errorDetails"]
    assert error["code"] == "UserErrorStorageAccountNotFound"
    assert error["message"].startswith("The storage account could not be reached")
    assert error["recommendedAction"] == [
        "Check that the storage account exists and the Backup vault can reach it, then retry."
    ]


async def test_recovery_services_items_and_jobs() -> None:
    async with compliance_tenant() as c:
        items = await rows(
            c,
            f"RecoveryServicesResources | where type == '{RS_ITEM_TYPE}' | project name, "
            "state = tostring(properties.protectionState), health = tostring(properties.healthStatus), "
            "last = tostring(properties.lastBackupStatus), source = tostring(properties.sourceResourceId), "
            "policy = tostring(properties.policyName), lastTime = properties.lastBackupTime",
        )
        jobs = await rows(
            c,
            f"RecoveryServicesResources | where type == '{RS_JOB_TYPE}' and properties.status == 'Failed'",
        )
    by_name = {i["name"]: i for i in items}
    assert {n: (i["state"], i["health"], i["last"]) for n, i in by_name.items()} == {
        "AzureFileShare;finance": ("Protected", "Passed", "Completed"),
        "AzureFileShare;hr": ("ProtectionStopped", "Passed", "Completed"),
        "AzureFileShare;legal": ("ProtectionError", "ActionRequired", "Failed"),
        "AzureFileShare;projects": ("Protected", "Passed", "Completed"),
        "AzureFileShare;archive": ("Protected", "Passed", "Completed"),  # its share is gone (an orphan)
    }
    assert {i["source"] for i in items} == {f"{DATA}/providers/Microsoft.Storage/storageAccounts/stfiles"}
    assert by_name["AzureFileShare;hr"]["policy"] == "files-legacy"
    assert by_name["AzureFileShare;hr"]["lastTime"] < by_name["AzureFileShare;finance"]["lastTime"]
    (job,) = jobs
    assert job["properties"]["entityFriendlyName"] == "legal"
    assert job["properties"]["errorDetails"][0]["errorCode"] == 400


async def test_resource_containers_subscriptions_groups_and_management_groups() -> None:
    async with compliance_tenant() as c:
        subs = await rows(
            c,
            "ResourceContainers | where type == 'microsoft.resources/subscriptions' "
            "| project subscriptionId, name, state = properties.state, "
            "parent = tostring(properties.managementGroupAncestorsChain[0].name)",
        )
        groups = await rows(
            c, "ResourceContainers | where type == 'microsoft.resources/subscriptions/resourcegroups'"
        )
        mgs = await rows(
            c,
            "ResourceContainers | where type == 'microsoft.management/managementgroups' "
            "| project name, display = properties.displayName, "
            "parent = tostring(properties.details.parent.name)",
        )
    assert {(s["subscriptionId"], s["name"], s["state"], s["parent"]) for s in subs} == {
        (PROD, "Contoso Production", "Enabled", "mg-prod"),
        (DEV, "Contoso Dev", "Enabled", "mg-dev"),
        (SANDBOX, "Contoso Sandbox", "Enabled", TENANT),
    }
    data_group = next(g for g in groups if g["name"] == "rg-data-weu")
    assert data_group["id"] == DATA and data_group["tags"] == {"backup": "auto"}
    assert data_group["location"] == "westeurope" and data_group["resourceGroup"] == "rg-data-weu"
    assert {(m["name"], m["display"], m["parent"]) for m in mgs} == {
        (TENANT, "Tenant Root Group", ""),
        ("mg-contoso", "Contoso", TENANT),
        ("mg-prod", "Production", "mg-contoso"),
        ("mg-dev", "Development", "mg-contoso"),
    }


async def test_subscription_and_management_group_scopes() -> None:
    count = (
        "Resources | where type =~ 'microsoft.storage/storageaccounts' "
        "| summarize n = count() by subscriptionId"
    )
    async with compliance_tenant() as c:
        tenant = await rows(c, count)
        one = await rows(c, count, subscriptions=[SANDBOX.upper()])
        prod = await rows(c, count, managementGroups=["mg-prod"])
        contoso = await rows(c, count, managementGroups=["MG-CONTOSO"])
        both = await rows(c, count, managementGroups=["mg-contoso"], subscriptions=[DEV, SANDBOX])
        root = await rows(c, count, managementGroups=[TENANT])
        mg_rows_by_group = await rows(
            c,
            "ResourceContainers | where type == 'microsoft.management/managementgroups' | project name",
            managementGroups=["mg-contoso"],
        )
        mg_rows_by_sub = await rows(
            c,
            "ResourceContainers | where type == 'microsoft.management/managementgroups'",
            subscriptions=[PROD],
        )
    counts = {r["subscriptionId"]: r["n"] for r in tenant}
    assert counts == {PROD: 14, DEV: 1, SANDBOX: 1}
    assert one == [{"subscriptionId": SANDBOX, "n": 1}]
    assert prod == [{"subscriptionId": PROD, "n": 14}]
    assert {r["subscriptionId"] for r in contoso} == {PROD, DEV}
    assert both == [{"subscriptionId": DEV, "n": 1}]
    assert {r["subscriptionId"]: r["n"] for r in root} == counts
    assert {r["name"] for r in mg_rows_by_group} == {"mg-contoso", "mg-prod", "mg-dev"}
    assert mg_rows_by_sub == []


async def test_skip_token_pages_one_snapshot_of_the_live_store() -> None:
    async with compliance_tenant() as c:
        await c.post(
            "/_admin/bulk/storageAccounts", json={"subscriptions": 2, "accountsPerSubscription": 1200}
        )
        query = "Resources | where type =~ 'microsoft.storage/storageaccounts' | project id, name"
        first = await graph(c, query)
        # an account created between pages does not shift or duplicate rows of the result being paged
        await c.post(
            "/_admin/bulk/storageAccounts",
            json={
                "subscriptions": 1,
                "accountsPerSubscription": 1,
                "firstSubscription": 9,
                "namePrefix": "aa",
            },
        )
        seen = [r["id"] for r in first["data"]]
        token = first["$skipToken"]
        pages = 1
        while token:
            page = await graph(c, query, options={"$skipToken": token})
            assert page["totalRecords"] == first["totalRecords"] == 2416
            seen.extend(r["id"] for r in page["data"])
            token = page.get("$skipToken")
            pages += 1
        fresh = await graph(c, query)
    assert pages == 3 and len(seen) == len(set(seen)) == 2416
    assert fresh["totalRecords"] == 2417


async def test_quota_headers_and_throttling_follow_the_documented_window() -> None:
    async with compliance_tenant(throttling=True) as c:
        answers = [await c.post(GRAPH, json={"query": "Resources | count"}) for _ in range(16)]
    assert [a.status_code for a in answers] == [200] * 15 + [429]
    assert [a.headers["x-ms-user-quota-remaining"] for a in answers[:15]] == [
        str(n) for n in range(14, -1, -1)
    ]
    assert all(a.headers["x-ms-user-quota-resets-after"].startswith("00:00:0") for a in answers)
    throttled = answers[-1]
    assert throttled.json()["error"]["code"] == "RateLimiting"
    assert (
        int(throttled.headers["Retry-After"]) >= 1 and throttled.headers["x-ms-user-quota-remaining"] == "0"
    )
