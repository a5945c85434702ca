"""``msdunet serve [OUT]``: a local web app to check photos and review a detect output folder."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

from msdunet.cli.options import THREADS, THREADS_HELP, detector_or_exit, model_option

DEFAULT_MAX_UPLOAD_MB = 50


@click.command("serve")
@click.argument("out", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (this machine only).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@model_option("A shipped model's name (`msdunet models`) or a weights file, for photos sent to the app.")
@click.option(
    "--max-upload-mb",
    default=DEFAULT_MAX_UPLOAD_MB,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Refuse uploads larger than this (HTTP 413).",
)
@click.option("--threads", default=None, type=THREADS, help=THREADS_HELP)
def command(out, host, port, weights, max_upload_mb, threads):
    """Serve a web app: drop photos to see their blur maps, and review OUT (a `msdunet detect`
    output folder) with sorting, filters, a live verdict rule and keyboard picks saved to
    OUT/picks.csv. JSON API and its docs at /docs. Needs: pip install torch==2.13.0 -e ".[serve]".

    Uploads' maps go to a temporary folder removed when the server stops, never into OUT.
    """
    try:
        import uvicorn

        from msdunet.serve import create_app
        from msdunet.serve.store import StoreError
    except ImportError as exc:
        click.echo(f'error: the web app needs its extra: pip install torch==2.13.0 -e ".[serve]" ({exc})', err=True)
        sys.exit(2)
    if out is not None and not out.is_dir():
        raise click.UsageError(f"no such folder: {out} (give a `msdunet detect ... -o OUT` folder, or none)")
    if out is not None and not ((out / "report.json").is_file() or (out / "report.csv").is_file()):
        click.echo(f"msdunet: {out} has no report.csv yet; the review shows what detect writes there", err=True)
    if not _is_loopback(host):
        click.echo(f"warning: listening on {host}: anyone who can reach it can use the app (no login)", err=True)
    from msdunet.inference.options import ModelOptions

    detector = detector_or_exit(ModelOptions(weights=weights, threads=threads))
    try:
        limit = int(max_upload_mb * 1024 * 1024)
        app = create_app(out, detector=detector, max_upload=limit, model_name=_name(detector))
    except StoreError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"msdunet: serving {out or 'uploads only'} at http://{shown}:{port}/ (Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _name(detector) -> str:
    return Path(detector.weights_path).stem if detector.weights_path else "in-memory model"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
