"""All settings in one typed object, read from the environment and an optional TOML file.

Precedence, highest first: values passed in code, `CONTACTSHEET_*` environment variables, the
TOML file (`CONTACTSHEET_CONFIG`, else `./contactsheet.toml`), then the defaults below. Nested
groups use a double underscore in the environment: `CONTACTSHEET_PIPELINE__MAX_PARALLEL_JOBS=4`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_TENANT = "user_0"


class ProcessingSettings(BaseModel):
    """How derivatives are made (docs/derivatives.md) and how big an upload may be
    (docs/ingest.md)."""

    # A misspelt or renamed setting fails loudly instead of being ignored.
    model_config = ConfigDict(extra="forbid")

    thumbnail_size: int = Field(800, ge=64, le=4096, description="Long edge of thumbnails, px.")
    preview_size: int = Field(3000, ge=256, le=12000, description="Long edge of previews, px.")
    # Measured (bench/derivatives.py): a JPEG preview plus a WebP thumbnail costs 1.3-1.4x a plain
    # full decode per core; WebP for both sits at ~2x, and libvips' default WebP effort at ~4x.
    thumbnail_format: Literal["webp", "jpeg"] = "webp"
    thumbnail_quality: int = Field(80, ge=1, le=100)
    preview_format: Literal["webp", "jpeg"] = "jpeg"
    preview_quality: int = Field(85, ge=1, le=100)
    webp_effort: int = Field(0, ge=0, le=6, description="libwebp method; 0 keeps encoding cheap.")
    max_pixels: int = Field(200_000_000, ge=1, description="Decompression-bomb limit per image.")
    decode_timeout_seconds: float = Field(120.0, gt=0)
    vips_concurrency: int = Field(1, ge=1, le=64, description="libvips threads per image worker.")
    image_workers: int = Field(0, ge=0, description="Image pool size; 0 means the CPU count.")
    malloc_arenas: int = Field(
        2, ge=0, le=64, description="glibc heaps per process (0: glibc's default, 8 per core)."
    )
    upload_max_bytes: int = Field(200 * 1024 * 1024, ge=1)


class PipelineSettings(BaseModel):
    """The job pipeline (docs/jobs.md)."""

    # A misspelt or renamed setting fails loudly instead of being ignored.
    model_config = ConfigDict(extra="forbid")

    max_parallel_jobs: int = Field(2, ge=1, le=64)
    priority_lane_slots: int = Field(1, ge=0, le=16)
    priority_threshold: int = Field(90, ge=0, le=100)
    heartbeat_ms: int = Field(5000, ge=100)
    stale_seconds: int = Field(60, ge=1)
    max_attempts: int = Field(3, ge=1, le=100)
    backoff_base_seconds: float = Field(5.0, ge=0)
    backoff_max_seconds: float = Field(3600.0, ge=0)
    poll_interval_ms: int = Field(500, ge=10)
    job_retention_days: int = Field(14, ge=1)
    batch_photos: int = Field(
        500, ge=1, le=100_000, description="Photos an upload's waiting derivative job may gather."
    )
    reconcile_delay_seconds: float = Field(
        10.0,
        ge=0,
        description="Quiet time after a project's last upload before its files are checked.",
    )
    reconcile_longest_seconds: float = Field(
        120.0, ge=0, description="Longest a check after uploads waits while uploads go on."
    )
    workers_in_serve: bool = Field(True, description="Run job workers inside `contactsheet serve`.")
    scheduler_enabled: bool = True
    maintenance_interval_seconds: int = Field(3600, ge=1)
    scavenge_interval_seconds: int = Field(3600, ge=1)
    discovery_interval_seconds: int = Field(300, ge=1)
    events_per_client: int = Field(4, ge=1, le=100, description="Open event streams per login.")
    events_heartbeat_seconds: float = Field(15.0, gt=0)
    handler_modules: list[str] = Field(
        default_factory=list,
        description="Extension modules: register(registry) adds step handlers, TASKS adds tasks.",
    )


class AuthSettings(BaseModel):
    """Admin login (README, Login)."""

    # A misspelt or renamed setting fails loudly instead of being ignored.
    model_config = ConfigDict(extra="forbid")

    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(30, ge=1, le=365)
    cookie_secure: bool = Field(False, description="Set when served over HTTPS.")
    login_max_failures: int = Field(10, ge=1)
    login_window_seconds: int = Field(300, ge=1)
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Peers whose X-Forwarded-For is believed; empty means nobody's is.",
    )
    login_account_max_failures: int = Field(
        50,
        ge=1,
        description="Failed logins per window for the account from all addresses together.",
    )


class SharingSettings(BaseModel):
    """Shared-link galleries, public asset URLs and downloads (docs/sharing.md)."""

    # A misspelt or renamed setting fails loudly instead of being ignored.
    model_config = ConfigDict(extra="forbid")

    public_hash_rotate_days: float = Field(
        21, gt=0, description="A public photo's asset URLs get a new hash this often."
    )
    public_hash_valid_days: float = Field(
        28, gt=0, description="How long an asset URL's hash works from its first day."
    )
    download_url_seconds: int = Field(120, ge=1, le=86400)
    anonymous_requests_per_minute: int = Field(
        600, ge=1, description="Per address, over the gallery API, its downloads and its page."
    )
    asset_requests_per_minute: int = Field(
        6000, ge=1, description="Per address, over the galleries' thumbnails and previews."
    )
    destructive_requests_per_minute: int = Field(
        120, ge=1, description="Per address, over DELETE requests and commits."
    )
    upload_requests_per_minute: int = Field(
        1200, ge=1, description="Per address, over upload requests (one per file or tus chunk)."
    )


class Settings(BaseSettings):
    """Everything Contact Sheet can be told. One instance is built at start-up and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="CONTACTSHEET_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    data: Path = Field(Path("contactsheet-data"), description="The library's data folder.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: a SQLite file under the data folder."
    )
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    admin_password: SecretStr | None = Field(
        None, description="Sets the admin password on first start (never overwrites a set one)."
    )
    secret_key: SecretStr | None = Field(
        None, description="Token signing key; generated into the data folder when not given."
    )
    tenant: str = Field(DEFAULT_TENANT, pattern=r"^[a-z0-9_]{1,32}$")
    cors_origins: list[str] = Field(default_factory=list)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"

    processing: ProcessingSettings = Field(default_factory=ProcessingSettings)
    pipeline: PipelineSettings = Field(default_factory=PipelineSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    sharing: SharingSettings = Field(default_factory=SharingSettings)

    @field_validator("data")
    @classmethod
    def _absolute_data(cls, value: Path) -> Path:
        # Resolve once so every path built later is comparable against the root.
        return value.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data / 'db' / f'{self.tenant}.sqlite'}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = Path(os.environ.get("CONTACTSHEET_CONFIG", "contactsheet.toml"))
        return (
            init_settings,
            env_settings,
            TomlConfigSettingsSource(settings_cls, toml_file=toml_file),
        )


def load_settings(**overrides: object) -> Settings:
    """Build the settings; a missing TOML file is fine, a malformed one is an error."""
    return Settings(**overrides)  # type: ignore[arg-type]
