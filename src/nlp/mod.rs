//! Text analysis for Chinese (PLAT-12, PLAT-13): the shared service the domains call to
//! segment, index and highlight text, suggest a category or a handling unit, spot the same
//! message sent again, and list the words people write about most.
//!
//! Everything runs in process from built-in data: jieba's embedded dictionary, a short
//! stopword list, and models trained in seconds from an organ's own past decisions. Nothing
//! is downloaded and nothing leaves the machine.

pub mod classify;
pub mod dedup;
mod hash;
pub mod keywords;
pub mod segment;
mod stopwords;
