#!/usr/bin/env bash
# The deployment files' checks, offline (`make lint` calls this):
#   - every kustomize overlay builds, and its output validates against the Kubernetes API schemas
#     of the version the README names (kubernetes-validate ships them);
#   - checkov over the Dockerfile and the rendered manifests, compose-lint over the compose files
#     (findings are fixed, or marked where they are with their reason);
#   - the compose files against the compose specification, yamllint, hadolint;
#   - `manage.py check --deploy` with each overlay's settings.
# The tools live in their own venv (requirements/lint.txt) and kustomize is built once from the Go
# module proxy; both are cached under ~/.cache/chatsite.
#
# Usage: scripts/deploy/lint.sh PYTHON   (the project venv's python, for check --deploy)
set -euo pipefail

PY=${1:?usage: lint.sh PYTHON}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE_DIR=${CHATSITE_CACHE_DIR:-$HOME/.cache/chatsite}
K8S_VERSION=1.34.0   # README, "Deployment": the Kubernetes version the manifests target
KUSTOMIZE_VERSION=v5.8.1
LINT_VENV=$CACHE_DIR/lint-venv
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
cd "$ROOT"

say() { printf '%s\n' "deploy-lint: $*"; }

lint_venv() {
    local want
    want=$(sha256sum requirements/pip.txt requirements/lint.txt | sha256sum | cut -d' ' -f1)
    if [[ -x $LINT_VENV/bin/python && $(cat "$LINT_VENV/.locks" 2>/dev/null) == "$want" ]]; then
        return 0
    fi
    say "installing requirements/lint.txt into $LINT_VENV"
    rm -rf "$LINT_VENV"
    "$PY" -m venv "$LINT_VENV"
    "$LINT_VENV/bin/pip" install --quiet --require-hashes -r requirements/pip.txt
    "$LINT_VENV/bin/pip" install --quiet --require-hashes -r requirements/lint.txt
    echo "$want" >"$LINT_VENV/.locks"
}

kustomize_bin() {
    local bin=$CACHE_DIR/kustomize-$KUSTOMIZE_VERSION/kustomize go
    if [[ ! -x $bin ]]; then
        go=$(command -v go || echo /usr/local/go/bin/go)
        [[ -x $go ]] || { echo "deploy-lint: go not found (needed once to build kustomize)" >&2; exit 1; }
        say "building kustomize $KUSTOMIZE_VERSION from the Go module proxy (first run only)" >&2
        mkdir -p "$(dirname "$bin")"
        GOBIN=$(dirname "$bin") "$go" install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
    fi
    echo "$bin"
}

lint_venv
KUSTOMIZE=$(kustomize_bin)
BIN=$LINT_VENV/bin

overlays=()
for dir in k8s/overlays/*/; do
    name=$(basename "$dir")
    overlays+=("$name")
    "$KUSTOMIZE" build "$dir" >"$OUT/$name.yaml"
done
say "kustomize built ${overlays[*]}"

for name in "${overlays[@]}"; do
    "$BIN/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$OUT/$name.yaml"
done
say "kubernetes-validate: every object valid for Kubernetes $K8S_VERSION (strict)"

# checkov: no network (no guideline download, no platform); skips are marked in the files.
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
"$BIN/checkov" --quiet --compact --skip-download --framework dockerfile -f docker/Dockerfile
for name in "${overlays[@]}"; do
    "$BIN/checkov" --quiet --compact --skip-download --framework kubernetes -f "$OUT/$name.yaml"
done
say "checkov: Dockerfile and ${overlays[*]} pass"

"$BIN/compose-lint" check --fail-on low --strict-config --no-env --config docker/compose-lint.yml \
    -q --skip-suppressed docker/compose.stage.yml docker/compose.prod.yml
"$BIN/compose-lint" check --fail-on low --strict-config --no-env --config docker/compose-lint-dev.yml \
    -q --skip-suppressed docker/compose.dev.yml
"$BIN/check-jsonschema" --builtin-schema vendor.compose-spec docker/compose.*.yml
"$BIN/yamllint" --strict -c scripts/deploy/yamllint.yml docker k8s
"$BIN/hadolint" --failure-threshold info docker/Dockerfile
say "compose-lint, compose spec, yamllint, hadolint pass"

rendered=()
for name in "${overlays[@]}"; do rendered+=("$OUT/$name.yaml"); done
"$PY" scripts/deploy/check_deploy.py "${rendered[@]}"
