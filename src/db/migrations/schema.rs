//! The schema builder's shorthand that the migrations share: columns, tables, indexes, and
//! a table with its foreign keys. Frozen with the migrations that use it (see
//! docs/ARCHITECTURE.md, "Decisions"): a helper may be added, never changed, because changing
//! one would change what an already applied migration creates on a new database.

use sea_orm_migration::prelude::*;

use super::m0006_foreign_keys::Reference;

/// A new table with the foreign keys `refs` lists for it (a migration's `REFERENCES`).
pub fn keyed_by(refs: &[Reference], name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = table(name, cols);
    for f in refs.iter().filter(|f| f.table == name) {
        let action = match f.on_delete {
            "CASCADE" => ForeignKeyAction::Cascade,
            "SET NULL" => ForeignKeyAction::SetNull,
            _ => ForeignKeyAction::Restrict,
        };
        t.foreign_key(
            ForeignKey::create()
                .name(format!("fk_{}_{}", f.table, f.column))
                .from(Alias::new(f.table), Alias::new(f.column))
                .to(Alias::new(f.parent), Alias::new("id"))
                .on_delete(action),
        );
    }
    t
}

pub fn id(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().auto_increment().primary_key().to_owned()
}
pub fn text(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().not_null().to_owned()
}
pub fn text_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).text().null().to_owned()
}
pub fn int(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().to_owned()
}
pub fn int_default(name: &str, v: i64) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().default(v).to_owned()
}
pub fn int_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().null().to_owned()
}
pub fn boolean(name: &str, v: bool) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).boolean().not_null().default(v).to_owned()
}
pub fn float_null(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).double().null().to_owned()
}

pub fn table(name: &str, cols: Vec<ColumnDef>) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(Alias::new(name)).if_not_exists();
    for mut c in cols {
        t.col(&mut c);
    }
    t.to_owned()
}

pub fn index(table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(Alias::new(table)).if_not_exists();
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// A primary key the caller chooses (a random number), not a sequence: the row's place gives
/// away nothing of when it was written (on SQLite an `integer` key is the rowid itself).
pub fn chosen_key(name: &str) -> ColumnDef {
    ColumnDef::new(Alias::new(name)).big_integer().not_null().primary_key().to_owned()
}
