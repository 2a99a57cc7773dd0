"""``shipyard sbom SOURCE -o spdx-json=FILE -o cyclonedx-json=FILE``: catalogue an image or a directory.

SOURCE forms (shared with ``shipyard scan``):
  ``oci:DIR[:REF]``       an OCI image layout directory (skopeo's syntax)
  ``dir:PATH`` / ``PATH`` a root filesystem directory (a directory holding ``oci-layout`` is read as a layout)
  ``oci-archive:FILE[:REF]``, ``docker-archive:FILE[:TAG]``, ``FILE.tar``  an image saved as one tar (skopeo,
                          ``docker save``), read in place
  ``registry:REF``        pulled into the content store (``$SHIPYARD_HOME/oci``) first, then read from it
  ``NAME``                an image named in the content store
  ``sbom:FILE``           an existing SPDX/CycloneDX JSON document (to convert between the formats)

SBOMs of images are also kept under ``$SHIPYARD_HOME/sboms/sha256/<manifest>/`` for signing to attest.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Annotated

import typer

from shipyard.cli.output import console, err_console
from shipyard.clock import rfc3339
from shipyard.errors import NotFoundError, ShipyardError, SpecError, UnsupportedError
from shipyard.store.files import atomic_write_text
from shipyard.store.sboms import SbomStore
from shipyard.supplychain.sbom.archive import open_archive
from shipyard.supplychain.sbom.catalog import catalog, select
from shipyard.supplychain.sbom.cyclonedx import to_cyclonedx_json
from shipyard.supplychain.sbom.model import Sbom
from shipyard.supplychain.sbom.oci_layout import open_layout
from shipyard.supplychain.sbom.reader import read_sbom
from shipyard.supplychain.sbom.source import DirectorySource, Source
from shipyard.supplychain.sbom.spdx import to_spdx_json

WRITTEN_VERSIONS = {"spdx-json": "2.3", "cyclonedx-json": "1.6"}  # syft -o NAME@VERSION
FORMATS = ("table", "spdx-json", "cyclonedx-json")

app = typer.Typer(
    name="sbom",
    help="Generate an SBOM (SPDX 2.3 JSON, CycloneDX 1.6 JSON) of an image or a directory.",
    context_settings={"allow_interspersed_args": True},
)


def home() -> Path:
    return Path(os.environ.get("SHIPYARD_HOME") or ".shipyard")


def store_root() -> Path:
    """The content store (``shipyard image``'s OCI layout)."""
    from shipyard.images.layout import store_path

    return store_path(home())


def _pull(reference: str) -> Source:
    # Imported here: only registry sources need the network stack.
    from shipyard.images.layout import OciLayout
    from shipyard.images.reference import parse_reference
    from shipyard.registry.client import RegistryClient
    from shipyard.registry.http import ClientOptions
    from shipyard.registry.transfer import pull_image

    ref = parse_reference(reference)
    insecure = ref.domain.split(":")[0] in ("127.0.0.1", "localhost")  # loopback test registries speak HTTP
    layout = OciLayout(store_root())
    pull_image(RegistryClient(ClientOptions(insecure=insecure)), ref, layout, name=str(ref))
    return open_layout(store_root(), str(ref))


def _store_names(spec: str) -> list[str]:
    """The name as given, then as ``shipyard image`` stores it (normalised: ``demo:1`` → ``docker.io/library/demo:1``)."""
    from shipyard.images.reference import parse_reference

    names = [spec]
    try:
        normalised = str(parse_reference(spec))
    except ShipyardError:
        return names
    return names if normalised == spec else [*names, normalised]


def open_source(spec: str) -> Source:
    """Turn a SOURCE argument into a filesystem view."""
    if spec.startswith("oci:"):
        # containers/image: the path ends at the first colon; the rest (which may hold colons) names the image.
        path, sep, ref = spec[4:].partition(":")
        return open_layout(path, ref if sep and ref else None)
    for prefix in ("oci-archive:", "docker-archive:"):
        if spec.startswith(prefix):
            path, sep, ref = spec[len(prefix) :].partition(":")
            return open_archive(path, ref if sep and ref else None)
    if spec.startswith("dir:"):
        return DirectorySource(spec[4:])
    if spec.startswith("registry:"):
        return _pull(spec[len("registry:") :])
    p = Path(spec)
    if p.is_dir():
        return open_layout(p) if (p / "oci-layout").is_file() else DirectorySource(p)
    if p.is_file() and p.suffix == ".tar":
        return open_archive(p)
    if (store_root() / "index.json").is_file():
        for name in _store_names(spec):
            try:
                return open_layout(store_root(), name)
            except NotFoundError:
                continue
    raise NotFoundError(
        f"{spec!r} is not a directory, an oci:DIR[:REF] layout, a registry:REF, nor an image in {store_root()}"
    )


def timestamp() -> str:
    """Now, or ``SOURCE_DATE_EPOCH`` when set (reproducible-builds.org) so documents can be byte-identical."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return rfc3339(float(epoch))
        except ValueError as exc:
            raise SpecError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number") from exc
    return rfc3339(time.time())


def render(sbom: Sbom, fmt: str) -> str:
    if fmt == "spdx-json":
        return to_spdx_json(sbom, created=timestamp())
    if fmt == "cyclonedx-json":
        return to_cyclonedx_json(sbom, timestamp=timestamp())
    raise SpecError(f"unknown SBOM format {fmt!r}; use one of {', '.join(FORMATS)}", path="--output")


def _print_table(sbom: Sbom) -> None:
    from rich.table import Table

    table = Table("Name", "Version", "Type", "Licences", box=None)
    for p in sbom.packages:
        table.add_row(p.name, p.version, p.type.value, ", ".join(p.licenses))
    console.print(table)
    distro = f" on {sbom.distro.pretty_name or sbom.distro.id}" if sbom.distro else ""
    console.print(f"{len(sbom.packages)} packages in {sbom.source.name}{distro}", markup=False)


@app.callback(invoke_without_command=True)
def sbom_command(
    source: Annotated[str, typer.Argument(help="oci:DIR[:REF], dir:PATH, PATH, registry:REF or a stored image name")],
    output: Annotated[
        list[str],
        typer.Option(
            "-o", "--output", help="FORMAT[@VERSION][=FILE]: table, spdx-json(@2.3), cyclonedx-json(@1.6) (repeatable)"
        ),
    ] = [],  # noqa: B006 - typer reads the default
    catalogers: Annotated[list[str], typer.Option("--cataloger", help="Run only these catalogers (repeatable)")] = [],  # noqa: B006
) -> None:
    """Catalogue SOURCE and write the SBOM in each requested format."""
    chosen = select(catalogers or None)
    requests: list[tuple[str, str | None]] = []
    for item in output or ["table"]:
        fmt, sep, file = item.partition("=")
        fmt, at, version = fmt.partition("@")
        if fmt not in FORMATS:
            raise SpecError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}", path="--output")
        if at and version != WRITTEN_VERSIONS.get(fmt):
            # syft's NAME@VERSION form: only the version shipyard writes is offered.
            wrote = WRITTEN_VERSIONS.get(fmt)
            raise UnsupportedError(
                f"--output {fmt}@{version}: shipyard writes {fmt}@{wrote}" if wrote else f"--output {fmt}@{version}"
            )
        requests.append((fmt, file if sep else None))
    if source.startswith("sbom:"):
        sbom = read_sbom(source[len("sbom:") :])  # convert between formats
    else:
        sbom = catalog(open_source(source), chosen)
    for fmt, target in requests:
        if fmt == "table":
            _print_table(sbom)
            continue
        text = render(sbom, fmt)
        if sbom.source.digest:
            # Kept with the image digest, for `cosign attest`-style signing of this exact document.
            SbomStore(home()).put(sbom.source.digest, fmt, text)
        if target:
            atomic_write_text(target, text)
            err_console.print(f"wrote {fmt} to {target}", markup=False)
        else:
            typer.echo(text, nl=False)
