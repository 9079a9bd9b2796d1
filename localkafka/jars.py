"""Fetches Apache Kafka's jars from Maven Central once and builds java command lines on them."""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
POM = PACKAGE_DIR / "pom.xml"
BROKER_LOG_CONFIG = PACKAGE_DIR / "log4j2.properties"
TOOLS_LOG_CONFIG = PACKAGE_DIR / "tools-log4j2.properties"
MARKER = ".complete"

log = logging.getLogger("localkafka")


def home() -> Path:
    """$LOCALKAFKA_HOME, else <repo>/.localkafka (<cwd>/.localkafka if installed)."""
    override = os.environ.get("LOCALKAFKA_HOME")
    if override:
        return Path(override).resolve()
    # A non-editable install puts the package in site-packages, which is no place for data.
    in_repo = (PACKAGE_DIR.parent / "pyproject.toml").exists()
    return (PACKAGE_DIR.parent if in_repo else Path.cwd()) / ".localkafka"


def lib_dir() -> Path:
    return home() / "lib"


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def _is_complete(lib: Path) -> bool:
    # The marker holds the pom's digest so a version bump in pom.xml re-fetches.
    marker = lib / MARKER
    return marker.is_file() and marker.read_text().strip() == _pom_digest()


def ensure_jars() -> Path:
    """Return the lib dir, running `mvn dependency:copy-dependencies` first if needed."""
    lib = lib_dir()
    if _is_complete(lib):
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    # Parallel test processes may race here; only one of them should run mvn.
    with open(lib.parent / ".lib.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _is_complete(lib):
            _fetch(lib)
    return lib


def _fetch(lib: Path) -> None:
    mvn = shutil.which("mvn")
    if mvn is None:
        raise RuntimeError("localkafka needs Maven (`mvn` on PATH) to fetch the Kafka jars")
    shutil.rmtree(lib, ignore_errors=True)  # drop jars of a half-finished or older fetch
    log.info("fetching Apache Kafka jars into %s with mvn (once)", lib)
    cmd = [
        mvn,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={lib}",
    ]
    result = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0:
        raise RuntimeError(
            f"mvn failed ({result.returncode}) fetching Kafka jars:\n{result.stdout[-4000:]}"
        )
    (lib / MARKER).write_text(_pom_digest() + "\n")


def java_command(main_class: str, *args: str, jvm_opts: tuple[str, ...] = ()) -> list[str]:
    """A `java -cp <lib>/* main_class args...` command line (jars fetched if missing)."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None:
        raise RuntimeError("localkafka needs a JDK 17+ (`java` on PATH or JAVA_HOME)")
    return [java, *jvm_opts, "-cp", str(ensure_jars() / "*"), main_class, *args]


def tool_command(main_class: str, *args: str) -> list[str]:
    """Command line for a Kafka CLI tool that logs warnings to stderr like Kafka's bin/ scripts."""
    opts = (
        "-Xmx256m",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={TOOLS_LOG_CONFIG}",
    )
    return java_command(main_class, *args, jvm_opts=opts)
