"""The seam between the core and the products it writes flow-log configuration for.

A product (Cilium's Hubble exporter, Calico Enterprise L7 logs, ...) is one folder with one
`Product` object: the schema of its profile section, its compiler, its chart values and
templates, and what the generate summary, the chart README and the fleet file need from it.
The core iterates over `registry.PRODUCTS` and never names a product.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from .errors import Diagnostics
    from .kubectl import ObjectRef, Selection
    from .profile import Node
    from .starter import Starter
    from .values_model import ChartValue, Section


class CompiledPart(ABC):
    """One product's part of a compiled profile."""

    version: str
    values: dict[str, Any]  # the product's values of flowlogs' chart (under the product's key)


@dataclass(frozen=True)
class Override:
    """A per-cluster override of the fleet file: the key, the product part it needs and the chart value it sets."""

    key: str
    part: str  # the product's key
    element_key: str  # the ApplicationSet list element key (camelCase, Go-template friendly)
    chart_value: str | None  # Helm parameter; None when the override is not a chart value
    force_string: bool  # Helm --set-string (names); booleans and numbers keep their type
    schema: Mapping[str, Any] | None = None  # the fleet file's JSON Schema of the value
    aliases: tuple[str, ...] = ()  # other spellings people write, for "did you mean"


@dataclass(frozen=True)
class Command:
    """One `flowlogs` subcommand, as the command table lists it: its module is imported only when it runs.

    The module defines `configure(parser)`, which adds the subcommand's arguments, and `run(args)`,
    which returns the exit code; a product's command gets a `ProfileLoader` too: `run(args, load)`.
    """

    name: str
    module: str  # e.g. "flowlogs.commands.generate"
    summary: str  # one line, for `flowlogs --help` and the subcommand's description
    example: str  # shown at the end of its --help (lines of commands, with # comments)


class ProfileView(Protocol):
    """What a product command sees of a compiled profile (the core's CompiledProfile)."""

    @property
    def name(self) -> str: ...

    @property
    def source(self) -> str: ...

    @property
    def parts(self) -> dict[str, CompiledPart]: ...

    @property
    def root(self) -> Node | None: ...

    def products(self) -> list[tuple[Product, CompiledPart]]: ...


def package_folder(package: str, folder: str) -> Traversable:
    """A folder shipped in `package` (chart files, fragments). importlib.resources is imported when
    files are read, not when the products are named (`flowlogs --help` names them)."""
    from importlib import resources

    return resources.files(package) / folder


# A profile by name (in the profile directory) or path, compiled in memory; ProfileError on errors.
ProfileLoader = Callable[[str, Path], ProfileView]


@dataclass(frozen=True)
class ImportedSection:
    """A profile section made from an existing upstream configuration (`flowlogs import`)."""

    section: dict[str, Any]  # the profile words
    form: str  # what the file was, e.g. "ConfigMap"
    notes: tuple[str, ...] = ()  # what was kept as raw upstream fields, left out, or assumed
    # A setting of the file is not in the profile (a note says which): not the same configuration.
    left_out: bool = False


@dataclass(frozen=True)
class GitopsFile:
    """A file a product adds to gitops/ (e.g. an argocd-cm patch)."""

    name: str  # path in gitops/
    sources: tuple[str, ...]  # the files it is generated from
    apply_hint: str  # how to use it, under the generated-file mark
    text: str


@dataclass(frozen=True)
class GitopsNote:
    """Something to know about deploying a part through Argo CD."""

    message: str
    hint: str
    chosen: bool  # the profile states the setting the note is about: it is not said again at generate


@dataclass(frozen=True)
class Expected:
    """One field of a cluster object as a compiled profile wants it (`flowlogs status`)."""

    target: ObjectRef | Selection  # one named object, or every object a selector matches
    path: tuple[str, ...]  # keys from the object's root to the field
    value: Any  # the wanted value, in the form `read` gives (the rendered manifest's value)
    # The cluster's value into that form (e.g. YAML text parsed); ValueError: unreadable.
    read: Callable[[Any], Any] | None = None
    any_value: bool = False  # in effect when set to any value (a field another owner keeps, e.g. the operator's)
    hint: str = ""  # what to do when it drifted


@dataclass(frozen=True)
class ProfileFile:
    """A file written beside a profile's compiled values (e.g. values for the product's own chart)."""

    name: str  # file name in chart/profiles/<profile>/
    header: str  # first comment lines after the generated mark; {path} is the file's chart path
    data: Any


class Product(ABC):
    """Everything the core needs from one product."""

    key: str  # the profile section and the chart values key ("cilium")
    name: str  # as users say it ("Cilium")
    title: str  # what it does, for the chart description ("Cilium Hubble exporter")
    title_in_prose: str  # the same in a sentence ("the Cilium Hubble exporter")
    versions: tuple[str, ...]  # the supported minor versions ("1.18")
    keywords: tuple[str, ...] = ()  # Chart.yaml keywords
    fleet_overrides: tuple[Override, ...] = ()
    starter: Starter | None = None  # its part of `flowlogs init` starter profiles
    # Lists of the section whose items a composed profile must not repeat -> the identifying fields.
    compose_identities: Mapping[tuple[str, ...], tuple[str, ...]] = {}

    @abstractmethod
    def section_schema(self, described: bool = True) -> dict[str, Any]:
        """JSON Schema of the product's profile section. `described=False`: to check profiles only,
        so descriptions may leave out what costs to find (what only every version's tables say)."""

    @abstractmethod
    def upstream_section_aliases(self) -> dict[str, str]:
        """Upstream names of the section people paste at the top of a profile -> the section key."""

    @abstractmethod
    def compile(self, section: Node, diagnostics: Diagnostics) -> CompiledPart:
        """The compiled section; problems go to `diagnostics`."""

    @abstractmethod
    def chart_values(self) -> tuple[list[ChartValue], list[Section]]:
        """The product's values of flowlogs' chart (documented, with their schemas)."""

    def chart_files(self) -> Traversable:
        """The folder whose files are copied into the chart (templates/, files/): `chart/` of the product's package."""
        return package_folder(type(self).__module__.rpartition(".")[0], "chart")

    def fragments(self) -> Traversable:
        """The folder of the product's parts of chart-wide files (`NOTES.txt`, `README.md`), Jinja text."""
        return package_folder(type(self).__module__.rpartition(".")[0], "fragments")

    @abstractmethod
    def summary(self, part: CompiledPart) -> str:
        """One line for `flowlogs generate`."""

    @abstractmethod
    def explain(self, section: Node, part: CompiledPart) -> str:
        """What the part does, in English, with the commands to try it and the compiled output."""

    def storage_note(self, part: CompiledPart, section: Node) -> str | None:
        """What the part needs of log storage, for volume estimates (None when it writes to no store of its own)."""
        return None

    def import_section(self, path: Path, version: str | None) -> ImportedSection | None:
        """The profile section for an existing configuration file of this product, for `version`
        (default: the newest supported); None when the file is not this product's."""
        return None

    def commands(self) -> list[Command]:
        """Subcommands the product adds to `flowlogs` (plain data: `flowlogs --help` imports none of them)."""
        return []

    def label(self, part: CompiledPart) -> str:
        """The part as the chart README's profile table names it ("Cilium 1.18")."""
        return f"{self.name} {part.version}"

    def profile_files(self, part: CompiledPart) -> list[ProfileFile]:
        """Files written beside the profile's compiled values."""
        return []

    def server_side_apply(self, part: CompiledPart) -> bool:
        """True when the part renders partial manifests that Argo CD must apply server-side."""
        return False

    def gitops_notes(self, part: CompiledPart) -> list[GitopsNote]:
        """(message, hint) notes about deploying the part through Argo CD: written into its Application's
        header, and said by `generate` when the fleet file deploys the profile."""
        return []

    def gitops_files(
        self, parts: list[tuple[str, CompiledPart]], argocd_namespace: str, directory: str
    ) -> list[GitopsFile]:
        """Files the product adds to gitops/ for the profiles that have its part ((profile source, part) pairs)."""
        return []

    def regeneration_notes(self, part: CompiledPart | None, committed_values: Path) -> list[tuple[str, str]]:
        """(message, hint) notes about what regenerating changes on a cluster beyond the chart (e.g. what
        Argo CD will not prune), comparing the part with the profile's committed values file."""
        return []

    def shared_resource_warning(self, part: CompiledPart, cluster: str, profile: str) -> tuple[str, str] | None:
        """(message, hint) when a fleet cluster deploys partial manifests of objects other Applications may own."""
        return None

    def check_cluster(
        self, part: CompiledPart, profile: str, cluster: str, overrides: Node, diagnostics: Diagnostics
    ) -> list[str]:
        """Checks of one fleet cluster's overrides for this part; lines for the fleet note (`fleet_note`)."""
        return []

    def fleet_note(self, lines: list[str]) -> tuple[str, str] | None:
        """(message, hint) summing up the lines `check_cluster` gave for the fleet's clusters."""
        return None

    def expected_state(self, part: CompiledPart, manifests: Sequence[Mapping[str, Any]]) -> list[Expected]:
        """The fields of cluster objects that show the part in effect (`flowlogs status`), from the
        profile's rendered manifests (and, for objects another chart renders, the product's tables)."""
        return []
