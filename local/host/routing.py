"""HTTP trigger route templates (ASP.NET style): ``items/{id:int}/{name?}``, ``files/{*path}``.

Literal segments match case-insensitively; constraints ``int``, ``long``, ``bool``, ``alpha``, ``guid``,
``float``, ``double``, ``decimal`` and ``regex(...)`` narrow what a parameter matches; other constraints
(``min``, ``length``...) are accepted and not enforced. Route values reach the function as strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from local.host.errors import RouteTemplateError

_CONSTRAINTS = {
    "int": r"-?\d+",
    "long": r"-?\d+",
    "bool": r"(?i:true|false)",
    "alpha": r"[A-Za-z]+",
    "guid": r"[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}",
    "float": r"-?\d+(?:\.\d+)?",
    "double": r"-?\d+(?:\.\d+)?",
    "decimal": r"-?\d+(?:\.\d+)?",
}
_PARAMETER = re.compile(r"\{([^{}]+)\}")


@dataclass(frozen=True)
class RouteTemplate:
    template: str
    pattern: re.Pattern[str]
    names: dict[str, str]  # regex group -> route parameter name
    defaults: dict[str, str]
    literal_weight: int
    parameter_count: int

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path)
        if found is None:
            return None
        values = dict(self.defaults)
        for group, name in self.names.items():
            value = found.group(group)
            if value is not None:
                values[name] = value
        return values

    @property
    def sort_key(self) -> tuple[int, int]:
        """More literal text first, then fewer parameters (an approximation of ASP.NET route precedence)."""
        return (-self.literal_weight, self.parameter_count)


def _parameter_regex(spec: str) -> tuple[str, str, bool, bool, str | None]:
    """``name:constraint?`` -> (name, regex, optional, catch_all, default)."""
    catch_all = spec.startswith("*")
    spec = spec.lstrip("*")
    default: str | None = None
    if "=" in spec:
        spec, default = spec.split("=", 1)
    optional = spec.endswith("?") or default is not None
    spec = spec.rstrip("?")
    name, *constraints = spec.split(":")
    if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise RouteTemplateError(f"invalid route parameter {{{spec}}}")
    regex = r".*" if catch_all else r"[^/]+"
    for constraint in constraints:
        if constraint.startswith("regex(") and constraint.endswith(")"):
            regex = f"(?:{constraint[6:-1].lstrip('^').rstrip('$')})"
        elif constraint in _CONSTRAINTS:
            regex = _CONSTRAINTS[constraint]
    return name, regex, optional, catch_all, default


def compile_route(prefix: str, template: str) -> RouteTemplate:
    prefix = prefix.strip("/")
    template = template.strip("/")
    pattern = "^" + (f"/{re.escape(prefix)}" if prefix else "")
    names: dict[str, str] = {}
    defaults: dict[str, str] = {}
    literal_weight = 0
    for segment in template.split("/") if template else []:
        whole = _PARAMETER.fullmatch(segment)
        if whole:
            name, regex, optional, catch_all, default = _parameter_regex(whole.group(1))
            group = f"p{len(names)}"
            names[group] = name
            if default is not None:
                defaults[name] = default
            piece = f"/(?P<{group}>{regex})"
            pattern += f"(?:{piece})?" if optional or catch_all else piece
            continue
        pattern += "/"
        position = 0
        for found in _PARAMETER.finditer(segment):
            literal = segment[position : found.start()]
            pattern += f"(?i:{re.escape(literal)})" if literal else ""
            literal_weight += len(literal)
            name, regex, _optional, _catch_all, default = _parameter_regex(found.group(1))
            group = f"p{len(names)}"
            names[group] = name
            pattern += f"(?P<{group}>{regex})"
            position = found.end()
        literal = segment[position:]
        if "{" in literal or "}" in literal:
            raise RouteTemplateError(f"unbalanced braces in route {template!r}")
        pattern += f"(?i:{re.escape(literal)})" if literal else ""
        literal_weight += len(literal)
    pattern += "/?$"
    return RouteTemplate(template, re.compile(pattern), names, defaults, literal_weight, len(names))
