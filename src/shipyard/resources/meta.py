"""Kubernetes ``metadata``: the one model every kind's loader shares.

Server-set fields (resourceVersion, managedFields, creationTimestamp …) are kept but not checked, as a client
reading objects back from a cluster must accept them; the fields shipyard uses are typed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class ObjectMeta(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=True, alias_generator=to_camel)
    name: str | None = None
    generate_name: str | None = None
    namespace: str | None = None
    uid: str | None = None
    generation: int | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)
