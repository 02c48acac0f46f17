"""Automations: rules that answer comments by themselves, their A/B variants, and what each comment triggered.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 17:53:23.351637

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('automation_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('exclusions', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('public_replies', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('public_reply_turn', sa.Integer(), nullable=False),
    sa.Column('create_lead', sa.Boolean(), nullable=False),
    sa.Column('chat_alert', sa.Boolean(), nullable=False),
    sa.Column('lead_tag', sa.String(length=50), nullable=True),
    sa.Column('active_from', sa.String(length=5), nullable=True),
    sa.Column('active_until', sa.String(length=5), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_automation_rules_created_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_automation_rules_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_rules')),
    sa.UniqueConstraint('workspace_id', 'name', name='uq_automation_rules_workspace_name')
    )
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.create_index('ix_automation_rules_workspace_priority', ['workspace_id', 'priority', 'id'], unique=False)

    op.create_table('automation_variants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=8), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['rule_id'], ['automation_rules.id'], name=op.f('fk_automation_variants_rule_id_automation_rules'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['template_id'], ['dm_templates.id'], name=op.f('fk_automation_variants_template_id_dm_templates'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_variants'))
    )
    with op.batch_alter_table('automation_variants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_automation_variants_rule_id'), ['rule_id'], unique=False)

    op.create_table('automation_triggers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('variant_id', sa.Integer(), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('dm_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('public_reply_text', sa.Text(), nullable=True),
    sa.Column('public_reply_id', sa.String(length=200), nullable=True),
    sa.Column('public_reply_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_reply_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dm_id'], ['direct_messages.id'], name=op.f('fk_automation_triggers_dm_id_direct_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_automation_triggers_interaction_id_interactions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rule_id'], ['automation_rules.id'], name=op.f('fk_automation_triggers_rule_id_automation_rules'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_automation_triggers_target_id_targets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variant_id'], ['automation_variants.id'], name=op.f('fk_automation_triggers_variant_id_automation_variants'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_automation_triggers_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_triggers')),
    sa.UniqueConstraint('interaction_id', name='uq_automation_triggers_interaction')
    )
    with op.batch_alter_table('automation_triggers', schema=None) as batch_op:
        batch_op.create_index('ix_automation_triggers_dm', ['dm_id'], unique=False)
        batch_op.create_index('ix_automation_triggers_rule', ['rule_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_automation_triggers_workspace_id'), ['workspace_id'], unique=False)



def downgrade():
    with op.batch_alter_table('automation_triggers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_automation_triggers_workspace_id'))
        batch_op.drop_index('ix_automation_triggers_rule')
        batch_op.drop_index('ix_automation_triggers_dm')

    op.drop_table('automation_triggers')
    with op.batch_alter_table('automation_variants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_automation_variants_rule_id'))

    op.drop_table('automation_variants')
    with op.batch_alter_table('automation_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_automation_rules_workspace_priority')

    op.drop_table('automation_rules')
