{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride; at most 63 characters (a DNS label). */}}
{{- define "consentservice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The full name of the release's resources: fullnameOverride, else release-chart (the release alone when it already holds the chart name). */}}
{{- define "consentservice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version, as the helm.sh/chart label wants it. */}}
{{- define "consentservice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The labels a selector uses: they never change across upgrades (selectors are immutable). */}}
{{- define "consentservice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "consentservice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Every resource's labels. */}}
{{- define "consentservice.labels" -}}
helm.sh/chart: {{ include "consentservice.chart" . }}
{{ include "consentservice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: api
app.kubernetes.io/part-of: consentservice
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "consentservice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The PersistentVolumeClaim holding /data in sqlite mode. */}}
{{- define "consentservice.claimName" -}}
{{- default (printf "%s-data" (include "consentservice.fullname" .)) .Values.storage.sqlite.persistence.existingClaim }}
{{- end }}
