"""The JSON Schema of profile files (what `flowlogs schema` prints).

It is the single description of the profile format: the loader checks profiles against it,
editors complete and check profiles with it, and the docs list its keys. Each product gives
the schema of its section; value checks that depend on a product's version live in its
compiler, which knows the version; the schema only has the shape and the fixed words.
"""

from __future__ import annotations

import functools
from typing import Any

from .registry import PRODUCTS

SCHEMA_ID = "https://flowlogs.dev/schemas/profile.schema.json"


@functools.cache
def profile_schema(described: bool = True) -> dict[str, Any]:
    """The schema; `described=False`: what the loader checks profiles with (`Product.section_schema`)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "flowlogs profile",
        "description": (
            "A flowlogs profile: which network flow logs a cluster writes, in plain words. `flowlogs generate` "
            "compiles it into the Helm chart."
        ),
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "description": {"type": "string", "description": "What this profile is for (shown in the chart README)."},
            "compose": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "description": (
                    "Profiles of the same directory merged into this one, in order, before its own sections: lists "
                    "joined, mappings merged; a value set in two files must agree (docs/profiles.md, Composed "
                    "profiles)."
                ),
            },
            **{product.key: product.section_schema(described) for product in PRODUCTS},
        },
        "x-upstream-aliases": {
            alias: key for product in PRODUCTS for alias, key in product.upstream_section_aliases().items()
        },
    }
