//! Protecting the reporter. Perpres 76/2013 obliges the operator to keep a
//! complainant's identity secret, and people report corruption through this
//! system: a stolen backup, a copied SQLite file or a curious database
//! administrator must not reveal who reported what.
//!
//! Every field that identifies a reporter is sealed (`cipher`) with a key from
//! the keyring file (`keys`) before it reaches the store, with the report's id
//! as associated data; lookups use keyed blind indexes. Logs show identities
//! masked (`mask`). Stores written before this protection existed are upgraded
//! in place, and keys are rotated, by `upgrade`.

pub mod cipher;
pub mod keys;
pub mod mask;
pub mod upgrade;

pub use cipher::{CipherError, Sealed};
pub use keys::{KeyError, Keyring, KeyringHandle};
