"""`flowlogs init [NAME]`: a commented starter profile, from flags or a few questions."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import UserError
from ..products import Product
from ..registry import PRODUCTS
from ..starter import starter_profile
from . import EXIT_OK, add_product_versions, product_versions


def starter_products() -> list[Product]:
    """The products that have a part in starter profiles, in the registry's order."""
    return [product for product in PRODUCTS if product.starter is not None]


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", help="the profile's name: values/NAME.yaml (default: my-profile, or asked)")
    parser.add_argument("--print", action="store_true", help="print the profile instead of writing it")
    parser.add_argument(
        "--interactive", action="store_true", help="ask the questions even when input is not a terminal"
    )
    for product in starter_products():
        assert product.starter is not None
        add_product_versions(parser, "include {title} ({versions})", [product])
        for question in product.starter.questions:
            kind: dict[str, Any] = (
                {"action": "append", "metavar": "A,B"} if question.kind == "list" else {"action": "store_true"}
            )
            parser.add_argument(f"--{question.key}", dest=f"starter_{question.key}", help=question.help, **kind)


def run(args: argparse.Namespace) -> int:
    from ..init_profile import ask_on_terminal, chosen_from_flags, write_starter

    answers = {key.removeprefix("starter_"): value for key, value in vars(args).items() if key.startswith("starter_")}
    products = starter_products()
    chosen = chosen_from_flags(products, product_versions(args), answers)
    name = args.name
    if not chosen:
        if not (args.interactive or sys.stdin.isatty()):
            keys = " and/or ".join(f"--{product.key} VERSION" for product in products)
            raise UserError(f"give {keys} (see flowlogs init --help), or run on a terminal to be asked")
        asked_name, chosen = ask_on_terminal(products, sys.stdin, sys.stderr)
        name = name or asked_name
    name = "my-profile" if name is None else name  # `init ""` is refused as the name it is
    text = starter_profile(name, chosen, args.values_dir)
    if args.print:
        sys.stdout.write(text)
        return EXIT_OK
    path = write_starter(name, text, args.values_dir)
    print(f"wrote {path}: edit it, then `flowlogs render {name}`, `flowlogs validate {name}` and `flowlogs generate`")
    return EXIT_OK
