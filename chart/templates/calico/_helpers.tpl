{{/*
Name prefix of the Calico part's own objects: <fullname>-calico, short enough for every suffix.
*/}}
{{- define "flowlogs.calico.fullname" -}}
{{- printf "%s-calico" (include "flowlogs.fullname" . | trunc 46 | trimSuffix "-") }}
{{- end }}

{{/*
"true" when the Calico part is rendered in patchMode job / gitops; empty otherwise. Every template
asks these instead of repeating the condition.
*/}}
{{- define "flowlogs.calico.jobMode" -}}
{{- if and .Values.calico.enabled (eq .Values.calico.patchMode "job") }}true{{ end }}
{{- end }}

{{- define "flowlogs.calico.gitopsMode" -}}
{{- if and .Values.calico.enabled (eq .Values.calico.patchMode "gitops") }}true{{ end }}
{{- end }}

{{/*
"true" in gitops mode when traffic is selected and calico.job.readyTimeoutSeconds is not 0: an Argo
CD Sync hook Job in the wave between the ApplicationLayer and the selections runs the apply Job's
readiness wait. A resource health check sees only its own object, and the Deployment and
DaemonSet the 3.20 guide waits for belong to the Tigera operator, not to the Application.
*/}}
{{- define "flowlogs.calico.waitHook" -}}
{{- $calico := .Values.calico }}
{{- if and (include "flowlogs.calico.gitopsMode" .) (or $calico.services $calico.workloads) (gt (int $calico.job.readyTimeoutSeconds) 0) }}true{{ end }}
{{- end }}

{{/*
"true" when a Job (job mode's apply Job, gitops mode's wait hook) waits for the rollouts the 3.20
guide waits for before workloads are selected (calico.upstream sidecar.waitFor).
*/}}
{{- define "flowlogs.calico.waitsForRollouts" -}}
{{- $facts := include "flowlogs.calico.facts" . | fromJson }}
{{- if and (or (include "flowlogs.calico.jobMode" .) (include "flowlogs.calico.waitHook" .)) .Values.calico.workloads $facts.sidecar.waitFor }}true{{ end }}
{{- end }}

{{/*
The ServiceAccount this release creates for its Jobs: `-patch` (job mode: patches), `-wait` (gitops
mode's wait hook: reads only). A retire Job runs with the previous release's `-patch`.
*/}}
{{- define "flowlogs.calico.jobAccount" -}}
{{- include "flowlogs.calico.fullname" . }}-{{ if include "flowlogs.calico.jobMode" . }}patch{{ else }}wait{{ end }}
{{- end }}

{{/*
The Calico Enterprise facts of calico.version (calico.upstream.versions, from flowlogs' tables), as
JSON: `include "flowlogs.calico.facts" . | fromJson`.
*/}}
{{- define "flowlogs.calico.facts" -}}
{{- index .Values.calico.upstream.versions .Values.calico.version | toJson }}
{{- end }}

{{/*
Impossible value combinations (a hand-edited values file); profiles are checked by flowlogs.
*/}}
{{- define "flowlogs.calico.validate" -}}
{{- $calico := .Values.calico }}
{{- if not $calico.applicationLayer.logCollection }}
{{- fail "calico.applicationLayer.logCollection is empty: compile a profile with flowlogs, or set collectLogs/logIntervalSeconds/logRequestsPerInterval" }}
{{- end }}
{{- $facts := include "flowlogs.calico.facts" . | fromJson }}
{{- if and (not $facts.sidecar) (or $calico.applicationLayer.sidecarInjection $calico.workloads) }}
{{- fail (printf "calico: sidecar injection and workloads need a Calico Enterprise version with sidecar injection (calico.version %s has none)" $calico.version) }}
{{- end }}
{{- if include "flowlogs.calico.gitopsMode" . }}
{{- range concat $calico.services $calico.workloads }}
{{- if .selectors }}
{{- fail (printf "calico: patchMode gitops cannot select by label (namespace %s): name the objects or use patchMode job" .namespace) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Argo CD options of a partial manifest: server-side apply of the listed fields only; never pruned,
never deleted with the Application (Delete=false needs Argo CD 2.7+). IgnoreExtraneous: once the
object is deselected (no longer rendered, not pruned), it does not keep the Application OutOfSync;
the annotation it carries is Argo CD's to ignore, and on the live object only.
*/}}
{{- define "flowlogs.calico.partialSyncOptions" -}}
argocd.argoproj.io/sync-options: ServerSideApply=true,Validate=false,Prune=false,Delete=false
argocd.argoproj.io/compare-options: IgnoreExtraneous
{{- end }}

{{/*
A partial workload manifest for GitOps mode: only the pod-template label and annotation of the
3.20 sidecar. Argument: dict "root" $ "kind" "Deployment".
*/}}
{{- define "flowlogs.calico.workloadPatches" -}}
{{- $kind := .kind }}
{{- $sidecar := (include "flowlogs.calico.facts" .root | fromJson).sidecar }}
{{- range .root.Values.calico.workloads }}
{{- if eq .kind $kind }}
{{- $namespace := .namespace }}
{{- range .names }}
---
{{- /* helm lint wants every workload to have a selector and checks for the word in the text:
       the comment below says why this one has none (and so passes that check honestly). */}}
# Partial manifest for server-side apply: spec.selector (matchLabels) stays as the workload's owner set it.
apiVersion: apps/v1
kind: {{ $kind }}
metadata:
  name: {{ . | quote }}
  namespace: {{ $namespace | quote }}
  annotations:
    {{- include "flowlogs.calico.partialSyncOptions" . | nindent 4 }}
    argocd.argoproj.io/sync-wave: "2"
spec:
  template:
    metadata:
      labels:
        {{- toYaml $sidecar.labels | nindent 8 }}
      annotations:
        {{- toYaml $sidecar.annotations | nindent 8 }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
What the hook Jobs apply, as JSON (calico-l7-patch.py reads it).
*/}}
{{- define "flowlogs.calico.desired" -}}
{{- $calico := .Values.calico }}
{{- $felix := dict "apiVersion" $calico.felix.apiVersion "spec" $calico.felix.spec }}
{{- $desired := dict "felix" $felix "services" $calico.services "workloads" $calico.workloads }}
{{- $_ := set $desired "facts" (merge (include "flowlogs.calico.facts" . | fromJson) (dict "workloadResources" $calico.upstream.workloadResources)) }}
{{- $_ := set $desired "readyTimeoutSeconds" $calico.job.readyTimeoutSeconds }}
{{- $desired | toPrettyJson }}
{{- end }}

{{/*
What the gitops wait hook waits for, as JSON (calico-l7-patch.py wait): desired.json without felix.
*/}}
{{- define "flowlogs.calico.waitState" -}}
{{- omit (include "flowlogs.calico.desired" . | fromJson) "felix" | toPrettyJson }}
{{- end }}

{{/*
The hook Jobs' image: repository:tag, or repository:tag@digest.
*/}}
{{- define "flowlogs.calico.jobImage" -}}
{{- $image := .Values.calico.job.image }}
{{- if $image.digest }}
{{- printf "%s:%s@%s" $image.repository $image.tag $image.digest }}
{{- else }}
{{- printf "%s:%s" $image.repository $image.tag }}
{{- end }}
{{- end }}

{{/*
"true" when the release being upgraded ran patchMode job (its state ConfigMap exists); empty on
install and under `helm template` or Argo CD, which have no cluster to look into.
*/}}
{{- define "flowlogs.calico.previousJobState" -}}
{{- if lookup "v1" "ConfigMap" .Release.Namespace (printf "%s-state" (include "flowlogs.calico.fullname" .)) }}true{{ end }}
{{- end }}

{{/*
The script (and the desired state) for one hook Job, as a hook of exactly that Job's phase: Argo CD
3.3.0-3.3.4 mishandle one object named in several hook phases when one of them is pre-delete
(argoproj/argo-cd#26404), so every phase gets its own copy, named like its Job. The wait step gets
wait.json instead of desired.json (the state of job mode, which `flowlogs status` reads).
Argument: dict "root" $ "step" "apply"|"restore"|"prune"|"retire"|"wait" "hook" "<helm hooks>".
*/}}
{{- define "flowlogs.calico.jobScript" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "flowlogs.calico.fullname" .root }}-{{ .step }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "flowlogs.labels" .root | nindent 4 }}
    app.kubernetes.io/component: calico-l7-patch
  annotations:
    helm.sh/hook: {{ .hook }}
    helm.sh/hook-weight: "-10"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    {{- with include "flowlogs.calico.argocdHook" . }}
    {{- . | trim | nindent 4 }}
    {{- end }}
data:
  {{- if eq .step "wait" }}
  wait.json: |
    {{- include "flowlogs.calico.waitState" .root | nindent 4 }}
  {{- else }}
  desired.json: |
    {{- include "flowlogs.calico.desired" .root | nindent 4 }}
  {{- end }}
  calico-l7-patch.py: |
    {{- .root.Files.Get "files/calico-l7-patch.py" | nindent 4 }}
{{- end }}

{{/*
The gitops wait hook's Argo CD annotations (nothing for the other steps). Argo CD takes its own hook
annotation over Helm's and its sync-wave over hook-weight (argo-cd v3.5.1 gitops-engine
pkg/sync/hook/hook.go Types, pkg/sync/syncwaves/waves.go): a Sync hook in wave 1, after the
ApplicationLayer (0), before the selections (2). Helm, which reads only its own annotations, runs
it as a post-install/post-upgrade hook.
*/}}
{{- define "flowlogs.calico.argocdHook" -}}
{{- if eq .step "wait" }}
argocd.argoproj.io/hook: Sync
argocd.argoproj.io/sync-wave: "1"
argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded
{{- end }}
{{- end }}

{{/*
A hook Job running calico-l7-patch.py, after its script ConfigMap. It passes the "restricted" Pod
Security Standard. Argument: dict "root" $ "step" "apply"|"restore"|"prune"|"retire"|"wait" "hook" "<helm hooks>".
`prune` and `retire` also read the previous release's state (mounted from its state ConfigMap):
prune restores what the new release no longer selects, retire everything the previous one set.
*/}}
{{- define "flowlogs.calico.job" -}}
{{- $name := include "flowlogs.calico.fullname" .root }}
{{- $job := .root.Values.calico.job }}
{{- $previous := has .step (list "prune" "retire") }}
{{- $state := ternary "wait.json" "desired.json" (eq .step "wait") }}
{{ include "flowlogs.calico.jobScript" . }}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ $name }}-{{ .step }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "flowlogs.labels" .root | nindent 4 }}
    app.kubernetes.io/component: calico-l7-patch
  annotations:
    helm.sh/hook: {{ .hook }}
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
    {{- with include "flowlogs.calico.argocdHook" . }}
    {{- . | trim | nindent 4 }}
    {{- end }}
spec:
  backoffLimit: 2
  activeDeadlineSeconds: {{ add $job.readyTimeoutSeconds 300 }}
  template:
    metadata:
      labels:
        {{- include "flowlogs.labels" .root | nindent 8 }}
        app.kubernetes.io/component: calico-l7-patch
      {{- with $job.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ $name }}-{{ ternary "wait" "patch" (eq .step "wait") }}
      automountServiceAccountToken: true
      restartPolicy: Never
      {{- with $job.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $job.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $job.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        runAsNonRoot: true
        runAsUser: 65534
        runAsGroup: 65534
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: patch
          image: {{ include "flowlogs.calico.jobImage" .root }}
          imagePullPolicy: {{ $job.image.pullPolicy }}
          command:
            - python3
            - /etc/flowlogs/calico-l7-patch.py
            - {{ .step }}
            - /etc/flowlogs/{{ $state }}
            {{- if $previous }}
            - /etc/flowlogs-previous/desired.json
            {{- end }}
          env:
            - name: PYTHONDONTWRITEBYTECODE
              value: "1"
          resources:
            {{- toYaml $job.resources | nindent 12 }}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop:
                - ALL
          volumeMounts:
            - name: script
              mountPath: /etc/flowlogs
              readOnly: true
            {{- if $previous }}
            - name: previous
              mountPath: /etc/flowlogs-previous
              readOnly: true
            {{- end }}
      volumes:
        - name: script
          configMap:
            name: {{ $name }}-{{ .step }}
        {{- if $previous }}
        - name: previous
          configMap:
            name: {{ $name }}-state
        {{- end }}
{{- end }}

{{/*
RBAC rules for one selection (a services or workloads entry) in its namespace: get+patch of the
named objects only; list+patch where a label selector is used.
Argument: dict "group" "" "resource" "services" "target" .
*/}}
{{- define "flowlogs.calico.rules" -}}
{{- if .target.names }}
- apiGroups:
    - {{ if .group }}{{ .group }}{{ else }}""{{ end }}
  resources:
    - {{ .resource }}
  resourceNames:
    {{- toYaml .target.names | nindent 4 }}
  verbs:
    - get
    - patch
{{- end }}
{{- if .target.selectors }}
- apiGroups:
    - {{ if .group }}{{ .group }}{{ else }}""{{ end }}
  resources:
    - {{ .resource }}
  verbs:
    - list
    - patch
{{- end }}
{{- end }}

{{/*
The namespaces of the selected Services and workloads, sorted, each once.
*/}}
{{- define "flowlogs.calico.targetNamespaces" -}}
{{- $namespaces := list }}
{{- range concat .Values.calico.services .Values.calico.workloads }}
{{- $namespaces = append $namespaces .namespace }}
{{- end }}
{{- $namespaces | uniq | sortAlpha | toJson }}
{{- end }}
