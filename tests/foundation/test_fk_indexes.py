"""Every foreign key has an index that starts with its columns.

Without one, deleting or re-keying a referenced row makes the database scan the whole
referencing table to check the constraint (issue #19: deleting one result row scanned
5.6 M ``sample_results`` rows on PostgreSQL through the unindexed ``supersedes_id``, 3.1 s
each), and joins from the parent side scan too.  PostgreSQL does not index foreign keys by
itself; SQLite neither."""

from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, Table

from labsys.models import Base


def _leading_column_sets(table: Table) -> list[tuple[str, ...]]:
    """Column lists of the primary key, every index and every unique constraint (each one
    answers a lookup by any prefix of its columns)."""
    found = [tuple(c.name for c in table.primary_key.columns)]
    found += [tuple(c.name for c in index.columns) for index in table.indexes]
    found += [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if constraint.__class__.__name__ == "UniqueConstraint"
    ]
    # Column(unique=True / index=True) become a UniqueConstraint / Index above.
    return found


def unindexed_foreign_keys(metadata) -> list[str]:
    missing = []
    for table in metadata.sorted_tables:
        covers = _leading_column_sets(table)
        for constraint in table.constraints:
            if not isinstance(constraint, ForeignKeyConstraint):
                continue
            columns = tuple(c.name for c in constraint.columns)
            # Any column order will do for the index's leading part.
            if not any(set(cover[: len(columns)]) == set(columns) for cover in covers):
                missing.append(f"{table.name}.{'+'.join(columns)}")
    return sorted(missing)


def test_every_foreign_key_has_an_index_starting_with_it():
    missing = unindexed_foreign_keys(Base.metadata)
    assert missing == [], "index these foreign key columns (model and migration): " + ", ".join(
        missing
    )


def test_the_check_names_an_unindexed_foreign_key_and_accepts_a_leading_one():
    """The check itself: a foreign key covered only as the second column of an index is
    reported; one leading an index, a unique constraint or the primary key is not."""
    from sqlalchemy import Column, ForeignKey, Index, Integer, MetaData, UniqueConstraint

    metadata = MetaData()
    Table("parent", metadata, Column("id", Integer, primary_key=True))
    Table(
        "child",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("lead", ForeignKey("parent.id")),
        Column("second", ForeignKey("parent.id")),
        Column("uniq", ForeignKey("parent.id")),
        Column("bare", ForeignKey("parent.id")),
        Index("ix_child_lead", "lead", "second"),
        UniqueConstraint("uniq", "id"),
    )
    Table("link", metadata, Column("parent_id", ForeignKey("parent.id"), primary_key=True))
    assert unindexed_foreign_keys(metadata) == ["child.bare", "child.second"]
