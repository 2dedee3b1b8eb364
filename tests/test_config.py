"""Settings: defaults, environment variables, the TOML file, precedence and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from contactsheet.config import Settings, load_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run from an empty folder with no CONTACTSHEET_* variable and no TOML file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CONTACTSHEET_CONFIG", str(tmp_path / "absent.toml"))
    return tmp_path


def _write_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "conf" / "contactsheet.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("CONTACTSHEET_CONFIG", str(path))
    return path


def test_defaults(tmp_path: Path) -> None:
    settings = load_settings()
    expected_data = (tmp_path / "contactsheet-data").resolve()
    assert settings.data == expected_data
    assert settings.data.is_absolute()
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert settings.tenant == "user_0"
    assert settings.database_url is None
    assert settings.resolved_database_url == f"sqlite:///{expected_data / 'db' / 'user_0.sqlite'}"
    assert settings.pipeline.max_parallel_jobs == 2
    assert settings.auth.trusted_proxies == []
    assert settings.admin_password is None


def test_defaults_create_nothing_on_disk(tmp_path: Path) -> None:
    load_settings()
    assert list(tmp_path.iterdir()) == []


def test_relative_data_folder_is_resolved_against_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACTSHEET_DATA", "some/../library")
    settings = load_settings()
    assert settings.data == tmp_path.resolve() / "library"


def test_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "elsewhere"
    monkeypatch.setenv("CONTACTSHEET_DATA", str(data))
    monkeypatch.setenv("CONTACTSHEET_DATABASE_URL", "postgresql+psycopg://u@db.example/cs")
    monkeypatch.setenv("CONTACTSHEET_PORT", "9123")
    monkeypatch.setenv("CONTACTSHEET_PIPELINE__MAX_PARALLEL_JOBS", "7")
    settings = load_settings()
    assert settings.data == data.resolve()
    assert settings.database_url == "postgresql+psycopg://u@db.example/cs"
    assert settings.resolved_database_url == "postgresql+psycopg://u@db.example/cs"
    assert settings.port == 9123
    assert settings.pipeline.max_parallel_jobs == 7
    # The other pipeline values keep their defaults when only one is given.
    assert settings.pipeline.max_attempts == 3


def test_data_from_env_moves_the_default_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACTSHEET_DATA", str(tmp_path / "lib"))
    settings = load_settings()
    expected = tmp_path.resolve() / "lib" / "db" / "user_0.sqlite"
    assert settings.resolved_database_url == f"sqlite:///{expected}"


def test_toml_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_toml(
        tmp_path,
        monkeypatch,
        f"""
data = "{tmp_path / "from-toml"}"
port = 8765
host = "192.0.2.10"

[pipeline]
max_parallel_jobs = 5
scheduler_enabled = false

[auth]
trusted_proxies = ["10.0.0.1"]
""",
    )
    settings = load_settings()
    assert settings.data == (tmp_path / "from-toml").resolve()
    assert settings.port == 8765
    assert settings.host == "192.0.2.10"
    assert settings.pipeline.max_parallel_jobs == 5
    assert settings.pipeline.scheduler_enabled is False
    assert settings.auth.trusted_proxies == ["10.0.0.1"]


def test_toml_in_working_directory_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CONTACTSHEET_CONFIG")
    (tmp_path / "contactsheet.toml").write_text("port = 8111\n", encoding="utf-8")
    assert load_settings().port == 8111


def test_environment_beats_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_toml(
        tmp_path,
        monkeypatch,
        "port = 8765\n[pipeline]\nmax_parallel_jobs = 5\nmax_attempts = 9\n",
    )
    monkeypatch.setenv("CONTACTSHEET_PORT", "9000")
    monkeypatch.setenv("CONTACTSHEET_PIPELINE__MAX_PARALLEL_JOBS", "3")
    settings = load_settings()
    assert settings.port == 9000
    assert settings.pipeline.max_parallel_jobs == 3
    # A nested value the environment does not mention still comes from the file.
    assert settings.pipeline.max_attempts == 9


def test_code_beats_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTACTSHEET_PORT", "9000")
    assert load_settings(port=9001).port == 9001


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONTACTSHEET_PORT", "0"),
        ("CONTACTSHEET_PORT", "65536"),
        ("CONTACTSHEET_PORT", "eighty"),
        ("CONTACTSHEET_PIPELINE__MAX_PARALLEL_JOBS", "0"),
        ("CONTACTSHEET_PIPELINE__MAX_PARALLEL_JOBS", "many"),
        ("CONTACTSHEET_TENANT", "../other"),
        ("CONTACTSHEET_TENANT", "User 0"),
        ("CONTACTSHEET_LOG_LEVEL", "verbose"),
        ("CONTACTSHEET_PROCESSING__THUMBNAIL_FORMAT", "gif"),
        ("CONTACTSHEET_PROCESSING__FORMAT", "jpeg"),
        ("CONTACTSHEET_PROCESSING__PREVIEW_QUALITY", "101"),
    ],
)
def test_invalid_environment_values_are_rejected(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError):
        load_settings()


def test_invalid_toml_values_are_rejected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_toml(tmp_path, monkeypatch, "[pipeline]\nmax_parallel_jobs = -1\n")
    with pytest.raises(ValidationError):
        load_settings()


def test_invalid_values_in_code_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Settings(port=-5)
    with pytest.raises(ValidationError):
        Settings(pipeline={"priority_threshold": 101})  # type: ignore[arg-type]


def test_malformed_toml_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_toml(tmp_path, monkeypatch, "port = [unclosed\n")
    # tomllib.TOMLDecodeError is a ValueError; a broken file must not be silently ignored.
    with pytest.raises(ValueError):
        load_settings()
