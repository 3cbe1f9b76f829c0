"""The products flowlogs writes configuration for: the one place that names them.

Their order is the order of the chart's values, the generate summary and the README's parts.
Adding a product is one folder (see docs/architecture.md) and one line here.
"""

from __future__ import annotations

from .calico.product import PRODUCT as CALICO
from .cilium.product import PRODUCT as CILIUM
from .products import Override, Product

PRODUCTS: tuple[Product, ...] = (CILIUM, CALICO)
PRODUCTS_BY_KEY: dict[str, Product] = {product.key: product for product in PRODUCTS}


def fleet_overrides() -> tuple[Override, ...]:
    """Every per-cluster override of the fleet file: each product's on/off switch first, then the products' own."""
    switches = tuple(
        Override(
            product.key,
            product.key,
            f"{product.key}Enabled",
            f"{product.key}.enabled",
            False,
            {
                "type": "boolean",
                "description": (
                    f"Switch the profile's {product.name} part on or off for this cluster ({product.key}.enabled)."
                ),
            },
            (f"{product.key}.enabled",),
        )
        for product in PRODUCTS
    )
    return switches + tuple(override for product in PRODUCTS for override in product.fleet_overrides)
