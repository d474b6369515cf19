"""The LabelHub window (PySide6). The only package that imports Qt; it changes the project
through ``labelhub.project.Project`` alone. Start it with ``labelhub.gui.app.run_gui``."""
