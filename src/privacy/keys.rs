//! The identity keyring: one file holding the blind-index key and one or more
//! encryption keys, the last of which is active. Created by `lapord keys
//! generate` with mode 0600; `lapord keys rotate` appends a key and later
//! retires the old ones. The file is text:
//!
//! ```text
//! # comments
//! index-key <base64 of 32 bytes>
//! key <id, 8 hex digits> <base64 of 32 bytes>
//! ```
//!
//! A running daemon notices when the file changes (and when it meets a key id it
//! does not know) and reloads it, so a rotation needs no restart.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Clone)]
pub struct Keyring {
    keys: Vec<(u32, [u8; 32])>,
    index: [u8; 32],
    /// HMAC already keyed with `index`: cloned per blind index instead of
    /// hashing the key again for every value.
    index_mac: Hmac<Sha256>,
}

fn index_mac(index: &[u8; 32]) -> Hmac<Sha256> {
    <Hmac<Sha256> as Mac>::new_from_slice(index).expect("HMAC takes any key length")
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("key_ids", &self.key_ids())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("identity key file {0} does not exist")]
    Missing(PathBuf),
    #[error("cannot read identity key file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("identity key file {path} is malformed: {reason}")]
    Malformed { path: PathBuf, reason: String },
    #[error("cannot write identity key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("identity key file {0} already exists; refusing to overwrite it")]
    Exists(PathBuf),
}

fn new_id(taken: &[(u32, [u8; 32])]) -> u32 {
    loop {
        let id: u32 = rand::random();
        if id != 0 && !taken.iter().any(|(t, _)| *t == id) {
            return id;
        }
    }
}

impl Keyring {
    /// A new keyring with a fresh index key and one encryption key.
    pub fn generate() -> Keyring {
        let key: [u8; 32] = rand::random();
        let index: [u8; 32] = rand::random();
        Keyring {
            keys: vec![(new_id(&[]), key)],
            index_mac: index_mac(&index),
            index,
        }
    }

    /// The active key: what new values are sealed with.
    pub fn active(&self) -> (u32, &[u8; 32]) {
        let (id, key) = self.keys.last().expect("a keyring has a key");
        (*id, key)
    }

    pub fn get(&self, id: u32) -> Option<&[u8; 32]> {
        self.keys.iter().find(|(k, _)| *k == id).map(|(_, key)| key)
    }

    pub fn key_ids(&self) -> Vec<u32> {
        self.keys.iter().map(|(id, _)| *id).collect()
    }

    pub fn index_key(&self) -> &[u8; 32] {
        &self.index
    }

    /// A fresh HMAC keyed with the index key.
    pub fn index_mac(&self) -> Hmac<Sha256> {
        self.index_mac.clone()
    }

    /// Appends a new active key; the old ones stay to open what they sealed.
    pub fn with_new_key(&self) -> Keyring {
        let mut k = self.clone();
        let id = new_id(&k.keys);
        k.keys.push((id, rand::random()));
        k
    }

    /// Keeps only the active key.
    pub fn retire_old(&self) -> Keyring {
        Keyring {
            keys: vec![*self.keys.last().expect("a keyring has a key")],
            index: self.index,
            index_mac: self.index_mac.clone(),
        }
    }

    /// For tests: the same key bytes under another id.
    #[doc(hidden)]
    pub fn with_active_id(&self, id: u32) -> Keyring {
        let mut k = self.clone();
        k.keys.last_mut().expect("a keyring has a key").0 = id;
        k
    }

    pub fn to_text(&self) -> String {
        let mut s = String::from(
            "# lapord identity keyring. Back this file up APART from the database:\n\
             # without it no reporter identity can be read; with the database it reveals\n\
             # them all. Keep it mode 0600, owned by the lapord user.\n\
             # The last `key` line is the active one (`lapord keys rotate` appends).\n",
        );
        s.push_str(&format!("index-key {}\n", STANDARD.encode(self.index)));
        for (id, key) in &self.keys {
            s.push_str(&format!("key {id:08x} {}\n", STANDARD.encode(key)));
        }
        s
    }

    pub fn parse(path: &Path, text: &str) -> Result<Keyring, KeyError> {
        let bad = |reason: String| KeyError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let decode = |b64: &str, what: &str| -> Result<[u8; 32], KeyError> {
            let v = STANDARD
                .decode(b64)
                .map_err(|e| bad(format!("{what} is not base64: {e}")))?;
            v.try_into()
                .map_err(|_| bad(format!("{what} is not 32 bytes")))
        };
        let mut index = None;
        let mut keys = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["index-key", b64] => index = Some(decode(b64, "index-key")?),
                ["key", id, b64] => {
                    let id = u32::from_str_radix(id, 16)
                        .map_err(|_| bad(format!("line {}: key id is not hex", n + 1)))?;
                    if keys.iter().any(|(k, _)| *k == id) {
                        return Err(bad(format!("key {id:08x} appears twice")));
                    }
                    keys.push((id, decode(b64, "key")?));
                }
                _ => return Err(bad(format!("line {} is not understood", n + 1))),
            }
        }
        let index = index.ok_or_else(|| bad("no index-key line".into()))?;
        if keys.is_empty() {
            return Err(bad("no key line".into()));
        }
        Ok(Keyring {
            keys,
            index_mac: index_mac(&index),
            index,
        })
    }

    pub fn load(path: &Path) -> Result<Keyring, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                KeyError::Missing(path.to_path_buf())
            } else {
                KeyError::Unreadable {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Keyring::parse(path, &text)
    }

    /// Writes a new file, mode 0600; never overwrites.
    pub fn create_file(&self, path: &Path) -> Result<(), KeyError> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(|source| {
                if source.kind() == std::io::ErrorKind::AlreadyExists {
                    KeyError::Exists(path.to_path_buf())
                } else {
                    KeyError::Write {
                        path: path.to_path_buf(),
                        source,
                    }
                }
            })?;
        f.write_all(self.to_text().as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|source| KeyError::Write {
                path: path.to_path_buf(),
                source,
            })
    }

    /// Replaces an existing file atomically (write a 0600 temp file, fsync, rename).
    pub fn replace_file(&self, path: &Path) -> Result<(), KeyError> {
        let tmp = path.with_extension(format!("new{}", rand::random::<u32>()));
        self.create_file(&tmp)?;
        std::fs::rename(&tmp, path).map_err(|source| KeyError::Write {
            path: path.to_path_buf(),
            source,
        })?;
        if let Some(dir) = path.parent() {
            if let Ok(d) = std::fs::File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(())
    }
}

/// Whether a key file can be read by anyone beyond its owner and group (the
/// service group may read it: `systemd/lapord.tmpfiles` sets 0640 root:lapord).
pub fn too_open(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o007 != 0)
        .unwrap_or(false)
}

/// The daemon's view of the keyring file, reloaded when it changes.
pub struct KeyringHandle {
    path: PathBuf,
    current: RwLock<(Arc<Keyring>, Option<SystemTime>)>,
}

impl KeyringHandle {
    pub fn new(path: PathBuf, keyring: Keyring) -> KeyringHandle {
        let mtime = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        KeyringHandle {
            path,
            current: RwLock::new((Arc::new(keyring), mtime)),
        }
    }

    /// A handle not backed by a file (tests, tools).
    pub fn fixed(keyring: Keyring) -> KeyringHandle {
        KeyringHandle {
            path: PathBuf::new(),
            current: RwLock::new((Arc::new(keyring), None)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self) -> Arc<Keyring> {
        self.current.read().expect("keyring lock").0.clone()
    }

    /// Reloads the file if it changed. A file that became unreadable or
    /// malformed keeps the old keys in use and is reported.
    pub fn refresh(&self) -> Result<bool, KeyError> {
        if self.path.as_os_str().is_empty() {
            return Ok(false);
        }
        let mtime = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if mtime == self.current.read().expect("keyring lock").1 {
            return Ok(false);
        }
        let k = Keyring::load(&self.path)?;
        let ids = k.key_ids();
        *self.current.write().expect("keyring lock") = (Arc::new(k), mtime);
        tracing::info!(key_ids = ?ids.iter().map(|i| format!("{i:08x}")).collect::<Vec<_>>(), "Identity keyring reloaded.");
        Ok(true)
    }
}

impl KeyringHandle {
    /// Runs `f` with the current keys; if it meets a key id it does not know
    /// (another process rotated), reloads the file once and tries again.
    pub fn with_reload<T>(
        &self,
        f: impl Fn(&Keyring) -> Result<T, super::CipherError>,
    ) -> Result<T, super::CipherError> {
        match f(&self.get()) {
            Err(super::CipherError::UnknownKey(id)) => {
                if let Err(e) = self.refresh() {
                    tracing::error!(error = %e, "Cannot reload the identity keyring.");
                }
                let keys = self.get();
                if keys.get(id).is_none() {
                    return Err(super::CipherError::UnknownKey(id));
                }
                f(&keys)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_text_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("identity.key");
        let k = Keyring::generate();
        k.create_file(&path).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert!(matches!(k.create_file(&path), Err(KeyError::Exists(_))));
        let back = Keyring::load(&path).unwrap();
        assert_eq!(back.key_ids(), k.key_ids());
        assert_eq!(back.active().1, k.active().1);
        assert_eq!(back.index_key(), k.index_key());

        let rotated = back.with_new_key();
        rotated.replace_file(&path).unwrap();
        let back = Keyring::load(&path).unwrap();
        assert_eq!(back.key_ids().len(), 2);
        assert_ne!(back.active().0, k.active().0);
        assert_eq!(back.retire_old().key_ids(), vec![back.active().0]);
        assert!(!too_open(&path));
    }

    #[test]
    fn refuses_broken_files() {
        let p = Path::new("x");
        assert!(Keyring::parse(p, "").is_err());
        assert!(Keyring::parse(p, "index-key AAAA\n").is_err());
        assert!(Keyring::parse(p, "key zz AAAA\n").is_err());
        assert!(matches!(
            Keyring::load(Path::new("/nonexistent/identity.key")),
            Err(KeyError::Missing(_))
        ));
    }
}
