"""Chat bots: Slack installations, Telegram chats, user links, link codes, posted messages, processed keys.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 13:14:08.405018

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_cursors',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_chat_cursors'))
    )
    op.create_table('chat_processed',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_processed')),
    sa.UniqueConstraint('source', 'key', name='uq_chat_processed_key')
    )
    with op.batch_alter_table('chat_processed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_processed_created_at'), ['created_at'], unique=False)

    op.create_table('chat_link_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_by', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_link_codes_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_chat_link_codes_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_link_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_chat_link_codes_code_hash'))
    )
    with op.batch_alter_table('chat_link_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_link_codes_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_link_codes_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('chat_user_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('external_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('linked_via', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_user_links_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_chat_user_links_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_user_links')),
    sa.UniqueConstraint('workspace_id', 'provider', 'external_id', name='uq_chat_user_links_identity')
    )
    with op.batch_alter_table('chat_user_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_chat_user_links_user_id'), ['user_id'], unique=False)

    op.create_table('slack_installations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('team_name', sa.String(length=200), nullable=False),
    sa.Column('bot_user_id', sa.String(length=32), nullable=True),
    sa.Column('bot_token_encrypted', sa.Text(), nullable=True),
    sa.Column('scopes', sa.String(length=1000), nullable=False),
    sa.Column('alerts_channel_id', sa.String(length=32), nullable=True),
    sa.Column('alerts_channel_name', sa.String(length=200), nullable=True),
    sa.Column('alerts', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('installed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['installed_by_user_id'], ['users.id'], name=op.f('fk_slack_installations_installed_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_slack_installations_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_installations')),
    sa.UniqueConstraint('team_id', name=op.f('uq_slack_installations_team_id')),
    sa.UniqueConstraint('workspace_id', name=op.f('uq_slack_installations_workspace_id'))
    )
    op.create_table('telegram_chats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('chat_type', sa.String(length=16), nullable=False),
    sa.Column('alerts', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('linked_by_user_id', sa.Integer(), nullable=True),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disabled_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['linked_by_user_id'], ['users.id'], name=op.f('fk_telegram_chats_linked_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_telegram_chats_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_telegram_chats')),
    sa.UniqueConstraint('chat_id', name=op.f('uq_telegram_chats_chat_id'))
    )
    with op.batch_alter_table('telegram_chats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_telegram_chats_workspace_id'), ['workspace_id'], unique=False)

    op.create_table('chat_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('event_key', sa.String(length=100), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('dm_id', sa.Integer(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_ref', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dm_id'], ['direct_messages.id'], name=op.f('fk_chat_messages_dm_id_direct_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['target_id'], ['targets.id'], name=op.f('fk_chat_messages_target_id_targets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_chat_messages_workspace_id_workspaces'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_messages')),
    sa.UniqueConstraint('provider', 'chat_id', 'event_key', name='uq_chat_messages_event')
    )
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_index('ix_chat_messages_ref', ['provider', 'chat_id', 'message_ref'], unique=False)
        batch_op.create_index('ix_chat_messages_status', ['status', 'id'], unique=False)
        batch_op.create_index('ix_chat_messages_target', ['target_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_chat_messages_workspace_id'), ['workspace_id'], unique=False)



def downgrade():
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_messages_workspace_id'))
        batch_op.drop_index('ix_chat_messages_target')
        batch_op.drop_index('ix_chat_messages_status')
        batch_op.drop_index('ix_chat_messages_ref')

    op.drop_table('chat_messages')
    with op.batch_alter_table('telegram_chats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_telegram_chats_workspace_id'))

    op.drop_table('telegram_chats')
    op.drop_table('slack_installations')
    with op.batch_alter_table('chat_user_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_user_links_user_id'))

    op.drop_table('chat_user_links')
    with op.batch_alter_table('chat_link_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_link_codes_workspace_id'))
        batch_op.drop_index(batch_op.f('ix_chat_link_codes_expires_at'))

    op.drop_table('chat_link_codes')
    with op.batch_alter_table('chat_processed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_chat_processed_created_at'))

    op.drop_table('chat_processed')
    op.drop_table('chat_cursors')
