"""Reading people: labels the team gives interactions, each workspace's retrained reader, and languages
of people and templates.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 14:10:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'interaction_labels',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('interaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('label', sa.String(length=16), nullable=False),
        sa.Column('labelled_by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_interaction_labels_interaction_id_interactions'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['labelled_by_user_id'], ['users.id'], name=op.f('fk_interaction_labels_labelled_by_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_interaction_labels_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interaction_labels')),
        sa.UniqueConstraint('interaction_id', name='uq_interaction_labels_interaction'),
    )
    op.create_index('ix_interaction_labels_workspace', 'interaction_labels', ['workspace_id', 'id'])
    op.create_table(
        'reader_versions',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('labels', sa.Integer(), nullable=False),
        sa.Column('weights', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('quality', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
        sa.Column('is_active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_reader_versions_workspace_id_workspaces'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reader_versions')),
        sa.UniqueConstraint('workspace_id', 'version', name='uq_reader_versions_workspace_version'),
    )
    op.create_index(
        'uq_reader_versions_active', 'reader_versions', ['workspace_id'], unique=True,
        postgresql_where=sa.text('is_active'), sqlite_where=sa.text('is_active'),
    )
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('language_set', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('dm_templates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('dm_templates', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('targets', schema=None) as batch_op:
        batch_op.drop_column('language_set')
        batch_op.drop_column('language')
    op.drop_index('uq_reader_versions_active', table_name='reader_versions')
    op.drop_table('reader_versions')
    op.drop_index('ix_interaction_labels_workspace', table_name='interaction_labels')
    op.drop_table('interaction_labels')
