"""The model registry: models and versions with their model card, artifact, lineage and stage."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from models_helpers import build_project, detection_spec

from labelhub.errors import InvalidInput, NotFound, PermissionDenied
from labelhub.project import Project


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    with build_project(tmp_path / "p", detection_spec(0, n_images=8)) as p:
        assert p.versions("ds")
    return tmp_path / "p"


def test_register_a_version_with_its_card_artifact_and_lineage(proj: Path, tmp_path: Path) -> None:
    weights = tmp_path / "weights.onnx"
    weights.write_bytes(b"\x00weights" * 1000)
    with Project.open(proj, user="lena", backup=False) as p:
        p.add_model("segmenter", task="segmentation", description="finds ants")
        v = p.add_model_version(
            "segmenter", "2.1", trained_on="ds@1", params={"lr": 0.01, "epochs": 12}, framework="pytorch",
            code_revision="abc123", tags=["night", "night", "small"], artifact=weights, copy_artifact=True,
            intended_uses="counting ants", out_of_scope_uses="bees", limitations="small images only")
        assert v.ref == "segmenter@2.1" and v.stage == "development"
        assert v.trained_on is not None and v.trained_on.ref == "ds@1"
        assert v.artifact_sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
        assert v.artifact_copied and (p.folder / v.artifact_location).read_bytes() == weights.read_bytes()
        assert v.tags == ("night", "small") and v.card["limitations"] == "small images only"
        assert v.created_by == "lena" and v.created_at
        linked = p.add_model_version("segmenter", "2.2", artifact=weights)
        assert linked.artifact_location == str(weights.resolve()) and not linked.artifact_copied
        # Lineage is a query, both ways.
        assert [m.ref for m in p.trained_on("ds")] == ["segmenter@2.1"]
        assert [m.ref for m in p.trained_on("ds", "v1")] == ["segmenter@2.1"]
        assert p.model_version("segmenter@2.1").trained_on.manifest_hash == p.version("ds", 1).manifest_hash
        changed = p.update_model_version("segmenter", "2.1", limitations="none known", params={"lr": 0.02})
        assert changed.card == {"intended_uses": "counting ants", "out_of_scope_uses": "bees",
                                "limitations": "none known"}
        assert changed.params == {"lr": 0.02}
        assert p.audit_verify().ok


def test_bad_registrations_are_refused_and_write_nothing(proj: Path, tmp_path: Path) -> None:
    with Project.open(proj, user="lena", backup=False) as p:
        before = p.seq()
        with pytest.raises(InvalidInput, match="already registered"):
            p.add_model("detector")
        with pytest.raises(InvalidInput, match="'@'"):
            p.add_model("a@b")
        with pytest.raises(NotFound, match="no model named 'nope'"):
            p.add_model_version("nope", "1")
        with pytest.raises(NotFound, match="dataset ds: no version '7'"):
            p.add_model_version("detector", "2", trained_on="ds@7")
        with pytest.raises(InvalidInput, match="already has a version '1'"):
            p.add_model_version("detector", "1")
        with pytest.raises(NotFound, match="no such artifact"):
            p.add_model_version("detector", "3", artifact=tmp_path / "missing.pt")
        with pytest.raises(InvalidInput, match="JSON object"):
            p.add_model_version("detector", "3", params=[1, 2])  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="unknown model-card field"):
            p.add_model_version("detector", "3", purpose="x")
        assert p.seq() == before
        assert not (p.folder / "media" / "artifacts").exists()


def test_stages_production_is_unique_and_the_history_is_the_change_log(proj: Path) -> None:
    with Project.open(proj, user="lena", backup=False) as p:
        p.add_model_version("detector", "2")
        p.set_model_stage("detector", "1", "staging")
        p.set_model_stage("detector", "1", "production")
        with pytest.raises(InvalidInput, match="reason"):
            p.set_model_stage("detector", "2", "archived")
        with pytest.raises(InvalidInput, match="unknown stage"):
            p.set_model_stage("detector", "2", "live")
        with pytest.raises(InvalidInput, match="already in production"):
            p.set_model_stage("detector", "1", "production")
        p.set_model_stage("detector", "2", "production", "better recall")
        model = p.model("detector")
        assert model.production.version == "2"
        assert model.version("1").stage == "archived"
        assert model.version("1").stage_reason == "replaced in production by 2"
        history = [(h.stage_from, h.stage_to, h.member) for h in p.stage_history("detector", "1")]
        assert history == [(None, "development", "lena"), ("development", "staging", "lena"),
                           ("staging", "production", "lena"), ("production", "archived", "lena")]
        assert [c.action for c in p.changes(limit=1)] == ["model.stage"]
        assert p.audit_verify().ok


@pytest.mark.parametrize("user", ["ana", "rui"])
def test_only_leads_register_models_and_change_stages(proj: Path, user: str) -> None:
    with Project.open(proj, user=user, backup=False) as p:
        before = p.seq()
        with pytest.raises(PermissionDenied, match="needs the lead role"):
            p.add_model("mine")
        with pytest.raises(PermissionDenied):
            p.add_model_version("detector", "9")
        with pytest.raises(PermissionDenied):
            p.set_model_stage("detector", "1", "production")
        with pytest.raises(PermissionDenied):
            p.update_model_version("detector", "1", limitations="x")
        assert p.seq() == before
        assert [m.name for m in p.models()] == ["detector"]  # reading is open to everyone


def test_annotators_cannot_import_predictions_or_store_evaluations(proj: Path) -> None:
    with Project.open(proj, user="ana", backup=False) as p:
        with pytest.raises(PermissionDenied):
            p.add_predictions("ds", "detector@1", {})
        with pytest.raises(PermissionDenied):
            p.evaluate("ds", 1, "detector@1")
        computed = p.evaluate("ds", 1, "detector@1", store=False)  # computing alone is reading
        assert computed.info is None and len(computed.results["coco"]) == 12
    with Project.open(proj, user="rui", backup=False) as p:
        stored = p.evaluate("ds", 1, "detector@1")
        assert stored.info.created_by == "rui"
        assert [e.uid for e in p.evaluations(dataset="ds")] == [stored.info.uid]


def test_predictions_are_checked_against_the_schema_and_the_images(proj: Path) -> None:
    from labelhub.geometry import Box
    from labelhub.project import NewAnnotation

    with Project.open(proj, user="lena", backup=False) as p:
        before = p.seq()
        name = p.items("ds")[0].name
        with pytest.raises(InvalidInput) as err:
            p.add_predictions("ds", "detector@1", {
                name: [NewAnnotation("zebra", Box(1, 1, 5, 5), score=0.5),
                       NewAnnotation("ant", Box(1, 1, 5000, 5), score=0.5),
                       NewAnnotation("ant", Box(1, 1, 5, 5), score=float("nan"))],
                "nothing.png": [NewAnnotation("ant", Box(1, 1, 5, 5), score=0.5)]})
        text = str(err.value)
        assert "4 problems" in text and "no label class 'zebra'" in text and "nothing.png: no such item" in text
        assert f"{name}, prediction 3: score must be a finite number" in text
        assert p.seq() == before
        p.create_dataset("other")
        with pytest.raises(NotFound, match="dataset other: no version '1'"):
            p.evaluate("other", 1, "detector@1")
        with pytest.raises(NotFound, match="no predictions of detector@1 on other"):
            p.predictions_set("other", "detector@1")
