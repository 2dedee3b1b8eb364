"""What a derivative is made with, and its identity: a change of any of it means a new file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from contactsheet.config import ProcessingSettings
from contactsheet.db.enums import DerivativeKind
from contactsheet.imaging.engine import ENGINE_VERSION, DerivativeSpec
from contactsheet.library.paths import DERIVATIVE_EXTENSIONS, LibraryPaths

EXTENSIONS = DERIVATIVE_EXTENSIONS
MEDIA_TYPES = {"webp": "image/webp", "jpeg": "image/jpeg"}


def specs(config: ProcessingSettings) -> dict[str, DerivativeSpec]:
    """Preview first: the thumbnail is made from it (decode once)."""
    return {
        DerivativeKind.PREVIEW: DerivativeSpec(
            DerivativeKind.PREVIEW,
            config.preview_size,
            config.preview_format,
            config.preview_quality,
            config.webp_effort if config.preview_format == "webp" else 0,
        ),
        DerivativeKind.THUMBNAIL: DerivativeSpec(
            DerivativeKind.THUMBNAIL,
            config.thumbnail_size,
            config.thumbnail_format,
            config.thumbnail_quality,
            config.webp_effort if config.thumbnail_format == "webp" else 0,
        ),
    }


def params_of(spec: DerivativeSpec) -> dict[str, object]:
    return {
        "long_edge": spec.long_edge,
        "format": spec.format,
        "quality": spec.quality,
        "effort": spec.effort,
        "engine": ENGINE_VERSION,
    }


def params_key(spec: DerivativeSpec) -> str:
    canonical = json.dumps(params_of(spec), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def derivative_path(paths: LibraryPaths, folder: str, basename: str, spec: DerivativeSpec) -> Path:
    return paths.derivative_path(folder, spec.kind, basename, EXTENSIONS[spec.format])
