"""Interceptors by the name an EventListener's ``interceptors[].ref.name`` uses (Tekton's ClusterInterceptors)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shipyard.errors import SpecError
from shipyard.pipelines.triggers.base import Interceptor, InterceptorFactory, SecretGetter
from shipyard.pipelines.triggers.bitbucket import BitbucketInterceptor
from shipyard.pipelines.triggers.cel import CELInterceptor
from shipyard.pipelines.triggers.github import GitHubInterceptor
from shipyard.pipelines.triggers.gitlab import GitLabInterceptor
from shipyard.resources.validate import did_you_mean

INTERCEPTORS: dict[str, InterceptorFactory] = {
    "bitbucket": BitbucketInterceptor,
    "cel": CELInterceptor,
    "github": GitHubInterceptor,
    "gitlab": GitLabInterceptor,
}


def build(name: str, params: Mapping[str, Any], secrets: SecretGetter) -> Interceptor:
    factory = INTERCEPTORS.get(name)
    if factory is None:
        valid = ", ".join(sorted(INTERCEPTORS))
        raise SpecError(f'unknown interceptor "{name}"{did_you_mean(name, INTERCEPTORS)} (valid: {valid})')
    return factory(params, secrets)
