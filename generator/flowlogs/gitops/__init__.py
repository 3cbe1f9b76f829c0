"""Argo CD manifests for the generated chart: one Application per profile, one ApplicationSet per fleet.

    values/fleet.yaml ──load_fleet──▶ Fleet (settings + clusters, checked against the compiled profiles)
                                        │
                          manifests ──▶ Application / ApplicationSet (plain dicts)
                                        │
                               build ──▶ gitops/ files (relative path -> text), synced like chart/

`flowlogs generate` writes gitops/ next to chart/, `flowlogs check` compares both.
"""
