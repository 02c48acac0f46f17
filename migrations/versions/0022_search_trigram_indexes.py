"""Trigram indexes for search: people by username or name, and what people wrote, by any substring.

PostgreSQL only (pg_trgm, a trusted extension since PostgreSQL 13: the database owner may create it);
SQLite searches the same with a scan, fine at the sizes a single-process install holds.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 15:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

INDEXES = (
    ('ix_interactions_text_trgm', 'interactions', 'text'),
    ('ix_targets_username_trgm', 'targets', 'username'),
    ('ix_targets_display_name_trgm', 'targets', 'display_name'),
)


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    # CONCURRENTLY: ingest keeps writing while a large interactions table is indexed.
    with op.get_context().autocommit_block():
        for name, table, column in INDEXES:
            op.create_index(
                name,
                table,
                [column],
                postgresql_using='gin',
                postgresql_ops={column: 'gin_trgm_ops'},
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    with op.get_context().autocommit_block():
        for name, table, _column in INDEXES:
            op.drop_index(name, table_name=table, postgresql_concurrently=True, if_exists=True)
