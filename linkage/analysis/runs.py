"""A finished run opened again: its configuration, rules, model and re-loaded inputs.

The analyst tools (``sweep``, ``review``) start here. The inputs must be the files the run
read (checked against the hashes in its manifest), and the configuration and rule set the
ones it ran under (checked against its ``config_sha256`` and ``rule_set``), so that the
thresholds, rules and scores re-used are the run's own. ``best_pairs`` then re-links the
payroll with the run's fitted model, as ``linkage run --model`` would, at any match
threshold.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from linkage.config import Config
from linkage.eligibility import RuleSet, decide, load_crosswalk, load_rules, route
from linkage.errors import ConfigError, InputError
from linkage.link import FellegiSunterModel, link_records, make_comparisons
from linkage.pipeline import Progress, load_inputs
from linkage.schema import Band, LinkMethod, Source
from linkage.write.files import owned_file, sha256_of

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class OpenedRun:
    """What a tool needs to redo part of a run exactly as the run did it."""

    folder: Path
    manifest: dict[str, Any]
    config: Config  # reading the run's inputs
    rules: RuleSet
    model: FellegiSunterModel
    payroll: pd.DataFrame  # normalized, as the run linked them
    insured: pd.DataFrame
    businesses: pd.DataFrame

    @property
    def match_probability(self) -> float:
        """The run's match threshold."""
        return self.config.link.match_probability

    @property
    def review_probability(self) -> float:
        """The run's review threshold."""
        return self.config.link.review_probability


def _manifest(folder: Path) -> dict[str, Any]:
    try:
        document = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        msg = f"--run {folder}: not a linkage output (no readable {MANIFEST})"
        raise ConfigError(msg) from e
    if not isinstance(document, dict) or not {"inputs", "config_sha256"} <= document.keys():
        msg = f"--run {folder}: {MANIFEST} is not a linkage run manifest"
        raise ConfigError(msg)
    return document


def _inputs(manifest: dict[str, Any], config: Config) -> Config:
    """``config`` reading the files the run read; refused if any changed since."""
    paths = {}
    for entry in manifest["inputs"]:
        path = Path(entry["path"])
        if not path.is_file() or sha256_of(path) != entry["sha256"]:
            msg = f"{path}: not the file the run read (missing or changed since)"
            raise InputError(msg)
        paths[entry["source"]] = path
    inputs = replace(
        config.inputs,
        businesses=paths[Source.BUSINESSES.value],
        payroll=paths[Source.PAYROLL.value],
        insured=paths[Source.INSURED.value],
        max_reject_share=1.0,  # the run already accepted its rejects
    )
    return replace(config, inputs=inputs)


def open_run(folder: Path, config: Config, progress: Progress = lambda stage: None) -> OpenedRun:
    """Re-open the run in ``folder`` under ``config``, the configuration it ran with.

    Raises:
        ConfigError: ``folder`` is no linkage output, or ``config``, its rule file or the
            model is not the run's.
        InputError: an input the run read is missing or changed.
    """
    manifest = _manifest(folder)
    if config.digest != manifest["config_sha256"]:
        msg = (
            f"--config {config.source}: not the configuration the run in {folder} used (its "
            "sha256 differs from the manifest's config_sha256); pass the run's file with "
            "--config, since its thresholds and rules decide what is recomputed"
        )
        raise ConfigError(msg)
    rules = load_rules(config.eligibility.rules)
    if rules.version != manifest.get("rule_set"):
        msg = (
            f"{config.eligibility.rules}: rule set {rules.version!r}, but the run in {folder} "
            f"decided under {manifest.get('rule_set')!r}; make a new run to use these rules"
        )
        raise ConfigError(msg)
    model_path = folder / "model.json"
    if not model_path.is_file():
        msg = f"--run {folder}: no model.json; the run's scores cannot be reproduced"
        raise ConfigError(msg)
    model = FellegiSunterModel.load(model_path, make_comparisons(config.link))
    config = _inputs(manifest, config)
    tables = load_inputs(config, progress)
    return OpenedRun(
        folder=folder,
        manifest=manifest,
        config=config,
        rules=rules,
        model=model,
        payroll=tables[Source.PAYROLL].rows.reset_index(drop=True),
        insured=tables[Source.INSURED].rows.reset_index(drop=True),
        businesses=tables[Source.BUSINESSES].rows.reset_index(drop=True),
    )


def best_pairs(run: OpenedRun, match_probability: float) -> pd.DataFrame:
    """Every payroll row's best pair, as a run at this match threshold would choose it.

    The links ``link_records`` makes with the run's model, ``match_probability`` and a review
    threshold of ``min(run's, match_probability)``, plus the best pair of each other row that
    met a record under blocking, banded ``non_match`` (a run drops those). Linking with no
    review floor and banding afterwards gives the same choices: a pair below the floor is
    neither acceptable nor an exact-ID pair, so it outranks no pair above it and never makes
    a near tie; eligibility ignores the ``non_match`` band.

    Returns:
        schema.LINKS columns, then ``gamma_*`` and ``weight_*``, one row per payroll row that
        met a record; SI codes unmasked.
    """
    review = min(run.review_probability, match_probability)
    settings = replace(run.config.link, match_probability=match_probability, review_probability=0.0)
    links = link_records(run.payroll, run.insured, settings, model=run.model).links
    below = (
        (links["band"] == Band.REVIEW.value)
        & (links["method"] == LinkMethod.PROBABILISTIC.value)
        & (links["match_probability"] < review)
    )
    links.loc[below.to_numpy(dtype=bool, na_value=False), "band"] = Band.NON_MATCH.value
    return links


def decide_as_run(run: OpenedRun, pairs: pd.DataFrame) -> pd.DataFrame:
    """The dispositions the run would give these links: its as-of date, its office routes."""
    as_of = run.manifest.get("registration", {}).get("as_of")
    dispositions = decide(
        run.payroll,
        pairs,
        run.insured,
        run.businesses,
        run.rules,
        as_of=dt.date.fromisoformat(as_of) if as_of else None,
    )
    path = run.config.eligibility.crosswalk
    crosswalk = load_crosswalk(path) if path else None
    return route(dispositions, run.payroll, run.businesses, crosswalk)[0]


def record_export(run: Path, path: Path, *, kind: str, rows: int) -> None:
    """Add an exported file to the run's manifest (DOMAIN.md 5: every export is recorded).

    The manifest is replaced atomically; the entry names the file, its hash and rows, never
    its contents.
    """
    manifest_path = run / MANIFEST
    document = json.loads(manifest_path.read_text(encoding="utf-8"))
    document.setdefault("exports", []).append(
        {
            "kind": kind,
            "path": str(path.resolve()),
            "rows": rows,
            "sha256": sha256_of(path),
            "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        }
    )
    with owned_file(manifest_path) as staged:
        staged.write_bytes(json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"))
