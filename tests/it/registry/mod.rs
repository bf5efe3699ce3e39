//! The registry's integration tests (REG, PLAT-15/17/20), one file a part: the registry as
//! citizens, the API and importers meet it (`deputies_stations`), the console (`console`), the structure
//! lists' exports (`exports`), units, voter contacts and the area import (`more`), the
//! membership service and its migration (`membership`), and `renda gen` (`synthetic`).

mod console;
mod deputies_stations;
mod exports;
mod find;
mod holidays;
mod import_preview;
mod membership;
mod more;
mod synthetic;
