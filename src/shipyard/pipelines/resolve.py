"""Turn loaded documents into what a run needs: the run itself, the Tasks/Pipelines its refs name, and the
ConfigMaps/Secrets its workspaces and env use. Every document is validated first; all problems are raised at once.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field

from shipyard.errors import NotFoundError, SpecErrors, UnsupportedError
from shipyard.pipelines.validation import check
from shipyard.resources.loader import Document
from shipyard.resources.tekton import (
    ConfigMap,
    Pipeline,
    PipelineRun,
    PipelineSpec,
    Ref,
    Secret,
    Task,
    TaskRun,
    TaskSpec,
)
from shipyard.resources.validate import Issues, did_you_mean

RUN_KINDS = ("PipelineRun", "TaskRun")


@dataclass(slots=True)
class Catalog:
    tasks: dict[str, TaskSpec] = field(default_factory=dict)
    pipelines: dict[str, PipelineSpec] = field(default_factory=dict)
    config_maps: dict[str, dict[str, str]] = field(default_factory=dict)
    secrets: dict[str, dict[str, str]] = field(default_factory=dict)

    def task(self, ref: Ref, where: str) -> TaskSpec:
        if ref.resolver or ref.bundle:
            raise UnsupportedError(
                f"{where}: remote resolution (resolver/bundle) is not supported; put the Task in the files or --resources"
            )
        name = ref.name or ""
        if name not in self.tasks:
            raise NotFoundError(
                f'{where}: Task "{name}" not found{did_you_mean(name, self.tasks)}; pass the file that defines it, or --resources DIR'
            )
        return self.tasks[name]

    def pipeline(self, ref: Ref, where: str) -> PipelineSpec:
        if ref.resolver or ref.bundle:
            raise UnsupportedError(f"{where}: remote resolution (resolver/bundle) is not supported")
        name = ref.name or ""
        if name not in self.pipelines:
            raise NotFoundError(
                f'{where}: Pipeline "{name}" not found{did_you_mean(name, self.pipelines)}; pass the file that defines it, or --resources DIR'
            )
        return self.pipelines[name]

    def key_values(self) -> dict[tuple[str, str, str], str]:
        out: dict[tuple[str, str, str], str] = {}
        for name, data in self.config_maps.items():
            out.update({("ConfigMap", name, k): v for k, v in data.items()})
        for name, data in self.secrets.items():
            out.update({("Secret", name, k): v for k, v in data.items()})
        return out

    def secret_values(self) -> frozenset[str]:
        return frozenset(v for data in self.secrets.values() for v in data.values() if v)


@dataclass(slots=True)
class Loaded:
    runs: list[tuple[Document, PipelineRun | TaskRun]]
    catalog: Catalog


def load(docs: Sequence[Document], resources: Sequence[Document] = ()) -> Loaded:
    """Validate every document (all problems at once) and sort them into runs and a catalog."""
    problems = []
    catalog = Catalog()
    runs: list[tuple[Document, PipelineRun | TaskRun]] = []
    for doc in [*docs, *resources]:
        issues = Issues(doc)
        obj = check(doc, issues)
        problems.extend(issues.items)
        if obj is None:
            continue
        if isinstance(obj, PipelineRun | TaskRun):
            if doc in docs:
                runs.append((doc, obj))
        elif isinstance(obj, Task):
            catalog.tasks[obj.metadata.name or ""] = obj.spec
        elif isinstance(obj, Pipeline):
            catalog.pipelines[obj.metadata.name or ""] = obj.spec
        elif isinstance(obj, ConfigMap):
            catalog.config_maps[obj.metadata.name or ""] = dict(obj.data)
        elif isinstance(obj, Secret):
            data = dict(obj.string_data)
            bad = Issues(doc)
            for k, v in obj.data.items():
                try:
                    data.setdefault(k, base64.b64decode(v, validate=True).decode("utf-8", "replace"))
                except (binascii.Error, ValueError):
                    bad.add(("data", k), "Secret data must be base64")
            problems.extend(bad.items)
            catalog.secrets[obj.metadata.name or ""] = data
    if problems:
        raise SpecErrors(problems)
    return Loaded(runs=runs, catalog=catalog)
