"""Languages: users.locale (null follows the browser), and a language per Slack alerts channel and Telegram chat.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('slack_installations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))
    with op.batch_alter_table('telegram_chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('telegram_chats', schema=None) as batch_op:
        batch_op.drop_column('locale')
    with op.batch_alter_table('slack_installations', schema=None) as batch_op:
        batch_op.drop_column('locale')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locale')
