"""national sampling form fields, per batch and per visit (online sampling too)

Per batch: standard, grade, SC licence, source, attribute, state, packaging, storage,
method, price, cost, purchase date, supplier, seal checker.  Per visit: basis, organising
authority, task source, and the order of an online sample with its parcel's arrival.

Revision ID: 0023
Revises: 0022

Plain ADD/DROP COLUMN, never a batch: on SQLite a batch recreates the table, which would
drop the sample_stats triggers of 0010 and fail with rows referring to it.  SQLite takes a
column CHECK in ADD COLUMN (as 0015 did for oil_process).
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ENUMS = {
    "sample_source": ("processed", "commissioned", "purchased", "self_made", "other"),
    "sample_attribute": ("ordinary", "special_diet", "seasonal", "major_event", "other"),
    "physical_state": ("solid", "semi_solid", "liquid", "gas"),
    "packaging": ("bulk", "prepackaged", "other"),
    "sampling_method": ("aseptic", "non_aseptic"),
}
SAMPLE_TEXT = {
    "product_standard": 200,
    "quality_grade": 40,
    "licence_no": 20,
    "storage_conditions": 80,
    "supplier": 200,
    "seal_checker": 60,
}
VISIT_TEXT = {
    "sampling_basis": 300,
    "organising_authority": 200,
    "task_source": 200,
    "online_platform": 100,
    "online_shop": 200,
    "online_shop_url": 500,
    "online_order_no": 100,
    "online_buyer_account": 100,
    "online_payment_account": 100,
    "delivery_address": 300,
}


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, length in SAMPLE_TEXT.items():
        op.add_column(
            "samples",
            sa.Column(name, sa.String(length=length), server_default="", nullable=False),
        )
    for name, values in ENUMS.items():
        length = max(len(v) for v in values)
        listed = ", ".join(f"'{v}'" for v in values)
        check = f"{name} IN ({listed})"
        if sqlite:
            op.execute(
                f"ALTER TABLE samples ADD COLUMN {name} VARCHAR({length}) "
                f"CONSTRAINT ck_samples_{name} CHECK ({check})"
            )
        else:
            op.add_column("samples", sa.Column(name, sa.String(length=length), nullable=True))
            op.create_check_constraint(op.f(f"ck_samples_{name}"), "samples", check)
    op.add_column("samples", sa.Column("unit_price", sa.String(length=20), nullable=True))
    op.add_column("samples", sa.Column("purchase_cost", sa.String(length=20), nullable=True))
    op.add_column("samples", sa.Column("purchase_date", sa.Date(), nullable=True))

    for name, length in VISIT_TEXT.items():
        op.add_column(
            "sampling_visits",
            sa.Column(name, sa.String(length=length), server_default="", nullable=False),
        )
    op.add_column(
        "sampling_visits", sa.Column("online_payment_amount", sa.String(length=20), nullable=True)
    )
    op.add_column("sampling_visits", sa.Column("parcel_arrival_date", sa.Date(), nullable=True))
    op.add_column("sampling_visits", sa.Column("unboxing_record", sa.Text(), nullable=True))


def downgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name in ("unboxing_record", "parcel_arrival_date", "online_payment_amount", *VISIT_TEXT):
        op.drop_column("sampling_visits", name)
    for name in ("purchase_date", "purchase_cost", "unit_price"):
        op.drop_column("samples", name)
    for name in ENUMS:
        if sqlite:
            op.execute(f"ALTER TABLE samples DROP COLUMN {name}")
        else:
            op.drop_constraint(op.f(f"ck_samples_{name}"), "samples", type_="check")
            op.drop_column("samples", name)
    for name in SAMPLE_TEXT:
        op.drop_column("samples", name)
