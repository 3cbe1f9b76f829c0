"""What the Kubernetes API server refuses that no JSON schema says, checked offline.

The OpenAPI schemas (and kubeconform) know types and required fields; the API server's own
validation code knows more: names that must be DNS names, label values, quantities, a Job's
restart policy, a volume mount that names no volume, RBAC references, a rule with no verbs.
These rules are that code's, for the kinds flowlogs renders, taken from Kubernetes v1.36.2
(kubernetes/kubernetes tag v1.36.2; the same files are in ../shared/tools/kube-apiserver's
source tarball, whose server tests/test_server_rules.py asks for each rule's verdict):

- K8S_NAMES: staging/src/k8s.io/apimachinery/pkg/api/validate/content/{dns,kube,path}.go
  (IsDNS1123Label/Subdomain, IsLabelKey/IsQualifiedName, IsLabelValue,
  IsPathSegmentName) and pkg/util/validation/validation.go (IsConfigMapKey);
- object metadata: staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go;
  the name rule of each kind: pkg/apis/core/validation/validation.go (ValidateService,
  ValidateConfigMapName, ...), pkg/apis/apps/validation, pkg/apis/batch/validation,
  pkg/apis/rbac/validation (ValidateRBACName), apiextensions-apiserver's customresource
  validator.go (custom resources: DNS subdomain);
- quantities: staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go (ParseQuantity);
- pod templates: pkg/apis/core/validation/validation.go (ValidatePodTemplateSpec, ValidateVolumes,
  ValidateVolumeMounts, validateResourceRequirements, validateRestartPolicy, ValidateTolerations);
- Jobs: pkg/apis/batch/validation/validation.go (validateJobSpec) and
  pkg/registry/batch/job/strategy.go (the name becomes the pod template's job-name label);
- RBAC: pkg/apis/rbac/validation/validation.go (ValidatePolicyRule, ValidateRoleBinding,
  ValidateRoleBindingSubject) after pkg/apis/rbac/v1/defaults.go (SetDefaults_Subject).

A partial manifest (Argo CD's Validate=false, see partial.py) is merged into a live object by
server-side apply, so the rules that need the whole object (a required field, a volume the live
object may have) are left out for it; every value it does set is checked.
"""

from __future__ import annotations

import decimal
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .documents import json_pointer
from .kubeyaml import go_parse_int
from .partial import is_partial_manifest
from .results import Issue

Path = tuple[str | int, ...]
NameRule = Callable[[str], list[str]]

# --- names (apimachinery pkg/api/validate/content, pkg/util/validation) ----------------------
# Messages are the server's, word for word (RegexError, MaxLenError: util/validation says
# "characters", validate/content says "bytes").

_DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = f"{_DNS1123_LABEL}(\\.{_DNS1123_LABEL})*"
_LABEL_KEY = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = f"({_LABEL_KEY})?"
_CONFIG_MAP_KEY = "[-._a-zA-Z0-9]+"
LABEL_MAX = 63  # DNS1123LabelMaxLength, LabelValueMaxLength, label key name part
SUBDOMAIN_MAX = 253  # DNS1123SubdomainMaxLength
ANNOTATIONS_MAX = 256 * 1024  # objectmeta.go TotalAnnotationSizeLimitB
CONFIG_MAP_MAX = 1024 * 1024  # pkg/apis/core/types.go MaxSecretSize, also ConfigMap's limit
_LABEL_KEY_MESSAGE = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
)


def _regex_error(message: str, regex: str, *examples: str) -> str:
    """RegexError: the message, examples and the regular expression, as Go formats them."""
    shown = "".join((" or " if index else "") + f"'{example}', " for index, example in enumerate(examples))
    return f"{message} (e.g. {shown}regex used for validation is '{regex}')"


def _too_long(value: str, limit: int, unit: str = "characters") -> list[str]:
    return [f"must be no more than {limit} {unit}"] if len(value.encode()) > limit else []


def dns1123_label(value: str) -> list[str]:
    errors = _too_long(value, LABEL_MAX)
    if not re.fullmatch(_DNS1123_LABEL, value):
        if re.fullmatch(_DNS1123_SUBDOMAIN, value):
            errors.append("must not contain dots")
        else:
            message = (
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start "
                "and end with an alphanumeric character"
            )
            errors.append(_regex_error(message, _DNS1123_LABEL, "my-name", "123-abc"))
    return errors


def dns1123_subdomain(value: str) -> list[str]:
    errors = _too_long(value, SUBDOMAIN_MAX)
    if not re.fullmatch(_DNS1123_SUBDOMAIN, value):
        message = (
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
            "and must start and end with an alphanumeric character"
        )
        errors.append(_regex_error(message, _DNS1123_SUBDOMAIN, "example.com"))
    return errors


def path_segment_name(value: str) -> list[str]:
    """IsPathSegmentName: what RBAC objects and roleRef names must be (no more than that)."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


def qualified_name(value: str) -> list[str]:
    """IsQualifiedName (= IsLabelKey): an optional DNS subdomain prefix and '/', then a name."""
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a valid label key "
            + _regex_error(_LABEL_KEY_MESSAGE, _LABEL_KEY, "MyName", "my.name", "123-abc")
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    errors: list[str] = []
    name = parts[-1]
    if len(parts) == 2:
        prefix = parts[0]
        errors += (
            ["prefix part must be non-empty"] if not prefix else [f"prefix part {m}" for m in dns1123_subdomain(prefix)]
        )
    if not name:
        errors.append("name part must be non-empty")
    else:
        errors += [f"name part {m}" for m in _too_long(name, LABEL_MAX, "bytes")]
    if not re.fullmatch(_LABEL_KEY, name):
        errors.append("name part " + _regex_error(_LABEL_KEY_MESSAGE, _LABEL_KEY, "MyName", "my.name", "123-abc"))
    return errors


def label_value(value: str) -> list[str]:
    errors = _too_long(value, LABEL_MAX, "bytes")
    if not re.fullmatch(_LABEL_VALUE, value):
        message = "a valid label must be an empty string or " + _LABEL_KEY_MESSAGE.replace("must consist", "consist")
        errors.append(_regex_error(message, _LABEL_VALUE, "MyValue", "my_value", "12345"))
    return errors


def config_map_key(value: str) -> list[str]:
    errors = _too_long(value, SUBDOMAIN_MAX)
    if not re.fullmatch(_CONFIG_MAP_KEY, value):
        message = "a valid config key must consist of alphanumeric characters, '-', '_' or '.'"
        errors.append(_regex_error(message, _CONFIG_MAP_KEY, "key.name", "KEY_NAME", "key-name"))
    if value in (".", ".."):
        errors.append(f"must not be '{value}'")
    elif value.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def _job_name(value: str) -> list[str]:
    # The Job strategy copies the name into the pod template's job-name labels (strategy.go
    # generateSelector), whose values are then validated as label values: at most 63 characters.
    return dns1123_subdomain(value) + label_value(value)


# The name rule of each built-in kind (ValidateObjectMeta's nameFn) that is not a DNS subdomain; a
# ConfigMap, Secret, ServiceAccount, Deployment, DaemonSet, ReplicaSet or NetworkPolicy name is one, as is
# a custom resource's (apiextensions-apiserver customresource/validator.go: NameIsDNSSubdomain).
NAME_RULES: dict[tuple[str, str], NameRule] = {
    ("", "Namespace"): dns1123_label,
    # ValidateService: DNS-1035 unless RelaxedServiceNameValidation, on by default in v1.36 (the
    # real server accepts "1frontend"): a DNS-1123 label.
    ("", "Service"): dns1123_label,
    ("apps", "StatefulSet"): dns1123_label,  # apps/validation ValidateStatefulSetName
    ("batch", "Job"): _job_name,
    ("rbac.authorization.k8s.io", "Role"): path_segment_name,
    ("rbac.authorization.k8s.io", "ClusterRole"): path_segment_name,
    ("rbac.authorization.k8s.io", "RoleBinding"): path_segment_name,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): path_segment_name,
}
POD_TEMPLATE_KINDS = frozenset(
    {("apps", "Deployment"), ("apps", "DaemonSet"), ("apps", "ReplicaSet"), ("apps", "StatefulSet"), ("batch", "Job")}
)
RBAC_GROUP = "rbac.authorization.k8s.io"

# --- quantities (apimachinery pkg/api/resource/quantity.go, suffix.go) -----------------------

_QUANTITY_RE = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*)([-+]?[0-9]*)")
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
QUANTITY_FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"


def parse_quantity(text: str) -> Decimal:
    """ParseQuantity's value, exactly; ValueError with the server's message when it refuses it.

    Go reads a sign, digits (none read as 0), an optional fraction, then suffix letters from
    "eEinumkKMGTP", an optional sign and digits; the suffix must be a decimal or binary SI
    suffix or an exponent (parseQuantityString, suffixHandler.interpret: an exponent is parsed as
    an int64, refused beyond it, then cut to an int32). A Decimal keeps the exponent apart from the
    digits, so "1e2147483647" costs no more to read and compare than "1"."""
    text = text.strip()  # UnmarshalJSON trims spaces
    match = _QUANTITY_RE.fullmatch(text)
    if not text or match is None:
        raise ValueError(QUANTITY_FORMAT_ERROR)
    sign, whole, fraction, letters, exponent_digits = match.groups()
    suffix = letters + exponent_digits
    exact = decimal.Context(prec=len(text) + 20, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])
    number = Decimal(f"{whole or '0'}.{fraction or '0'}")
    if suffix in _DECIMAL_SUFFIXES:
        value = number.scaleb(_DECIMAL_SUFFIXES[suffix], exact)
    elif suffix in _BINARY_SUFFIXES:
        value = exact.multiply(number, 2 ** _BINARY_SUFFIXES[suffix])
    elif len(suffix) > 1 and suffix[0] in "eE" and (exponent := go_parse_int(suffix[1:], base=10)) is not None:
        value = number.scaleb((exponent + 2**31) % 2**32 - 2**31, exact)  # Go's int32(parsed)
    else:
        raise ValueError("unable to parse quantity's suffix")
    return value.copy_negate() if sign == "-" else value


def _quantity_text(value: Any) -> str | None:
    """A quantity as the API server reads it from JSON (a string or a number); None: another type (the schema's)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) else str(int(value))
    return value if isinstance(value, str) else None


# --- the rules -------------------------------------------------------------------------------


class _Checker:
    def __init__(self, obj: Mapping[str, Any]) -> None:
        self.obj = obj
        self.partial = is_partial_manifest(obj)
        self.issues: list[Issue] = []

    def add(self, path: Path, message: str) -> None:
        self.issues.append(Issue(json_pointer(path), message))

    def invalid(self, path: Path, value: Any, message: str) -> None:
        # field.Error's ErrorBody: a string quoted, a number as is, anything else as compact JSON.
        self.add(path, f"Invalid value: {json.dumps(value, separators=(',', ':'), ensure_ascii=False)}: {message}")

    def required(self, path: Path) -> None:
        if not self.partial:
            self.add(path, "Required value")

    def not_supported(self, path: Path, value: Any, supported: tuple[str, ...]) -> None:
        listed = ", ".join(f'"{option}"' for option in supported)
        self.add(path, f'Unsupported value: "{value}": supported values: {listed}')

    def check_name(self, path: Path, value: Any, rule: NameRule) -> None:
        if isinstance(value, str) and value:
            for message in rule(value):
                self.invalid(path, value, message)

    # metadata ---------------------------------------------------------------------------

    def metadata(self, path: Path, metadata: Any, name_rule: NameRule | None) -> None:
        if not isinstance(metadata, Mapping):
            return
        if name_rule is not None:
            self.check_name((*path, "name"), metadata.get("name"), name_rule)
            self.check_name((*path, "namespace"), metadata.get("namespace"), dns1123_label)
        self.labels((*path, "labels"), metadata.get("labels"))
        self.annotations((*path, "annotations"), metadata.get("annotations"))

    def labels(self, path: Path, labels: Any) -> None:
        """ValidateLabels: keys are qualified names, values label values."""
        for key, value in _string_items(labels):
            for message in qualified_name(key):
                self.invalid((*path, key), key, message)
            self.check_name((*path, key), value, label_value)

    def annotations(self, path: Path, annotations: Any) -> None:
        """ValidateAnnotations: keys (lower-cased) are qualified names; all of them at most 256 KiB."""
        items = _string_items(annotations)
        for key, _ in items:
            for message in qualified_name(key.lower()):
                self.invalid((*path, key), key, message)
        if sum(len(key) + len(value) for key, value in items) > ANNOTATIONS_MAX:
            self.add(path, f"Too long: may not be more than {ANNOTATIONS_MAX} bytes")

    # pod templates ------------------------------------------------------------------------

    def pod_template(self, path: Path, template: Any) -> None:
        if not isinstance(template, Mapping):
            return
        self.metadata((*path, "metadata"), template.get("metadata"), None)
        spec = template.get("spec")
        if not isinstance(spec, Mapping):
            return
        spec_path = (*path, "spec")
        volumes = self.volumes((*spec_path, "volumes"), spec.get("volumes"))
        for field in ("containers", "initContainers"):
            self.containers((*spec_path, field), spec.get(field), volumes)
        restart = spec.get("restartPolicy")
        if isinstance(restart, str) and restart not in ("Always", "OnFailure", "Never"):
            self.not_supported((*spec_path, "restartPolicy"), restart, ("Always", "OnFailure", "Never"))
        self.labels((*spec_path, "nodeSelector"), spec.get("nodeSelector"))
        self.check_name((*spec_path, "serviceAccountName"), spec.get("serviceAccountName"), dns1123_subdomain)
        for index, toleration in _mappings(spec.get("tolerations")):
            self.toleration((*spec_path, "tolerations", index), toleration)

    def volumes(self, path: Path, volumes: Any) -> set[str] | None:
        """The volume names; None when a partial manifest's live object may have more."""
        names: set[str] = set()
        for index, volume in _mappings(volumes):
            name = volume.get("name")
            if not isinstance(name, str):
                continue
            self.check_name((*path, index, "name"), name, dns1123_label)
            if name in names:
                self.add((*path, index, "name"), f'Duplicate value: "{name}"')
            names.add(name)
        return None if self.partial else names

    def containers(self, path: Path, containers: Any, volumes: set[str] | None) -> None:
        names: set[str] = set()
        for index, container in _mappings(containers):
            here = (*path, index)
            name = container.get("name")
            self.check_name((*here, "name"), name, dns1123_label)
            if isinstance(name, str):
                if name in names:
                    self.add((*here, "name"), f'Duplicate value: "{name}"')
                names.add(name)
            self.volume_mounts((*here, "volumeMounts"), container.get("volumeMounts"), volumes)
            self.resources((*here, "resources"), container.get("resources"))

    def volume_mounts(self, path: Path, mounts: Any, volumes: set[str] | None) -> None:
        mount_paths: set[str] = set()
        for index, mount in _mappings(mounts):
            name, mount_path = mount.get("name"), mount.get("mountPath")
            if volumes is not None and isinstance(name, str) and name not in volumes:
                self.add((*path, index, "name"), f'Not found: "{name}"')
            if isinstance(mount_path, str):
                if mount_path in mount_paths:
                    self.invalid((*path, index, "mountPath"), mount_path, "must be unique")
                mount_paths.add(mount_path)

    def resources(self, path: Path, resources: Any) -> None:
        if not isinstance(resources, Mapping):
            return
        parsed: dict[str, dict[str, Decimal]] = {}
        for bag in ("limits", "requests"):
            values = resources.get(bag)
            parsed[bag] = {}
            for name, raw in values.items() if isinstance(values, Mapping) else ():
                here = (*path, bag, name)
                if (
                    "/" not in name
                    and name not in ("cpu", "memory", "ephemeral-storage")
                    and not name.startswith("hugepages-")
                ):
                    self.invalid(here, name, "must be a standard resource for containers")
                text = _quantity_text(raw)
                if text is None:
                    continue
                try:
                    value = parse_quantity(text)
                except ValueError as error:
                    self.invalid(here, text, str(error))
                    continue
                if value < 0:
                    self.invalid(here, text, "must be greater than or equal to 0")
                parsed[bag][name] = value
        for name, request in parsed["requests"].items():
            limit = parsed["limits"].get(name)
            if limit is not None and request > limit:
                raw_limit = _quantity_text(resources["limits"][name])
                self.invalid(
                    (*path, "requests"),
                    _quantity_text(resources["requests"][name]),
                    f"must be less than or equal to {name} limit of {raw_limit}",
                )

    def toleration(self, path: Path, toleration: Mapping[str, Any]) -> None:
        key, operator, value = (toleration.get(field) or "" for field in ("key", "operator", "value"))
        self.check_name((*path, "key"), key, qualified_name)
        if not key and operator != "Exists":
            self.invalid(
                (*path, "operator"),
                operator,
                'operator must be Exists when `key` is empty, which means "match all values and all keys"',
            )
        if toleration.get("tolerationSeconds") is not None and toleration.get("effect") != "NoExecute":
            self.invalid(
                (*path, "effect"),
                toleration.get("effect") or "",
                "effect must be 'NoExecute' when `tolerationSeconds` is set",
            )
        if operator in ("Equal", "") and isinstance(value, str):
            self.check_name((*path, "operator"), value, label_value)
        elif operator == "Exists" and value:
            self.invalid((*path, "operator"), value, "value must be empty when `operator` is 'Exists'")

    # kinds ----------------------------------------------------------------------------------

    def job(self, spec: Any) -> None:
        if not isinstance(spec, Mapping):
            return
        for field in ("parallelism", "completions", "activeDeadlineSeconds", "backoffLimit", "ttlSecondsAfterFinished"):
            value = spec.get(field)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                self.invalid(("spec", field), value, "must be greater than or equal to 0")
        template = spec.get("template")
        pod = template.get("spec") if isinstance(template, Mapping) else None
        restart = pod.get("restartPolicy") if isinstance(pod, Mapping) else None
        path = ("spec", "template", "spec", "restartPolicy")
        # Unset is defaulted to Always, which a Job may not have (validateJobSpec).
        if restart in (None, "", "Always"):
            if restart is not None or not self.partial:
                self.add(path, 'Required value: valid values: "OnFailure", "Never"')
        elif isinstance(restart, str) and restart not in ("OnFailure", "Never"):
            self.not_supported(path, restart, ("OnFailure", "Never"))

    def config_map(self) -> None:
        total = 0
        for bag in ("data", "binaryData"):
            for key, value in _string_items(self.obj.get(bag)):
                for message in config_map_key(key):
                    self.invalid((bag, key), key, message)
                total += len(value)
        data, binary = self.obj.get("data"), self.obj.get("binaryData")
        if isinstance(data, Mapping) and isinstance(binary, Mapping):
            for key in sorted(data.keys() & binary.keys()):
                self.invalid(("data", key), key, "duplicate of key present in binaryData")
        if total > CONFIG_MAP_MAX:
            self.add((), f"Too long: may not be more than {CONFIG_MAP_MAX} bytes")

    def policy_rules(self, namespaced: bool) -> None:
        for index, rule in _mappings(self.obj.get("rules")):
            path = ("rules", index)
            if not rule.get("verbs"):
                self.add((*path, "verbs"), "Required value: verbs must contain at least one value")
            urls = rule.get("nonResourceURLs")
            if urls:
                if namespaced:
                    self.invalid((*path, "nonResourceURLs"), urls, "namespaced rules cannot apply to non-resource URLs")
                if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
                    self.invalid(
                        (*path, "nonResourceURLs"),
                        urls,
                        "rules cannot apply to both regular resources and non-resource URLs",
                    )
                continue
            if not rule.get("apiGroups"):
                self.add((*path, "apiGroups"), "Required value: resource rules must supply at least one api group")
            if not rule.get("resources"):
                self.add((*path, "resources"), "Required value: resource rules must supply at least one resource")

    def role_binding(self, namespaced: bool) -> None:
        ref = self.obj.get("roleRef")
        if isinstance(ref, Mapping):
            group = ref.get("apiGroup", "")
            if group != RBAC_GROUP:
                self.not_supported(("roleRef", "apiGroup"), group, (RBAC_GROUP,))
            kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
            if ref.get("kind", "") not in kinds:
                self.not_supported(("roleRef", "kind"), ref.get("kind", ""), kinds)
            name = ref.get("name")
            if not name:
                self.required(("roleRef", "name"))
            self.check_name(("roleRef", "name"), name, path_segment_name)
        for index, subject in _mappings(self.obj.get("subjects")):
            self.subject(("subjects", index), subject, namespaced)

    def subject(self, path: Path, subject: Mapping[str, Any], namespaced: bool) -> None:
        kind, name = subject.get("kind", ""), subject.get("name")
        if not name:
            self.required((*path, "name"))
        # v1 defaulting (SetDefaults_Subject): User and Group get the RBAC group when none is set.
        group = subject.get("apiGroup") or (RBAC_GROUP if kind in ("User", "Group") else "")
        if kind == "ServiceAccount":
            self.check_name((*path, "name"), name, dns1123_subdomain)
            if group:
                self.not_supported((*path, "apiGroup"), group, ("",))
            if not namespaced and not subject.get("namespace"):
                self.add((*path, "namespace"), "Required value")
        elif kind in ("User", "Group"):
            if group != RBAC_GROUP:
                self.not_supported((*path, "apiGroup"), group, (RBAC_GROUP,))
        else:
            self.not_supported((*path, "kind"), kind, ("ServiceAccount", "User", "Group"))


def server_rule_issues(obj: Mapping[str, Any]) -> tuple[Issue, ...]:
    """Every problem the API server (v1.36) would refuse `obj` for, beyond its JSON schema."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return ()
    group = api_version.rpartition("/")[0]
    checker = _Checker(obj)
    checker.metadata(("metadata",), obj.get("metadata"), NAME_RULES.get((group, kind), dns1123_subdomain))
    if (group, kind) in POD_TEMPLATE_KINDS:
        spec = obj.get("spec")
        checker.pod_template(("spec", "template"), spec.get("template") if isinstance(spec, Mapping) else None)
    for rule in _KIND_RULES.get((group, kind), ()):
        rule(checker)
    return tuple(dict.fromkeys(checker.issues))


_KIND_RULES: dict[tuple[str, str], tuple[Callable[[_Checker], None], ...]] = {
    ("", "ConfigMap"): (_Checker.config_map,),
    ("batch", "Job"): (lambda checker: checker.job(checker.obj.get("spec")),),
    (RBAC_GROUP, "Role"): (lambda checker: checker.policy_rules(namespaced=True),),
    (RBAC_GROUP, "ClusterRole"): (lambda checker: checker.policy_rules(namespaced=False),),
    (RBAC_GROUP, "RoleBinding"): (lambda checker: checker.role_binding(namespaced=True),),
    (RBAC_GROUP, "ClusterRoleBinding"): (lambda checker: checker.role_binding(namespaced=False),),
}


def _string_items(mapping: Any) -> list[tuple[str, str]]:
    """The (key, value) pairs of a map of strings (other types are the schema's to report)."""
    if not isinstance(mapping, Mapping):
        return []
    return [(key, value) for key, value in mapping.items() if isinstance(key, str) and isinstance(value, str)]


def _mappings(items: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """The (index, item) of each mapping in a list (other shapes are the schema's to report)."""
    if not isinstance(items, list):
        return []
    return [(index, item) for index, item in enumerate(items) if isinstance(item, Mapping)]
