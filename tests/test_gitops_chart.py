"""The chart, rendered as Argo CD renders it, is safe to sync: hooks Argo CD maps, sync waves that
put the Felix settings before the ApplicationLayer, and partial Felix/Service manifests that are
server-side applied and never pruned or deleted.

Every shipped profile is rendered as it is, and (when it has a Calico part) once more in
`patch-mode: gitops`, the mode meant for Argo CD. Checks that need a resource the profile does
not render are not run for it; the variants that must render it fail when it is missing.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from conftest import VALUES
from flowlogs.errors import ProfileError
from flowlogs.generate import plan
from flowlogs.helm import EmbeddedHelm
from flowlogs.names import PROFILES_DIR
from flowlogs.profile import find_profiles

# helm.md (Argo CD v3.5.1), "Helm Hooks": the Helm hooks Argo CD maps onto its own.
ARGO_MAPPED_HELM_HOOKS = {
    "pre-install",
    "pre-upgrade",
    "post-install",
    "post-upgrade",
    "pre-delete",
    "post-delete",
    "crd-install",
}
PARTIAL_OPTIONS = {"ServerSideApply=true", "Prune=false", "Delete=false"}


def _variants() -> list[tuple[str, str]]:
    variants = []
    for path in find_profiles(VALUES):
        text = path.read_text(encoding="utf-8")
        variants.append((path.stem, text))
        data = yaml.safe_load(text) or {}
        if isinstance(data.get("calico"), dict) and data["calico"].get("patch-mode") != "gitops":
            data["calico"]["patch-mode"] = "gitops"
            variants.append((f"{path.stem}-gitops", yaml.safe_dump(data, sort_keys=False)))
    return variants


VARIANTS = _variants()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, list[dict[str, Any]] | str]:
    """Each variant's rendered documents, or the reason it could not be compiled."""
    results: dict[str, list[dict[str, Any]] | str] = {}
    engine = EmbeddedHelm()
    for name, text in VARIANTS:
        root = tmp_path_factory.mktemp(name)
        (root / "values").mkdir()
        (root / "values" / f"{name}.yaml").write_text(text, encoding="utf-8")
        try:
            built = plan(root / "values", root / "chart")
        except ProfileError as error:
            results[name] = f"does not compile: {error}"
            continue
        for relative, text in built.chart_files.items():
            (root / "chart" / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / "chart" / relative).write_text(text, encoding="utf-8")
        values = yaml.safe_load((root / "chart" / PROFILES_DIR / name / "values.yaml").read_text()) or {}
        manifests = engine.template(root / "chart", values, release_name="flowlogs", namespace="flowlogs-system")
        results[name] = [yaml.safe_load(m.text) for m in manifests]
    return results


def documents(rendered, name: str) -> list[dict[str, Any]]:
    result = rendered[name]
    if isinstance(result, str):
        pytest.skip(f"{name} {result}")
    return result


def annotations(document: dict[str, Any]) -> dict[str, str]:
    return (document.get("metadata") or {}).get("annotations") or {}


def is_hook(document: dict[str, Any]) -> bool:
    return "helm.sh/hook" in annotations(document) or "argocd.argoproj.io/hook" in annotations(document)


def wave(document: dict[str, Any]) -> int:
    return int(annotations(document).get("argocd.argoproj.io/sync-wave", "0"))


def sync_options(document: dict[str, Any]) -> set[str]:
    return {o.strip() for o in annotations(document).get("argocd.argoproj.io/sync-options", "").split(",") if o.strip()}


NAMES = [name for name, _ in VARIANTS]


def _patch_mode(text: str) -> str | None:
    calico = (yaml.safe_load(text) or {}).get("calico")
    return calico.get("patch-mode", "job") if isinstance(calico, dict) else None


# Which variants must render what: the checks below fail (never skip) when it is missing.
JOB_MODE = [name for name, text in VARIANTS if _patch_mode(text) == "job"]
GITOPS_MODE = [name for name, text in VARIANTS if _patch_mode(text) == "gitops"]


@pytest.mark.parametrize("name", NAMES)
def test_only_helm_hooks_argo_cd_maps(rendered, name):
    for document in documents(rendered, name):
        hooks = {h.strip() for h in annotations(document).get("helm.sh/hook", "").split(",") if h.strip()}
        assert hooks <= ARGO_MAPPED_HELM_HOOKS, (document["kind"], document["metadata"]["name"], hooks)


@pytest.mark.parametrize("name", NAMES)
def test_helm_hooks_are_not_shadowed_by_argo_cd_hooks(rendered, name):
    """ "If you define any Argo CD hooks, all Helm hooks will be ignored" (helm.md): one kind per chart."""
    docs = documents(rendered, name)
    argo = [d for d in docs if "argocd.argoproj.io/hook" in annotations(d)]
    helm_only = [
        d["metadata"]["name"]
        for d in docs
        if "helm.sh/hook" in annotations(d) and "argocd.argoproj.io/hook" not in annotations(d)
    ]
    assert not (argo and helm_only), helm_only


@pytest.mark.parametrize("name", JOB_MODE)
def test_named_hooks_are_recreated_on_every_sync(rendered, name):
    """Argo CD applies hooks with `kubectl apply`: a named hook only reruns with before-hook-creation."""
    hooks = [d for d in documents(rendered, name) if "helm.sh/hook" in annotations(d) and d["kind"] in ("Job", "Pod")]
    assert hooks, f"{name} (patch-mode: job) renders no hook Job"
    for document in hooks:
        policy = annotations(document).get("helm.sh/hook-delete-policy", "") + annotations(document).get(
            "argocd.argoproj.io/hook-delete-policy", ""
        )
        assert "before-hook-creation" in policy or "BeforeHookCreation" in policy, document["metadata"]["name"]


@pytest.mark.parametrize("name", GITOPS_MODE)
def test_felix_settings_sync_before_the_application_layer(rendered, name):
    docs = [d for d in documents(rendered, name) if not is_hook(d)]
    felix = [d for d in docs if d["kind"] == "FelixConfiguration"]
    layer = [d for d in docs if d["kind"] == "ApplicationLayer"]
    assert layer, f"{name} (patch-mode: gitops) must render an ApplicationLayer"
    # no Felix manifest when the profile sets only fields the operator owns (policySyncPathPrefix):
    # gitops mode leaves them to the operator (tests/test_calico_live.py shows why on a real server)
    if felix:
        assert max(wave(d) for d in felix) < min(wave(d) for d in layer)


@pytest.mark.parametrize("name", GITOPS_MODE)
def test_partial_manifests_are_server_side_applied_and_never_pruned_or_deleted(rendered, name):
    docs = [d for d in documents(rendered, name) if not is_hook(d)]
    partial = [
        d
        for d in docs
        if d["kind"] == "FelixConfiguration" or (d["kind"] == "Service" and "projectcalico.org/l7-logging" in str(d))
    ]
    assert partial, f"{name} (patch-mode: gitops) renders no partial Felix/Service manifest"
    for document in partial:
        assert PARTIAL_OPTIONS <= sync_options(document), (document["kind"], document["metadata"]["name"])
        if document["kind"] == "FelixConfiguration":
            assert document["metadata"]["name"] == "default"


# How Argo CD v3.5.1 orders a sync (argo-cd gitops-engine/pkg/sync): sync_phase.go syncPhases (a
# non-hook is synced in Sync), hook/hook.go Types (Helm hooks are ignored when an Argo CD hook is
# given), hook/helm/type.go (the Helm hooks it maps), syncwaves/waves.go Wave (sync-wave, else
# Helm's hook-weight, else 0), sync_tasks.go Less (phase, then wave). A wave's hooks must complete
# and its resources be healthy before the next wave starts (sync_context.go Sync).
SYNC_PHASE_ORDER = {"PreSync": -1, "Sync": 0, "PostSync": 1, "SyncFail": 2}
HELM_HOOK_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
}


def sync_slots(document: dict[str, Any]) -> set[tuple[int, int]]:
    """The (phase order, wave) slots Argo CD syncs a document in (none: not synced)."""
    marks = annotations(document)
    argo = [t.strip() for t in marks.get("argocd.argoproj.io/hook", "").split(",") if t.strip()]
    helm = [
        HELM_HOOK_PHASES[t.strip()] for t in marks.get("helm.sh/hook", "").split(",") if t.strip() in HELM_HOOK_PHASES
    ]
    phases = {t for t in (argo or helm) if t in SYNC_PHASE_ORDER} if is_hook(document) else {"Sync"}
    text = marks.get("argocd.argoproj.io/sync-wave", marks.get("helm.sh/hook-weight", "0"))
    return {(SYNC_PHASE_ORDER[phase], int(text)) for phase in phases}


@pytest.mark.parametrize("name", GITOPS_MODE)
def test_selections_wait_for_the_wait_hook_which_waits_for_the_application_layer(rendered, name):
    """Argo CD syncs the selections only after the wait hook completed (the operator's rollouts are
    done), and starts the hook only after the ApplicationLayer, its script and its rights are applied."""
    docs = documents(rendered, name)
    selections = [d for d in docs if "Prune=false" in sync_options(d) and d["kind"] != "FelixConfiguration"]
    assert selections, f"{name} (patch-mode: gitops) selects nothing"
    (layer,) = [d for d in docs if d["kind"] == "ApplicationLayer"]
    (job,) = [d for d in docs if d["kind"] == "Job"]
    (script,) = [d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == job["metadata"]["name"]]
    rights = [
        d for d in docs if d["kind"] in ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    ]
    assert {d["metadata"]["name"] for d in rights} == {job["metadata"]["name"]}
    (slot,) = sync_slots(job)
    assert slot == (SYNC_PHASE_ORDER["Sync"], 1)
    assert sync_slots(script) == {slot}  # its hook ConfigMap: created with it (kind order: ConfigMap first)
    assert all(max(sync_slots(d)) < slot for d in rights + [layer])
    assert all(min(sync_slots(d)) > slot for d in selections)
    # a named hook reruns on every sync only with BeforeHookCreation (Argo CD applies hooks with kubectl apply)
    assert "BeforeHookCreation" in annotations(job)["argocd.argoproj.io/hook-delete-policy"].split(",")


def test_some_shipped_profile_exercises_the_argo_cd_path(rendered):
    """The checks above are not all skipped: a gitops-mode variant renders Felix before the ApplicationLayer."""
    gitops = {name: docs for name, docs in rendered.items() if name.endswith("-gitops") and not isinstance(docs, str)}
    if not gitops:
        pytest.skip("no shipped profile has a Calico part that compiles in patch-mode gitops")
    kinds = [{d["kind"] for d in docs if not is_hook(d)} for docs in gitops.values()]
    assert any({"FelixConfiguration", "ApplicationLayer"} <= k for k in kinds), kinds
