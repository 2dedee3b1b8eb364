"""Which handler runs each step type. The one place that wires steps to code."""

from __future__ import annotations

import importlib

from contactsheet.catalog import project_delete
from contactsheet.catalog.commit import file_removal
from contactsheet.catalog.metadata import regenerate_metadata
from contactsheet.catalog.moves import image_move_files
from contactsheet.config import PipelineSettings
from contactsheet.derivatives.steps import cache_validation, generate_derivatives
from contactsheet.ingest.discovery import folder_check, folder_discovery
from contactsheet.maintenance.duplicate_resolution import duplicate_resolution
from contactsheet.maintenance.folder_alignment import folder_alignment
from contactsheet.maintenance.job_retention import job_retention
from contactsheet.maintenance.leftovers import leftover_cleanup
from contactsheet.maintenance.manifest_check import manifest_check
from contactsheet.maintenance.manifest_cleaning import manifest_cleaning
from contactsheet.maintenance.orphaned_project_cleanup import orphaned_project_cleanup
from contactsheet.maintenance.project_scavenge import project_scavenge
from contactsheet.maintenance.trash_maintenance import trash_maintenance
from contactsheet.workers.registry import Registry


def default_registry(config: PipelineSettings) -> Registry:
    registry = Registry()
    registry.register("project_stop_processes", project_delete.stop_processes)
    registry.register("project_delete_files", project_delete.delete_files)
    registry.register("project_cleanup_db", project_delete.cleanup_db)
    registry.register("project_scavenge", project_scavenge)
    registry.register("job_retention", job_retention)
    registry.register("generate_derivatives", generate_derivatives)
    registry.register("cache_validation", cache_validation)
    registry.register("folder_check", folder_check)
    registry.register("folder_discovery", folder_discovery)
    registry.register("image_move_files", image_move_files)
    registry.register("regenerate_metadata", regenerate_metadata)
    registry.register("file_removal", file_removal)
    registry.register("folder_alignment", folder_alignment)
    registry.register("trash_maintenance", trash_maintenance)
    registry.register("orphaned_project_cleanup", orphaned_project_cleanup)
    registry.register("duplicate_resolution", duplicate_resolution)
    registry.register("manifest_check", manifest_check)
    registry.register("manifest_cleaning", manifest_cleaning)
    registry.register("leftover_cleanup", leftover_cleanup)
    # Extension modules (a deployment's own steps, the test suite's) expose register(registry).
    for module_name in config.handler_modules:
        importlib.import_module(module_name).register(registry)
    return registry
