"""The model registry: models, their versions with a model card, lineage and a lifecycle stage.

A model (a name, a task, a description) has versions. A model version records who registered
it and when, its framework, its hyperparameters, the artifact file (hashed, and optionally
copied into the project's media folder), the dataset version it was trained on (a link, so
lineage is a query), the code revision, the model-card fields (intended and out-of-scope uses,
limitations) and free tags. Each version has a stage: development, staging, production or
archived (with the reason). Registering and changing stages are leads' changes and go into the
change log like every other change; putting a version into production archives the one that
was there, in the same change, so a model has at most one version in production.
"""

from __future__ import annotations

import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from labelhub.errors import Cancelled, InvalidInput, NotFound
from labelhub.project.core import check_name
from labelhub.project.versions import VersionsMixin
from labelhub.store.tables import Change, Dataset, DatasetVersion, Member, Model, ModelVersion
from labelhub.store.versioned import new_uid

_model = Model.__table__
_version = ModelVersion.__table__
_dataset = Dataset.__table__
_dsv = DatasetVersion.__table__
_member = Member.__table__
_change = Change.__table__

STAGES: tuple[str, ...] = ("development", "staging", "production", "archived")
#: The model-card fields a version carries besides its description.
CARD_FIELDS: dict[str, str] = {
    "intended_uses": "What the model is meant for",
    "out_of_scope_uses": "Uses it must not be put to",
    "limitations": "Known limitations, biases and failure modes",
}
ARTIFACTS_DIR = "media/artifacts"

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class TrainedOn:
    """The dataset version a model version was trained on."""

    dataset: str
    number: int
    tag: str | None
    seq: int
    manifest_hash: str
    deprecated: bool = False

    @property
    def ref(self) -> str:
        return f"{self.dataset}@{self.number}"


@dataclass(frozen=True)
class ModelVersionInfo:
    uid: str
    model: str
    version: str
    description: str
    framework: str
    params: dict[str, Any]
    trained_on: TrainedOn | None
    code_revision: str
    card: dict[str, str]
    tags: tuple[str, ...]
    stage: str
    stage_reason: str
    artifact_sha256: str | None
    artifact_location: str | None
    created_by: str | None
    created_at: str
    created_seq: int

    @property
    def ref(self) -> str:
        """``MODEL@VERSION``, the name its predictions go by."""
        return f"{self.model}@{self.version}"

    @property
    def artifact_copied(self) -> bool:
        return bool(self.artifact_location) and self.artifact_location.startswith(ARTIFACTS_DIR)  # type: ignore[union-attr]

    def to_dict(self) -> dict[str, Any]:
        d = {k: v for k, v in vars(self).items() if k != "trained_on"}
        d["tags"] = list(self.tags)
        d["trained_on"] = None if self.trained_on is None else {**vars(self.trained_on), "ref": self.trained_on.ref}
        d["ref"] = self.ref
        return d


@dataclass(frozen=True)
class ModelInfo:
    uid: str
    name: str
    description: str
    task: str
    created_by: str | None
    created_at: str
    created_seq: int
    versions: tuple[ModelVersionInfo, ...] = field(default_factory=tuple)

    @property
    def production(self) -> ModelVersionInfo | None:
        """The version in production, if any (at most one)."""
        return next((v for v in self.versions if v.stage == "production"), None)

    def version(self, version: str) -> ModelVersionInfo:
        for v in self.versions:
            if v.version == version:
                return v
        names = ", ".join(v.version for v in self.versions) or "none yet"
        raise NotFound(f"model {self.name} has no version {version!r}; versions: {names}")

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "name": self.name, "description": self.description, "task": self.task,
                "created_by": self.created_by, "created_at": self.created_at,
                "production": self.production.version if self.production else None,
                "versions": [v.to_dict() for v in self.versions]}


@dataclass(frozen=True)
class StageChange:
    seq: int
    time: str
    member: str | None
    stage_from: str | None
    stage_to: str
    reason: str


def parse_model_ref(ref: str) -> tuple[str, str]:
    """``"MODEL@VERSION"`` -> (model, version); the model name may itself hold '@'."""
    model, sep, version = (ref or "").rpartition("@")
    if not sep or not model.strip() or not version.strip():
        raise InvalidInput(f"a model version is named MODEL@VERSION, not {ref!r}")
    return model.strip(), version.strip()


def _check_params(params: Any) -> dict[str, Any]:
    if params is None:
        return {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise InvalidInput("hyperparameters must be a JSON object (names to values)")
    return dict(params)


def _check_tags(tags: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for tag in tags or ():
        text = str(tag).strip()
        if not text or len(text) > 100 or any(ord(c) < 32 for c in text):
            raise InvalidInput(f"tag {tag!r} is empty, too long or has control characters")
        if text not in out:
            out.append(text)
    return out


def _check_card(values: dict[str, Any]) -> dict[str, str]:
    unknown = sorted(set(values) - set(CARD_FIELDS))
    if unknown:
        raise InvalidInput(f"unknown model-card field {', '.join(unknown)}; fields are {', '.join(CARD_FIELDS)}")
    return {k: "" if v is None else str(v).strip() for k, v in values.items()}


def _check_stage(stage: str) -> str:
    value = (stage or "").strip().lower()
    if value not in STAGES:
        raise InvalidInput(f"unknown stage {stage!r}; stages are {', '.join(STAGES)}")
    return value


def hash_artifact(path: Path, progress: Progress | None = None,
                  cancel: threading.Event | None = None) -> tuple[str, int]:
    """SHA-256 (hex) and size of an artifact file, read in 4 MiB chunks with progress."""
    import hashlib

    try:
        size = path.stat().st_size
        handle = open(path, "rb")  # noqa: SIM115
    except FileNotFoundError:
        raise NotFound(f"{path}: no such artifact file") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path}: an artifact must be one file, not a folder") from None
    h = hashlib.sha256()
    done = 0
    with handle:
        while chunk := handle.read(4 * 1024 * 1024):
            if cancel is not None and cancel.is_set():
                raise Cancelled("registering the model version was cancelled; nothing was written")
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, max(size, 1), f"hashing {path.name}")
    return h.hexdigest(), size


def _copy_artifact(folder: Path, src: Path, sha256: str) -> tuple[str, Path | None]:
    """Copy the artifact into media/artifacts/ab/<sha256><suffix>; (relative path, the new
    file if this call wrote it). Written to a temporary file and renamed, so never half."""
    suffix = "".join(src.suffixes[-2:])[:20] if src.suffix else ""
    rel = f"{ARTIFACTS_DIR}/{sha256[:2]}/{sha256}{suffix}"
    target = folder / rel
    if target.is_file() and target.stat().st_size == src.stat().st_size:
        return rel, None
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".tmp-{secrets.token_hex(8)}"
    try:
        with open(src, "rb") as fsrc, open(temp, "xb") as fdst:
            shutil.copyfileobj(fsrc, fdst, 4 * 1024 * 1024)
            fdst.flush()
            os.fsync(fdst.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return rel, target


class ModelsMixin(VersionsMixin):
    """The registry. Reads are open to every member; changes need ``model.register`` or
    ``model.stage`` (leads)."""

    # ----------------------------------------------------------------------------- reading
    def _times(self, conn: Connection, seqs: Iterable[int]) -> dict[int, str]:
        wanted = sorted(set(seqs))
        if not wanted:
            return {}
        return dict(conn.execute(select(_change.c.seq, _change.c.time).where(_change.c.seq.in_(wanted))).all())

    def _trained_on(self, conn: Connection, version_id: int | None) -> TrainedOn | None:
        if version_id is None:
            return None
        row = conn.execute(
            select(_dsv, _dataset.c.name.label("dataset_name")).join(_dataset, _dataset.c.id == _dsv.c.dataset_id)
            .where(_dsv.c.id == version_id)).first()
        if row is None:
            return None
        return TrainedOn(row.dataset_name, row.number, row.tag, row.seq, row.manifest_hash,
                         row.deprecated_seq is not None)

    def _version_infos(self, conn: Connection, rows: Sequence[Any]) -> list[ModelVersionInfo]:
        names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
        models = dict(conn.execute(select(_model.c.id, _model.c.name)).all())
        times = self._times(conn, (r.created_seq for r in rows))
        return [ModelVersionInfo(
            r.uid, models[r.model_id], r.version, r.description, r.framework, dict(r.params or {}),
            self._trained_on(conn, r.trained_on_version_id), r.code_revision,
            {k: str((r.card or {}).get(k, "")) for k in CARD_FIELDS}, tuple(r.tags or ()), r.stage,
            r.stage_reason, r.artifact_sha256, r.artifact_location, names.get(r.created_by),
            times.get(r.created_seq, ""), r.created_seq) for r in rows]

    def _model_info(self, conn: Connection, row: Any) -> ModelInfo:
        rows = conn.execute(select(_version).where(_version.c.model_id == row.id)
                            .order_by(_version.c.created_seq, _version.c.id)).all()
        by = conn.scalar(select(_member.c.name).where(_member.c.id == row.created_by)) if row.created_by else None
        return ModelInfo(row.uid, row.name, row.description, row.task, by,
                         self._times(conn, [row.created_seq]).get(row.created_seq, ""), row.created_seq,
                         tuple(self._version_infos(conn, rows)))

    def _model_row(self, conn: Connection, name: str) -> Any:
        row = conn.execute(select(_model).where(_model.c.name == name)).first()
        if row is None:
            names = ", ".join(conn.execute(select(_model.c.name).order_by(_model.c.name)).scalars())
            raise NotFound(f"no model named {name!r}" + (f"; models: {names}" if names else "; no model is registered yet"))
        return row

    def _model_version_row(self, conn: Connection, model: str, version: str) -> Any:
        m = self._model_row(conn, model)
        row = conn.execute(select(_version).where(_version.c.model_id == m.id, _version.c.version == version)).first()
        if row is None:
            names = ", ".join(conn.execute(select(_version.c.version).where(_version.c.model_id == m.id)
                                           .order_by(_version.c.id)).scalars())
            raise NotFound(f"model {model} has no version {version!r}" + (f"; versions: {names}" if names else ""))
        return row

    def models(self) -> list[ModelInfo]:
        """Every registered model with its versions, by name."""
        with self._read() as conn:
            return [self._model_info(conn, r) for r in conn.execute(select(_model).order_by(_model.c.name)).all()]

    def model(self, name: str) -> ModelInfo:
        with self._read() as conn:
            return self._model_info(conn, self._model_row(conn, name))

    def model_version(self, model: str, version: str | None = None) -> ModelVersionInfo:
        """A model version, by model and version or by ``"MODEL@VERSION"``."""
        if version is None:
            model, version = parse_model_ref(model)
        with self._read() as conn:
            return self._version_infos(conn, [self._model_version_row(conn, model, version)])[0]

    def _dataset_version_row(self, conn: Connection, dataset: str, ref: str | int) -> Any:
        """A dataset version by number (3, "3", "v3") or tag."""
        ds = self._dataset_row(conn, dataset)
        try:
            return self._version_row(conn, ds.id, ref)
        except NotFound as error:
            raise NotFound(f"dataset {dataset}: {error}") from None

    def trained_on(self, dataset: str, version: str | int | None = None) -> list[ModelVersionInfo]:
        """Lineage: the model versions trained on ``dataset`` (any version, or the one given)."""
        with self._read() as conn:
            ds = self._dataset_row(conn, dataset)
            if version is None:
                ids = select(_dsv.c.id).where(_dsv.c.dataset_id == ds.id)
                where = _version.c.trained_on_version_id.in_(ids)
            else:
                where = _version.c.trained_on_version_id == self._dataset_version_row(conn, dataset, version).id
            rows = conn.execute(select(_version).where(where).order_by(_version.c.created_seq)).all()
            return self._version_infos(conn, rows)

    def stage_history(self, model: str, version: str) -> list[StageChange]:
        """Every stage the version went through, oldest first, from the change log."""
        with self._read() as conn:
            row = self._model_version_row(conn, model, version)
            names = dict(conn.execute(select(_member.c.id, _member.c.name)).all())
            changes = conn.execute(select(_change).where(
                _change.c.entity == "model_version",
                (_change.c.entity_uid == row.uid) | (_change.c.action == "model.stage"))
                .order_by(_change.c.seq)).all()
        out = []
        for c in changes:
            d = c.detail or {}
            if c.entity_uid != row.uid:  # archived because another version went into production
                if d.get("model") == model and version in d.get("archived", []):
                    out.append(StageChange(c.seq, c.time, names.get(c.member_id), "production", "archived",
                                           f"replaced in production by {d.get('version')}"))
                continue
            if c.action == "model.register" and d.get("op") == "add_version":
                out.append(StageChange(c.seq, c.time, names.get(c.member_id), None, d.get("stage", "development"), ""))
            elif c.action == "model.stage":
                out.append(StageChange(c.seq, c.time, names.get(c.member_id), d.get("from"), d.get("to", ""),
                                       d.get("reason", "")))
        return out

    # ------------------------------------------------------------------------------ changes
    def add_model(self, name: str, *, description: str = "", task: str = "") -> ModelInfo:
        """Register a model (leads)."""
        name = check_name("model", name)
        if "@" in name:
            raise InvalidInput(f"model name {name!r} may not contain '@' (it separates model and version)")
        with self._change("model.register", "model", op="add_model", name=name) as tx:
            if tx.conn.execute(select(_model.c.id).where(_model.c.name == name)).first():
                raise InvalidInput(f"a model named {name!r} is already registered")
            row = tx.insert_registry(_model, {"uid": new_uid(), "name": name, "description": description or "",
                                              "task": (task or "").strip(), "created_seq": tx.seq,
                                              "created_by": self._member_id})
            tx.pending.entity_uid = row.uid
        return self.model(name)

    def update_model(self, name: str, *, description: str | None = None, task: str | None = None) -> ModelInfo:
        values = {k: v for k, v in (("description", description), ("task", task)) if v is not None}
        if not values:
            raise InvalidInput("nothing to change")
        with self._change("model.register", "model", op="update_model", name=name, fields=sorted(values)) as tx:
            row = self._model_row(tx.conn, name)
            tx.pending.entity_uid = row.uid
            return self._model_info(tx.conn, tx.update_registry(_model, row.id, values))

    def add_model_version(
        self, model: str, version: str, *, description: str = "", framework: str = "",
        params: dict[str, Any] | None = None, trained_on: str | tuple[str, str | int] | None = None,
        code_revision: str = "", tags: Iterable[str] | None = None, artifact: str | os.PathLike[str] | None = None,
        copy_artifact: bool = False, progress: Progress | None = None, cancel: threading.Event | None = None,
        **card: str,
    ) -> ModelVersionInfo:
        """Register a version of ``model`` (leads).

        ``trained_on``: ``"DATASET@V"`` or (dataset, number or tag). ``artifact``: a file,
        hashed (with progress) and, with ``copy_artifact``, copied into the project's media
        folder; otherwise its absolute path is recorded. ``card``: intended_uses,
        out_of_scope_uses, limitations. New versions start in development.
        """
        version = check_name("model version", version)
        if "@" in version:
            raise InvalidInput(f"version {version!r} may not contain '@'")
        values_card = _check_card(card)
        params = _check_params(params)
        tag_list = _check_tags(tags)
        if isinstance(trained_on, str):
            ds_name, sep, ds_ref = trained_on.rpartition("@")
            if not sep or not ds_name or not ds_ref:
                raise InvalidInput(f"trained on is DATASET@VERSION, not {trained_on!r}")
            trained = (ds_name, ds_ref)
        else:
            trained = trained_on
        self.authorize("model.register")
        sha = location = None
        written: Path | None = None
        if artifact is not None:
            path = Path(artifact).expanduser().resolve()
            sha, _size = hash_artifact(path, progress, cancel)
            if copy_artifact:
                location, written = _copy_artifact(self.folder, path, sha)
            else:
                location = str(path)
        try:
            with self._change("model.register", "model_version", op="add_version", model=model,
                              version=version, stage="development") as tx:
                m = self._model_row(tx.conn, model)
                if tx.conn.execute(select(_version.c.id).where(_version.c.model_id == m.id,
                                                               _version.c.version == version)).first():
                    raise InvalidInput(f"model {model} already has a version {version!r}")
                dsv_id = None
                if trained is not None:
                    dsv = self._dataset_version_row(tx.conn, trained[0], trained[1])
                    dsv_id = dsv.id
                    tx.detail["trained_on"] = f"{trained[0]}@{dsv.number}"
                row = tx.insert_registry(_version, {
                    "uid": new_uid(), "model_id": m.id, "version": version, "description": description or "",
                    "framework": (framework or "").strip(), "artifact_sha256": sha, "artifact_location": location,
                    "params": params, "trained_on_version_id": dsv_id, "code_revision": (code_revision or "").strip(),
                    "card": {k: values_card.get(k, "") for k in CARD_FIELDS}, "tags": tag_list,
                    "stage": "development", "stage_reason": "", "created_seq": tx.seq,
                    "created_by": self._member_id})
                tx.pending.entity_uid = row.uid
                if sha:
                    tx.detail["artifact_sha256"] = sha
        except BaseException:
            if written is not None and not self._artifact_in_use(sha):
                written.unlink(missing_ok=True)
            raise
        return self.model_version(model, version)

    def _artifact_in_use(self, sha: str | None) -> bool:
        with self._read() as conn:
            return conn.execute(select(_version.c.id).where(_version.c.artifact_sha256 == sha)).first() is not None

    def update_model_version(self, model: str, version: str, *, description: str | None = None,
                             framework: str | None = None, params: dict[str, Any] | None = None,
                             code_revision: str | None = None, tags: Iterable[str] | None = None,
                             **card: str) -> ModelVersionInfo:
        """Edit a version's description, framework, hyperparameters, code revision, tags or
        model card (leads). Its artifact and training data stay as registered."""
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = description
        if framework is not None:
            values["framework"] = framework.strip()
        if params is not None:
            values["params"] = _check_params(params)
        if code_revision is not None:
            values["code_revision"] = code_revision.strip()
        if tags is not None:
            values["tags"] = _check_tags(tags)
        card_values = _check_card(card)
        if not values and not card_values:
            raise InvalidInput("nothing to change")
        with self._change("model.register", "model_version", op="update_version", model=model, version=version,
                          fields=sorted([*values, *card_values])) as tx:
            row = self._model_version_row(tx.conn, model, version)
            tx.pending.entity_uid = row.uid
            if card_values:
                values["card"] = {**{k: "" for k in CARD_FIELDS}, **(row.card or {}), **card_values}
            return self._version_infos(tx.conn, [tx.update_registry(_version, row.id, values)])[0]

    def set_model_stage(self, model: str, version: str, stage: str, reason: str = "") -> ModelVersionInfo:
        """Move a version to another stage (leads). Archiving needs a reason. Putting a version
        into production archives the version that was in production, in the same change."""
        stage = _check_stage(stage)
        reason = (reason or "").strip()
        if stage == "archived" and not reason:
            raise InvalidInput("say why the version is archived (a reason is required)")
        with self._change("model.stage", "model_version", model=model, version=version, to=stage,
                          reason=reason) as tx:
            row = self._model_version_row(tx.conn, model, version)
            tx.pending.entity_uid = row.uid
            if row.stage == stage:
                raise InvalidInput(f"{model}@{version} is already in {stage}")
            tx.detail["from"] = row.stage
            if stage == "production":
                previous = tx.conn.execute(select(_version).where(
                    _version.c.model_id == row.model_id, _version.c.stage == "production",
                    _version.c.id != row.id)).all()
                for old in previous:
                    tx.update_registry(_version, old.id, {
                        "stage": "archived", "stage_reason": f"replaced in production by {version}"})
                    tx.detail["archived"] = [o.version for o in previous]
            new = tx.update_registry(_version, row.id, {"stage": stage, "stage_reason": reason})
            return self._version_infos(tx.conn, [new])[0]
