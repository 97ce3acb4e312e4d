"""`directmem image build|list|remove`: the docker backend's runtime images, ahead of time."""

from __future__ import annotations

import sys

import click

from ..errors import BackendUnavailable

MAJORS = ("11", "17", "21", "25")


@click.group()
def image() -> None:
    """Build, list or remove the docker backend's runtime images (offline: debootstrap + wheels)."""


@image.command()
@click.option("--jdk", "jdks", multiple=True, type=click.Choice(MAJORS), default=("17",), show_default=True,
              help="JDK major of the image (repeatable)")
def build(jdks: tuple[str, ...]) -> None:
    """Build the runtime image of each JDK major unless it exists; progress on stderr, tags on stdout."""
    from ..backends.engine import docker_client
    from ..backends.images import ensure_image

    try:
        client = docker_client()
        for major in jdks:
            click.echo(f"directmem: runtime image for JDK {major} ...", err=True)
            tag = ensure_image(int(major), progress=lambda line: click.echo(f"  {line}", err=True), client=client)
            click.echo(tag)
    except BackendUnavailable as e:
        click.echo(f"directmem: {e}", err=True)
        sys.exit(3)


@image.command(name="list")
def list_() -> None:
    """The runtime and base images present, with their sizes."""
    from ..backends.engine import docker_client

    try:
        client = docker_client()
    except BackendUnavailable as e:
        click.echo(f"directmem: {e}", err=True)
        sys.exit(3)
    for role in ("runtime", "base"):
        for img in client.images.list(filters={"label": f"io.directmem.role={role}"}):
            tags = ", ".join(img.tags) or img.short_id
            click.echo(f"{role:<8} {tags}  {img.attrs.get('Size', 0) / 2**20:.0f} MiB")


@image.command()
def remove() -> None:
    """Remove every image the harness built (the wheel and rootfs caches stay)."""
    from ..backends.images import remove_images

    try:
        for tag in remove_images():
            click.echo(f"removed {tag}")
    except BackendUnavailable as e:
        click.echo(f"directmem: {e}", err=True)
        sys.exit(3)
