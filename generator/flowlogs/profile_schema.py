"""The JSON Schema of profile files (what `flowlogs schema` prints).

It is the single description of the profile format: the loader checks profiles against it,
editors complete and check profiles with it, and the docs list its keys. Each product gives
the schema of its section; value checks that depend on a product's version live in its
compiler, which knows the version; the schema only has the shape and the fixed words.
"""

from __future__ import annotations

import functools
from typing import Any

from .names import LABEL_WORDS
from .registry import PRODUCTS

SCHEMA_ID = "https://flowlogs.dev/schemas/profile.schema.json"


def checked_schema(profile: Any) -> dict[str, Any]:
    """What the loader checks `profile` with: the schema without the descriptions that cost to
    write (`Product.section_schema`), with the sections of the products the profile has alone
    (a section it lacks is never checked: its product's schema is not built)."""
    has = frozenset(p.key for p in PRODUCTS if isinstance(profile, dict) and p.key in profile)
    return profile_schema(described=False, sections=has)


@functools.cache
def profile_schema(described: bool = True, sections: frozenset[str] | None = None) -> dict[str, Any]:
    """The schema; `described=False`: without the descriptions that cost to write; `sections`:
    those products' sections alone, any other section accepted as it is (`checked_schema`)."""
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
                "items": {"type": "string", "pattern": f"^{LABEL_WORDS}$"},
                "description": (
                    "Profiles of the same directory merged into this one, in order, before its own sections: lists "
                    "joined, mappings merged; a value set in two files must agree (docs/profiles.md, Composed "
                    "profiles)."
                ),
            },
            **{
                product.key: product.section_schema(described) if sections is None or product.key in sections else True
                for product in PRODUCTS
            },
        },
        "x-upstream-aliases": {
            alias: key for product in PRODUCTS for alias, key in product.upstream_section_aliases().items()
        },
    }
