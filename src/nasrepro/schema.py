"""The profile's layout checked against ``workflow/schemas/config.schema.yaml``, reported as one
line per problem (key path, value, what is allowed) instead of jsonschema's multi-line dump.
Snakemake's own ``validate`` still runs afterwards (it fills schema defaults)."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from nasrepro.params import ConfigError


def _allowed(error: jsonschema.ValidationError) -> str:
    """What the failed keyword allows, in words."""
    schema, keyword = error.schema, error.validator
    if keyword == "additionalProperties":
        return f"allowed keys: {', '.join(sorted(schema.get('properties', {})))}"
    if keyword == "enum":
        return f"allowed values: {', '.join(map(str, schema['enum']))}"
    if keyword == "type":
        return f"expected {schema['type']}" + (f" of {schema['items'].get('type')}"
                                                 if isinstance(schema.get("items"), dict) else "")
    bounds = {"minimum": ">=", "maximum": "<=", "exclusiveMinimum": ">", "exclusiveMaximum": "<"}
    if keyword in bounds:
        return f"allowed {bounds[keyword]} {error.validator_value}"
    return f"allowed: {keyword} {error.validator_value}"


def check_schema(config: dict, schema_path: str | Path) -> None:
    """Raise ``ConfigError`` listing every layout problem of ``config``, one line each."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(config), key=str)
    if not errors:
        return
    lines = []
    for error in errors:
        key = ".".join(map(str, error.absolute_path)) or "(top level)"
        if error.validator == "required":  # one error per missing key: one line for them all
            missing = [name for name in error.validator_value if name not in error.instance]
            line = f"{key}: missing required key{'s' * (len(missing) > 1)} {', '.join(missing)}"
            if not error.absolute_path:
                line += (" (is this an overlay? a profile comes first: "
                         "`--configfile config/config.yaml <overlay.yaml>`)")
            lines.append(line)
        elif error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            key = ", ".join(f"{key}.{name}" if error.absolute_path else name for name in extra)
            lines.append(f"{key}: unknown key; {_allowed(error)}")
        else:
            lines.append(f"{key} = {error.instance!r}: {_allowed(error)}")
    raise ConfigError("invalid configuration:\n  " + "\n  ".join(dict.fromkeys(lines)))
