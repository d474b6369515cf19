"""The Models workspace driven like a user: registry dialogs, the evaluation viewer from a
confusion-matrix cell to the canvas and on to Annotate, the threshold slider, slices, label
errors, comparing and exporting. Checked against the Project API."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from models_helpers import MODEL, build_project, detection_spec
from PySide6.QtCore import QItemSelectionModel, Qt

from labelhub.gui.models.evaluations import NewEvaluationDialog
from labelhub.gui.models.registry_dialogs import NewModelDialog, StageDialog, VersionDialog
from labelhub.project import Project

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("models-gui") / "p"
    with build_project(folder, detection_spec(11, n_images=14)) as p:
        p.evaluate("ds", 1, f"{MODEL}@1", slices=["split"])
    return folder


@pytest.fixture
def proj(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module's project for each test (building it once saves seconds)."""
    shutil.copytree(template, tmp_path / "p")
    return tmp_path / "p"


def open_models(window, proj: Path, user: str = "lena"):  # noqa: ANN001, ANN202
    assert window.open_project(proj, user=user)
    window.set_workspace("models")
    return window.workspaces["models"]


def open_viewer(qtbot, ws, version: str = "1"):  # noqa: ANN001, ANN202
    """Open the evaluation of model version ``version`` from the list, with the Open button."""
    ws.tabs.setCurrentIndex(1)
    page = ws.evaluations
    page.table.selectRow(next(r for r, e in enumerate(page.evaluations) if e.model_version == version))
    qtbot.mouseClick(page.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.viewer is not None, timeout=10000)
    return page.viewer


def test_confusion_cell_to_canvas_to_annotate(qtbot, window, proj: Path) -> None:  # noqa: ANN001
    ws = open_models(window, proj)
    viewer = open_viewer(qtbot, ws)
    run = viewer.run
    labels, matrix = run.confusion(viewer.score)
    ant = labels.index("ant")
    assert matrix[ant, ant] > 0
    viewer.tabs.setCurrentIndex([viewer.tabs.tabText(i) for i in range(viewer.tabs.count())].index("Confusion matrix"))
    view = viewer.confusion_view
    qtbot.waitUntil(lambda: abs(view.chart().plotArea().width() - view.chart().plotArea().height()) < 2)
    qtbot.wait(50)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cell_center(ant, ant).toPoint())
    expected = run.cell_items(viewer.score, ant, ant)
    drill = viewer.drill
    qtbot.waitUntil(lambda: drill.positions == expected)
    assert drill.list.count() == len(expected) and "true ant, predicted ant" in drill.title.text()
    first = run.item_outcome(expected[0], viewer.score)
    drawn = [s for s in first.shapes if s.shape.kind != "tag"]
    assert drill.canvas.shape_count() == len(drawn)
    tp = next(s for s in drawn if s.status == "tp")
    assert drill.canvas.shape(f"prediction:{tp.uid}").color == "#22c55e"
    # The background column holds the false positives that overlap nothing.
    bg = len(labels) - 1
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.cell_center(bg, labels.index("dog")).toPoint())
    qtbot.waitUntil(lambda: drill.positions == run.cell_items(viewer.score, bg, labels.index("dog")))
    assert drill.positions
    # On to Annotate to fix the label.
    drill.list.setFocus()
    qtbot.keyClick(drill.list, Qt.Key.Key_Return)
    assert window.current_workspace() == "annotate"
    annotate = window.workspaces["annotate"]
    assert annotate.item.uid == drill.current.item.uid


def test_threshold_slider_updates_precision_recall_live(qtbot, window, proj: Path) -> None:  # noqa: ANN001
    viewer = open_viewer(qtbot, open_models(window, proj))
    before = viewer.overall_label.text()
    viewer.slider.setFocus()
    qtbot.keyClick(viewer.slider, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: viewer.threshold_label.text() == "0.00")
    low = viewer.run.overall(0.0)
    assert viewer.overall_label.text() != before and f"{low['precision']:.3f}" in viewer.overall_label.text()
    per = {r["class"]: r for r in viewer.run.per_class(0.0)}
    table = viewer.class_table
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "ant")
    assert table.item(row, 10).text() == f"{per['ant']['precision']:.3f}"
    qtbot.keyClick(viewer.slider, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: viewer.threshold_label.text() == "1.00")
    high = viewer.run.overall(1.0)
    assert f"({high['tp']} TP, {high['fp']} FP, {high['fn']} missed)" in viewer.overall_label.text()
    assert high["fn"] > low["fn"]


def test_slices_errors_export_and_compare(qtbot, window, proj: Path, tmp_path: Path) -> None:  # noqa: ANN001
    with Project.open(proj, user="lena", backup=False) as p:
        p.add_model_version(MODEL, "2")
        p.add_predictions("ds", f"{MODEL}@2", {i.name: [] for i in p.items("ds")})
        p.evaluate("ds", 1, f"{MODEL}@2")
    ws = open_models(window, proj)
    viewer = open_viewer(qtbot, ws)
    viewer.tabs.setCurrentIndex([viewer.tabs.tabText(i) for i in range(viewer.tabs.count())].index("Slices"))
    qtbot.mouseClick(viewer.slice_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: viewer.slice_table.rowCount() > 0, timeout=10000)
    viewer.slice_table.selectRow(0)
    assert len(viewer.drill.positions) == viewer.slice_rows[0]["items"]
    assert viewer.errors  # this data has confident false positives on nothing
    viewer.tabs.setCurrentIndex([viewer.tabs.tabText(i) for i in range(viewer.tabs.count())].index("Label errors"))
    viewer.error_table.selectRow(0)
    assert viewer.drill.positions == [viewer.errors[0].item]
    html_path, json_path = ws.evaluations.export_current(tmp_path / "report.html")
    text = html_path.read_text(encoding="utf-8")
    assert text.count("data:image/png;base64,") == 3  # AP per class, PR curves, confusion matrix
    assert ("Suspected label errors" in text) == bool(viewer.errors)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["coco"] == viewer.outcome.results["coco"] and len(data["coco"]) == 12
    # One click on a suspected error opens its image in Annotate.
    qtbot.mouseClick(viewer.fix_buttons[0], Qt.MouseButton.LeftButton)
    assert window.current_workspace() == "annotate"
    assert window.workspaces["annotate"].item.uid == viewer.errors[0].item_uid
    window.set_workspace("models")
    qtbot.mouseClick(viewer.back_button, Qt.MouseButton.LeftButton)
    page = ws.evaluations
    assert page.viewer is None and page.table.rowCount() == 2
    page.table.selectRow(0)
    page.table.selectionModel().select(page.table.model().index(1, 0),
                                       QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    assert page.compare_button.isEnabled()
    qtbot.mouseClick(page.compare_button, Qt.MouseButton.LeftButton)
    dialog = page.compare_dialog
    assert dialog is not None and dialog.comparison.comparable
    ap = dialog.summary.item(0, 3).text()
    assert ap.startswith("-")  # version 2 predicts nothing: AP fell


def test_registry_dialogs_for_a_lead_and_read_only_for_an_annotator(qtbot, window, proj: Path,  # noqa: ANN001
                                                                     when_modal) -> None:  # noqa: ANN001
    ws = open_models(window, proj)
    reg = ws.registry

    def fill_model(d: NewModelDialog) -> None:
        qtbot.keyClicks(d.name, "segmenter")
        d.description.setPlainText("finds ants")
        d.buttons.button(d.buttons.StandardButton.Ok).click()

    when_modal(NewModelDialog, fill_model)
    qtbot.mouseClick(reg.new_model_button, Qt.MouseButton.LeftButton)
    assert reg.selected_ref() == "segmenter"

    def fill_version(d: VersionDialog) -> None:
        d.buttons.button(d.buttons.StandardButton.Ok).click()  # no version name: refused, says why
        assert d.isVisible() and "needs a name" in d.error.text()
        qtbot.keyClicks(d.version, "0.1")
        d.dataset.setCurrentText("ds")
        d.params.setPlainText('{"lr": 0.1')
        d.buttons.button(d.buttons.StandardButton.Ok).click()
        assert "not valid JSON" in d.error.text()
        d.params.setPlainText('{"lr": 0.1}')
        d.limitations.setPlainText("only ants")
        d.buttons.button(d.buttons.StandardButton.Ok).click()

    when_modal(VersionDialog, fill_version)
    qtbot.mouseClick(reg.new_version_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: reg.selected_ref() == "segmenter@0.1", timeout=10000)
    assert "only ants" in reg.card.text() and "ds@1" in reg.card.text()

    def promote(d: StageDialog) -> None:
        d.stage.setCurrentIndex(d.stage.findData("production"))
        d.buttons.button(d.buttons.StandardButton.Ok).click()

    when_modal(StageDialog, promote)
    qtbot.mouseClick(reg.stage_button, Qt.MouseButton.LeftButton)
    top = reg.tree.findItems("segmenter", Qt.MatchFlag.MatchExactly)[0]
    assert top.text(1) == "● 0.1 in production"
    with Project.open(proj, user="ana", backup=False) as p:
        v = p.model_version("segmenter@0.1")
        assert (v.stage, v.params, v.trained_on.ref, v.card["limitations"]) == ("production", {"lr": 0.1}, "ds@1",
                                                                                  "only ants")
        assert [h.stage_to for h in p.stage_history("segmenter", "0.1")] == ["development", "production"]
    ws = open_models(window, proj, user="ana")
    for button in (ws.registry.new_model_button, ws.registry.new_version_button, ws.registry.stage_button):
        assert not button.isEnabled() and "Only a lead" in button.toolTip()
    assert not ws.evaluations.new_button.isEnabled()


def test_a_reviewer_runs_a_new_evaluation_from_the_window(qtbot, window, proj: Path, when_modal) -> None:  # noqa: ANN001
    ws = open_models(window, proj, user="rui")
    ws.tabs.setCurrentIndex(1)
    page = ws.evaluations

    seen = {}

    def answer(d: NewEvaluationDialog) -> None:
        seen["predictions"] = d.predictions.currentData()
        seen["slices"] = [c.text() for c in d.slice_checks if c.isChecked()]
        d.threshold.setValue(0.3)
        d.buttons.button(d.buttons.StandardButton.Ok).click()

    when_modal(NewEvaluationDialog, answer)
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.viewer is not None, timeout=10000)
    assert seen == {"predictions": f"{MODEL}@1", "slices": ["split"]}
    assert page.viewer.threshold_label.text() == "0.30"
    with Project.open(proj, user="rui", backup=False) as p:
        latest = p.evaluations()[0]
        assert latest.created_by == "rui" and latest.params["score_threshold"] == 0.3


def test_charts_follow_a_theme_change(qtbot, window, proj: Path) -> None:  # noqa: ANN001
    from PySide6.QtWidgets import QApplication

    from labelhub.gui.theme import install_theme

    viewer = open_viewer(qtbot, open_models(window, proj))
    theme = install_theme(QApplication.instance())
    base = lambda: viewer.per_class_chart.chart().backgroundBrush().color().name()  # noqa: E731
    try:
        for scheme in (Qt.ColorScheme.Dark, Qt.ColorScheme.Light):
            theme.apply(scheme)
            want = QApplication.palette().base().color().name()
            qtbot.waitUntil(lambda w=want: base() == w, timeout=5000)
            assert viewer.pr_view.chart().backgroundBrush().color().name() == want
    finally:
        theme.apply()


def test_predictions_shown_over_the_ground_truth_in_annotate(qtbot, window, proj: Path) -> None:  # noqa: ANN001
    """A model version's predictions are a read-only layer in Annotate, over the ground truth,
    and can be hidden and shown again from the layers panel."""
    assert window.open_project(proj, user="lena")
    with Project.open(proj, user="lena", backup=False) as p:
        preds = next(s for s in p.label_sets("ds") if s.kind == "predictions")
        gt = p.ground_truth("ds")
        item = max(p.items("ds"), key=lambda i: len(p.annotations(preds.uid, i.uid)))
        n_pred = len(p.annotations(preds.uid, item.uid))
        n_gt = len(p.annotations(gt.uid, item.uid))
    assert n_pred > 0
    window.set_workspace("annotate")
    page = window.workspaces["annotate"]
    page.show_item("ds", item.uid)
    page.layers_panel.target.setCurrentIndex(page.layers_panel.target.findData(gt.uid))
    qtbot.waitUntil(lambda: page.target == gt.uid, timeout=5000)
    box = page.layers_panel.boxes[preds.uid]
    assert box.text() == f"Predictions: {preds.name}  ({n_pred})"
    if not box.isChecked():
        box.click()
    qtbot.waitUntil(lambda: page.canvas.shape_count() == n_gt + n_pred, timeout=5000)
    layers = [page.layer_of(s.uid) for s in page.canvas.shapes()]
    assert layers.count(preds.uid) == n_pred and layers.count(gt.uid) == n_gt
    layer = lambda: next(x for x in page.canvas.layers() if x.name == preds.uid)  # noqa: E731
    assert layer().visible and not layer().editable
    page.layers_panel.boxes[preds.uid].click()  # hide them
    qtbot.waitUntil(lambda: not layer().visible, timeout=5000)
