"""Microsoft.Authorization: role assignments at any scope and built-in role definitions."""

from __future__ import annotations

import re
import uuid

from ...core import Cloud, CloudError, RequestContext, Response, is_within, norm, parent_scopes
from .roles import BUILT_IN_ROLES, AuthorizationState, add_assignment, role_definition_body

ASSIGNMENTS = "{*scope}/providers/Microsoft.Authorization/roleAssignments"
DEFINITIONS = "{*scope}/providers/Microsoft.Authorization/roleDefinitions"
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


def _scope(ctx: RequestContext) -> str:
    scope = ctx.params["scope"]
    return scope if scope != "/" else "/"


def _check_scope_exists(cloud: Cloud, scope: str) -> None:
    if scope == "/":
        return
    cloud.require(scope)


class AuthorizationProvider:
    name = "Microsoft.Authorization"

    def register(self, cloud: Cloud) -> None:
        r = cloud.router

        async def put(ctx: RequestContext) -> Response:
            scope, name = _scope(ctx), ctx.params["roleAssignmentName"]
            if not GUID.match(name):
                raise CloudError(
                    400,
                    "InvalidRoleAssignmentId",
                    f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.",
                )
            _check_scope_exists(cloud, scope)
            props = ctx.json_object().get("properties") or {}
            role_id, principal = props.get("roleDefinitionId"), props.get("principalId")
            if not role_id or not principal:
                raise CloudError(
                    400,
                    "InvalidRequestContent",
                    "The request content was invalid: roleDefinitionId and principalId are required.",
                )
            guid = str(role_id).rstrip("/").split("/")[-1].lower()
            if guid not in BUILT_IN_ROLES:
                raise CloudError(
                    400,
                    "RoleDefinitionDoesNotExist",
                    f"The specified role definition with ID '{guid}' does not exist.",
                )
            state = cloud.state(AuthorizationState)
            key = norm(
                f"{scope if scope != '/' else ''}/providers/Microsoft.Authorization/roleAssignments/{name}"
            )
            existing = state.assignments.get(key)
            if existing is not None:
                if existing.principal_id.lower() == str(principal).lower() and existing.role_guid == guid:
                    return Response(201, existing.body())
                raise CloudError(
                    409,
                    "RoleAssignmentUpdateNotPermitted",
                    "Tenant ID, application ID, principal ID, and scope are not allowed to be updated.",
                )
            for other in state.assignments.values():
                if (
                    norm(other.scope) == norm(scope)
                    and other.role_guid == guid
                    and other.principal_id.lower() == str(principal).lower()
                ):
                    raise CloudError(409, "RoleAssignmentExists", "The role assignment already exists.")
            assignment = add_assignment(
                cloud,
                scope,
                name,
                str(role_id),
                str(principal),
                str(props.get("principalType") or "ServicePrincipal"),
                ctx.principal,
            )
            cloud.emit_write(
                resource_id=assignment.id,
                resource_type="Microsoft.Authorization/roleAssignments",
                http_method="PUT",
                principal=ctx.principal,
                correlation_id=ctx.correlation_id,
                body=assignment.body(),
            )
            return Response(201, assignment.body())

        async def get(ctx: RequestContext) -> Response:
            key = norm(
                f"{ctx.params['scope']}/providers/Microsoft.Authorization/roleAssignments/{ctx.params['roleAssignmentName']}"
            )
            found = cloud.state(AuthorizationState).assignments.get(key)
            if found is None:
                raise CloudError(404, "RoleAssignmentNotFound", "The role assignment does not exist.")
            return Response(200, found.body())

        async def delete(ctx: RequestContext) -> Response:
            key = norm(
                f"{ctx.params['scope']}/providers/Microsoft.Authorization/roleAssignments/{ctx.params['roleAssignmentName']}"
            )
            found = cloud.state(AuthorizationState).assignments.pop(key, None)
            if found is None:
                return Response(204)
            cloud.emit_write(
                resource_id=found.id,
                resource_type="Microsoft.Authorization/roleAssignments",
                http_method="DELETE",
                principal=ctx.principal,
                correlation_id=ctx.correlation_id,
            )
            return Response(200, found.body())

        async def list_assignments(ctx: RequestContext) -> Response:
            scope = _scope(ctx)
            text = ctx.query.get("$filter", "")
            at_scope = "atscope()" in text.lower()
            principal = re.search(r"principalId\s+eq\s+'([^']+)'", text, re.IGNORECASE)
            above = set(parent_scopes(scope)) if scope != "/" else {"/"}
            out = []
            for a in cloud.state(AuthorizationState).assignments.values():
                inside = norm(a.scope) in above or (not at_scope and is_within(a.scope, scope))
                if inside and (principal is None or a.principal_id.lower() == principal.group(1).lower()):
                    out.append(a.body())
            return Response(200, {"value": out})

        async def get_definition(ctx: RequestContext) -> Response:
            guid = ctx.params["roleDefinitionId"].lower()
            if guid not in BUILT_IN_ROLES:
                raise CloudError(
                    404,
                    "RoleDefinitionDoesNotExist",
                    f"The specified role definition with ID '{guid}' does not exist.",
                )
            return Response(200, role_definition_body(_scope(ctx), guid))

        async def list_definitions(ctx: RequestContext) -> Response:
            text = ctx.query.get("$filter", "")
            wanted = re.search(r"roleName\s+eq\s+'([^']+)'", text, re.IGNORECASE)
            bodies = [role_definition_body(_scope(ctx), g) for g in BUILT_IN_ROLES]
            if wanted:
                bodies = [b for b in bodies if b["properties"]["roleName"].lower() == wanted.group(1).lower()]
            return Response(200, {"value": bodies})

        write = "Microsoft.Authorization/roleAssignments/write"
        r.add(
            "PUT", ASSIGNMENTS + "/{roleAssignmentName}", "RoleAssignments_Create", put, arm_operation=write
        )
        r.add("GET", ASSIGNMENTS + "/{roleAssignmentName}", "RoleAssignments_Get", get)
        r.add(
            "DELETE",
            ASSIGNMENTS + "/{roleAssignmentName}",
            "RoleAssignments_Delete",
            delete,
            arm_operation="Microsoft.Authorization/roleAssignments/delete",
        )
        r.add("GET", ASSIGNMENTS, "RoleAssignments_ListForScope", list_assignments)
        r.add("GET", DEFINITIONS + "/{roleDefinitionId}", "RoleDefinitions_Get", get_definition)
        r.add("GET", DEFINITIONS, "RoleDefinitions_List", list_definitions)


def new_assignment_name() -> str:
    return str(uuid.uuid4())
