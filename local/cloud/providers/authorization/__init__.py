"""Microsoft.Authorization emulation: role assignments at any scope, built-in roles, role checks."""

from .provider import AuthorizationProvider
from .roles import AuthorizationState, add_assignment, has_role

__all__ = ["AuthorizationProvider", "AuthorizationState", "add_assignment", "has_role"]
