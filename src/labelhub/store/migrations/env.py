"""Alembic environment: LabelHub always passes an open connection (no alembic.ini)."""

from alembic import context

from labelhub.store.tables import METADATA

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached when run by hand without LabelHub
    raise RuntimeError("LabelHub migrations run through labelhub.store.schema.migrate()")

context.configure(
    connection=connection,
    target_metadata=METADATA,
    render_as_batch=True,  # SQLite cannot ALTER most things: copy-and-move tables instead
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
