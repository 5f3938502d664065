"""Keyed hashes (HMAC-SHA256) of identifiers, and the one rule that masks a shown ID or name.

A plain hash of a citizen ID is no protection: the ID space (about 10^10 plausible CCCDs)
is searched in seconds. Identifiers that leave the engine in a stable form (candidate ids
across refreshes) are therefore keyed, by one key per operator so that any two of their
runs share candidate ids (``run_key`` gives the order in which a key is chosen).

A masked ID shows its last three characters only (``*********455``). A CCCD's first six
digits are the province, the sex and century, and the birth year: an outreach row shows the
birth year and sex beside it, and its province is often the worker's own, so every leading
digit shown is given away twice. What must stay hidden are the six random digits at the
end; three of them shown leave a thousand IDs for any row, where the old ``001*****2345``
(province plus four random digits) left a hundred.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linkage._vector import map_unique
from linkage.errors import ConfigError

KEY_ENV: Final = "LINKAGE_HMAC_KEY"
KEY_FILE: Final = ".linkage-key"
_MIN_KEY_BYTES: Final = 16
# Masking: trailing characters shown, and the shortest value that shows any (a shorter one
# would show half of itself or more).
SHOWN_CHARACTERS: Final = 3
_SHORTEST_SHOWN: Final = 2 * SHOWN_CHARACTERS + 1
CITIZEN_ID_LENGTH: Final = 12
_MASK: Final = "*"


def masked_name(name: object) -> str | None:
    """The family name and the other names' initials: ``Nguyễn V. A.``; blank stays blank."""
    if not isinstance(name, str) or not name.strip():
        return None
    first, *others = name.split()
    return " ".join([first, *(f"{word[0]}." for word in others)])


def mask_id(value: str | None) -> str:
    """Mask an ID for messages and output files: ``*********455`` (last three shown)."""
    if not value:
        return ""
    if len(value) < _SHORTEST_SHOWN:
        return _MASK * len(value)
    return _MASK * (len(value) - SHOWN_CHARACTERS) + value[-SHOWN_CHARACTERS:]


def mask_ids(values: pd.Series) -> pd.Series:
    """Vectorized ``mask_id``; missing stays missing."""
    array = pa.array(values.astype(pd.ArrowDtype(pa.string())), type=pa.string())
    length = pc.utf8_length(array)
    hidden = pc.binary_repeat(_MASK, pc.max_element_wise(pc.subtract(length, SHOWN_CHARACTERS), 0))
    kept = pc.binary_join_element_wise(
        hidden, pc.utf8_slice_codeunits(array, -SHOWN_CHARACTERS, 2**31 - 1), ""
    )
    shown = pc.greater_equal(length, _SHORTEST_SHOWN)
    masked = pc.if_else(shown, kept, pc.binary_repeat(_MASK, length))
    return pd.Series(masked, index=values.index, dtype=pd.ArrowDtype(pa.string()))


def mask_citizen_code(value: str) -> str:
    """An SI code masked when it is a 12-digit citizen ID (VSS, from 2025), else as is."""
    return mask_id(value) if len(value) == CITIZEN_ID_LENGTH else value


def mask_citizen_codes(values: pd.Series) -> pd.Series:
    """Vectorized ``mask_citizen_code``; 10-digit SI codes and missing values kept."""
    citizen = (values.str.len() == CITIZEN_ID_LENGTH).fillna(value=False)
    return values.where(~citizen, mask_ids(values))


def key_from_environment() -> bool:
    """True when the key comes from ``LINKAGE_HMAC_KEY`` (and is never written to disk)."""
    return KEY_ENV in os.environ


def operator_key_path() -> Path:
    """The operator's own key: ``$XDG_CONFIG_HOME/linkage/key``, else ``~/.config/...``."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "linkage" / "key"


@dataclass(frozen=True)
class RunKey:
    """The key of a run's candidate ids, and where it came from (``KEY_SOURCES``)."""

    key: bytes
    source: str

    @property
    def kept_in_output(self) -> bool:
        """Written to the output's ``.linkage-key``, for reruns and ``--previous``.

        A key the operator handed in (environment, key file) stays where they keep it.
        """
        return self.source in ("previous output", "operator")

    @property
    def key_id(self) -> str:
        """A name of the key that does not reveal it: two runs compare theirs."""
        return hmac.new(self.key, _KEY_ID_CONTEXT, hashlib.sha256).hexdigest()[:16]


KEY_SOURCES: Final = ("environment", "key file", "previous output", "operator")
_KEY_ID_CONTEXT: Final = b"linkage key id v1"


def _read_key_file(path: Path) -> bytes:
    """The key of a linkage key file (hex); refused when unreadable, empty or too short."""
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, ValueError) as e:
        msg = f"{path}: not a linkage key file (hex); remove it to start new candidate ids"
        raise ConfigError(msg) from e
    if len(key) < _MIN_KEY_BYTES:
        msg = f"{path}: the key must be at least {_MIN_KEY_BYTES} bytes"
        raise ConfigError(msg)
    return key


def _operator_key() -> bytes:
    """The operator's key, created on first use (owner only, never replaced)."""
    path = operator_key_path()
    if not path.exists():
        folder = path.parent
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            partial = folder / f".key.partial-{os.getpid()}"
            descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="ascii") as handle:
                handle.write(secrets.token_bytes(32).hex())
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(partial, path)  # never over a key another run just made
            except FileExistsError:
                pass
            finally:
                partial.unlink(missing_ok=True)
        except OSError as e:
            msg = (
                f"{path}: cannot create the operator's key ({e.strerror or e}); set "
                f"{KEY_ENV} or pass --key-file"
            )
            raise ConfigError(msg) from e
    if path.stat().st_mode & 0o077:
        msg = f"{path}: readable by other users; make it owner-only (chmod 600) and run again"
        raise ConfigError(msg)
    return _read_key_file(path)


def _given_key(key_file: Path | None) -> tuple[bytes, str] | None:
    """``LINKAGE_HMAC_KEY``, else ``key_file``'s bytes, and where it came from; or None.

    Raises:
        ConfigError: the key is shorter than 16 bytes, or the file is unreadable.
    """
    if KEY_ENV in os.environ:
        key, where = os.environ[KEY_ENV].encode("utf-8"), KEY_ENV
    elif key_file is not None:
        try:
            key, where = key_file.read_bytes().strip(), str(key_file)
        except OSError as e:
            msg = f"{key_file}: cannot read the key file ({e.strerror or e})"
            raise ConfigError(msg) from e
    else:
        return None
    if len(key) < _MIN_KEY_BYTES:
        msg = f"{where}: the key must be at least {_MIN_KEY_BYTES} bytes"
        raise ConfigError(msg)
    return key, where


def run_key(*folders: Path | None, key_file: Path | None = None) -> RunKey:
    """The HMAC key of a run's candidate ids: the first found of these.

    1. ``LINKAGE_HMAC_KEY`` (at least 16 bytes; never written);
    2. ``key_file`` (``--key-file``: its bytes, as the variable would hold them; never
       written);
    3. the first folder's ``.linkage-key``: ``--previous``, then the output itself, so an
       output keeps its ids across reruns and refreshes whoever runs them;
    4. the operator's key (``operator_key_path``), created on first use.

    Raises:
        ConfigError: a key is too short, or a key file is unreadable, not hex, or the
            operator's key is readable by others.
    """
    given = _given_key(key_file)
    if given is not None:
        key, where = given
        return RunKey(key, "environment" if where == KEY_ENV else "key file")
    for folder in folders:
        path = folder / KEY_FILE if folder else None
        if path is not None and path.exists():
            return RunKey(_read_key_file(path), "previous output")
    return RunKey(_operator_key(), "operator")


def load_key(*folders: Path | None, key_file: Path | None = None) -> bytes:
    """The key ``run_key`` chooses."""
    return run_key(*folders, key_file=key_file).key


def keyed_ids(values: pd.Series, key: bytes) -> pd.Series:
    """HMAC-SHA256 of each value, as 16 hex characters; missing stays missing."""
    def digest(value: str) -> str:
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    return map_unique(values, digest, pa.string())


# Pseudonyms (``normalize.pseudonym_kinds`` reads them): what an agency shares instead of
# citizen IDs and personal tax codes.
_PSEUDONYM_CONTEXT: Final = b"linkage pseudonyms v1"


def shared_key(key_file: Path | None) -> bytes:
    """The key every agency pseudonymizes with: ``LINKAGE_HMAC_KEY``, else ``key_file``.

    Unlike the run's own key there is no fallback: files pseudonymized under different
    keys never link. The key is derived for this use, so a pseudonym is never a
    ``candidate_id``.

    Raises:
        ConfigError: neither is given, the key is shorter than 16 bytes, or the file is
            unreadable.
    """
    given = _given_key(key_file)
    if given is None:
        msg = f"pseudonyms need the agencies' shared key: set {KEY_ENV} or pass --key-file"
        raise ConfigError(msg)
    return hmac.new(given[0], _PSEUDONYM_CONTEXT, hashlib.sha256).digest()


def pseudonyms(values: pd.Series, kind: str, key: bytes) -> pd.Series:
    """``kind:`` and 32 hex characters of HMAC-SHA256 of each value; missing stays missing.

    The kind ("cccd" | "cmnd" | "mst") stays readable: the CCCD exact pass and the CCCD
    versus CMND level need it; the value does not.
    """
    def digest(value: str) -> str:
        return f"{kind}:" + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    return map_unique(values, digest, pa.string())
