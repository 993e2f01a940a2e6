"""Settings: defaults, then ``instance/config.py``, then ``LABSYS_*`` environment variables.

Later sources win.  Environment values are parsed as Python literals when they look like
one (``LABSYS_REPORTS_PER_PAGE=10`` becomes an int) and kept as text otherwise.
"""

from __future__ import annotations

import ast
import os
import secrets
from datetime import timedelta
from pathlib import Path

ENV_PREFIX = "LABSYS_"
MIN_SECRET_KEY_LENGTH = 32
SECRET_KEY_FILE = "secret_key"


class DefaultConfig:
    """Every setting labsys reads, with the value used when nothing overrides it."""

    SECRET_KEY: str | None = None
    # None means: a SQLite file in the instance folder (see ``database_url``).
    DATABASE_URL: str | None = None
    # A PostgreSQL streaming replica that statistics, exports and report downloads read
    # from (labsys/database.py, README "Read replicas"); None: everything reads the primary.
    REPLICA_DATABASE_URL: str | None = None
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # werkzeug's scrypt (N=2^15, r=8, p=1); the test suite sets a cheaper factor.
    PASSWORD_HASH_METHOD = "scrypt"
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    # A login unused this long ends (0: never); "keep me logged in" outlasts it.
    IDLE_TIMEOUT_MINUTES = 30
    # "Keep me logged in" lasts this long (Flask-Login's default is a year).
    REMEMBER_COOKIE_DURATION = timedelta(hours=12)
    # Login throttling (services/security.py): this many failed logins of one account, or
    # from one address, within LOGIN_LOCKOUT_MINUTES lock it for LOGIN_LOCKOUT_MINUTES.
    # 0 turns a limit off (set the per-address one to 0 behind a proxy that hides clients'
    # addresses).
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    LOGIN_LOCKOUT_MINUTES = 15
    # Served over HTTPS (behind a TLS proxy): set True, and the session and remember-me
    # cookies are sent only over HTTPS (Secure flag).  See README "Running behind HTTPS".
    HTTPS = False

    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_Hans_CN": "中文", "en": "English"}

    LAB_NAME = "北京市食品安全检验中心"
    LAB_CODE = "01"
    # Printed on every report (ISO/IEC 17025:2017 §7.8.2.1 b): the lab's name and address).
    LAB_ADDRESS = ""
    LAB_PHONE = ""
    # The CMA (资质认定) certificate number and an image file of the mark (PNG/JPEG), printed
    # on every report; issuing without them logs a warning and the report pages say so.
    LAB_CMA_NO = ""
    LAB_CMA_IMAGE = ""
    # 抽样依据 printed on reports: the rules the sampling followed.
    SAMPLING_BASIS = "《食品安全抽样检验管理办法》（国家市场监督管理总局令第15号）"
    # Used to build absolute links (report QR codes); empty means "derive from the request".
    BASE_URL = ""
    PAGE_SIZE = 50
    # Report numbers (services.reports): fields {lab} {year} {yy} {serial}; the serial
    # counter runs per year when {year} or {yy} is in the pattern, else it never resets.
    REPORT_NO_PATTERN = "JC{lab}-{year}-{serial:06d}"

    # Sample numbers (services.sampling): fields {prefix} {year} {yy} {region} {lab} {serial};
    # the counter runs per year and district, so keep {year}, {region} and {serial} in it.
    SAMPLE_NO_PATTERN = "{prefix}{year}{region}{lab}{serial:05d}"
    SAMPLE_NO_PREFIX = "SC"
    # Uploads: the largest request body in bytes (larger: the "file too large" page, 413),
    # the most rows an instrument import reads, and the most an XLSX file may unpack to
    # (a "zip bomb" of a few KB unpacks to gigabytes: refused before it is read).
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    IMPORT_MAX_ROWS = 100_000
    IMPORT_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
    # A TrueType CJK font for PDFs; None: try the usual Debian fonts, else reportlab's STSong.
    PDF_FONT_PATH: str | None = None

    # The audit trail's HMAC key (32+ characters); None: the file instance/audit_key.
    # Keys retired by a rotation stay here so that the rows they signed still verify.
    AUDIT_KEY: str | None = None
    AUDIT_PREVIOUS_KEYS: list = []
    # The signed checkpoint of the trail's head; None: instance/audit_checkpoint.json.
    AUDIT_CHECKPOINT_PATH: str | None = None
    # Rewrite the checkpoint after audited commits at most this often (0: after every one;
    # None: only on `labsys audit checkpoint` and backups).
    AUDIT_CHECKPOINT_SECONDS: float | None = 0
    # New audit entries go to this many chains, so that this many transactions append at
    # once without waiting for each other (PostgreSQL; SQLite has one writer anyway).  Any
    # number verifies; lowering it leaves the chains above still verified.
    AUDIT_CHAINS = 16
    # The REST API (/api/v1): calls each token may make per minute (429 beyond), and the
    # largest page a list returns.  Webhook deliveries: seconds before a receiver times out,
    # and the retry backoff (first wait in seconds, doubled after each failure, capped).
    API_RATE_LIMIT_PER_MINUTE = 600
    API_MAX_PAGE_SIZE = 200
    WEBHOOK_TIMEOUT_SECONDS = 10
    WEBHOOK_BACKOFF_SECONDS = 30
    WEBHOOK_BACKOFF_MAX_SECONDS = 6 * 3600
    # Submit a result for review only with its bench record (test start and end dates, the
    # method used; ISO/IEC 17025 §7.5.1, services/traceability.py).  Off by default so that
    # an upgraded installation keeps working as before; an accredited lab sets it True in
    # instance/config.py (BENCH_RECORD_REQUIRED = True) or LABSYS_BENCH_RECORD_REQUIRED=True.
    BENCH_RECORD_REQUIRED = False
    # Files kept beside the database (backed up with it); None: instance/attachments.
    ATTACHMENTS_DIR: str | None = None
    # One attached file (photo, scan, raw data) at most this many bytes (20 MB: with its
    # form it stays under MAX_CONTENT_LENGTH's 20 MiB), and an image at most this many
    # pixels (a larger one is a decompression bomb).
    ATTACHMENT_MAX_BYTES = 20_000_000
    ATTACHMENT_MAX_PIXELS = 80_000_000
    # Risk early warning (issue 17; labsys.services.risk).  Hazard weights by hazard class
    # (labsys.core.hazards.DEFAULT_WEIGHTS; give only those to change, e.g.
    # {"quality_indicator": 0.5}); the recent window and the history it is compared with, in
    # months (producers and sampled units: RISK_ENTERPRISE_MONTHS each, as they are sampled
    # rarely); the false discovery rate of the Benjamini–Hochberg control across all scopes.
    RISK_HAZARD_WEIGHTS: dict = {}
    RISK_RECENT_MONTHS = 3
    RISK_HISTORY_MONTHS = 12
    RISK_ENTERPRISE_MONTHS = 12
    RISK_FDR = 0.05


def load_settings(instance_path: str | os.PathLike, overrides: dict | None = None) -> dict:
    """Merge the three sources of settings into one dict (overrides last, for tests)."""
    settings = {k: v for k, v in vars(DefaultConfig).items() if k.isupper()}
    settings.update(_instance_settings(Path(instance_path) / "config.py"))
    settings.update(_environment_settings(os.environ))
    settings.update(overrides or {})
    if not settings.get("SECRET_KEY"):
        settings["SECRET_KEY"] = _kept_secret_key(Path(instance_path))
    if settings.get("HTTPS"):
        settings.setdefault("SESSION_COOKIE_SECURE", True)
        settings.setdefault("REMEMBER_COOKIE_SECURE", True)
    return settings


def _kept_secret_key(instance_path: Path) -> str | None:
    path = instance_path / SECRET_KEY_FILE
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def _instance_settings(path: Path) -> dict:
    if not path.is_file():
        return {}
    namespace: dict = {"__file__": str(path)}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return {k: v for k, v in namespace.items() if k.isupper()}


def _environment_settings(environ) -> dict:
    return {
        key.removeprefix(ENV_PREFIX): _parse_env_value(value)
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX
    }


def _parse_env_value(value: str):
    try:
        parsed = ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value
    # Only plain literals; a URL or a password stays text even if it happens to parse.
    return parsed if isinstance(parsed, bool | int | dict | list) else value


def database_url(settings: dict, instance_path: str | os.PathLike) -> str:
    return settings.get("DATABASE_URL") or f"sqlite:///{Path(instance_path) / 'labsys.sqlite3'}"


def ensure_secret_key(instance_path: str | os.PathLike) -> str:
    """Return the secret key kept in the instance folder, creating it on first use.

    Only the embedded quick start calls this; a production deployment sets
    ``LABSYS_SECRET_KEY`` itself.
    """
    path = Path(instance_path) / SECRET_KEY_FILE
    if not path.exists():
        make_private_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


def make_private_dir(path: str | os.PathLike) -> None:
    """Create the folder readable by its owner only; tighten it to 0700 if it exists and
    is ours (the instance folder holds the database, keys and checkpoints)."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)


def attachments_dir(config, instance_path: str | os.PathLike) -> Path:
    return Path(config.get("ATTACHMENTS_DIR") or Path(instance_path) / "attachments")


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory ones)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


# The address ``labsys serve`` listens on by default.
SERVE_HOST, SERVE_PORT = "127.0.0.1", 8000


def base_url(settings) -> str:
    """The absolute base of links printed outside a request (report QR codes from the CLI
    and the demo): BASE_URL, else the address ``labsys serve`` listens on by default."""
    return (settings.get("BASE_URL") or f"http://{SERVE_HOST}:{SERVE_PORT}").rstrip("/")


class ConfigurationError(RuntimeError):
    """The app refuses to start with this configuration."""


def check_secret_key(settings: dict) -> None:
    if settings.get("TESTING") or settings.get("DEBUG"):
        return
    key = settings.get("SECRET_KEY") or ""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"SECRET_KEY is missing or shorter than {MIN_SECRET_KEY_LENGTH} characters: "
            "set LABSYS_SECRET_KEY, or put SECRET_KEY in instance/config.py, "
            "or run `labsys secret-key` to keep one in the instance folder."
        )
